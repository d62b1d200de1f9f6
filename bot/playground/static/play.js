// Who the person is and where: the channel list, the switcher, and the page's wiring.
"use strict";

// --- who, where -------------------------------------------------------------------------
function person() { return state.world.people.find((p) => p.key === state.me); }

function renderSidebar() {
  $("channels").innerHTML = state.world.channels.map((c) => `
    <li data-id="${c.id}" class="${c.id === state.channel ? "active" : ""}">
      <span class="hash">#</span>${esc(c.name)}${c.nsfw ? ' <span class="age">18+</span>' : ""}
    </li>`).join("");
  const me = person();
  $("me-avatar").outerHTML = avatar(me.id, me.name).replace('class="avatar ', 'id="me-avatar" class="avatar ');
  $("me-name").textContent = me.name;
  $("me-role").textContent = me.role;
  $("people").innerHTML = state.world.people.map((p) => `
    <li data-key="${p.key}" class="${p.key === state.me ? "active" : ""}">
      ${avatar(p.id, p.name, "small")}<div>${esc(p.name)}<small>${esc(p.role)}</small></div>
    </li>`).join("");
  const channel = state.world.channels.find((c) => c.id === state.channel);
  $("channel-name").textContent = channel.name;
  $("box").placeholder = `Message #${channel.name} — or type / for commands`;
}

function go(key, channel) {
  state.me = key;
  state.channel = channel;
  const url = new URL(location.href);
  url.searchParams.set("as", key);
  url.searchParams.set("channel", channel);
  history.replaceState(null, "", url);
  state.rendered.clear();
  state.stick = true;
  $("messages").innerHTML = "";
  endCommand();
  renderSidebar();
  refresh();
}

// --- wiring -----------------------------------------------------------------------------
function wire() {
  $("channels").onclick = (e) => {
    const li = e.target.closest("li");
    if (li) go(state.me, li.dataset.id);
  };
  $("me").onclick = () => { $("people").hidden = !$("people").hidden; };
  $("people").onclick = (e) => {
    const li = e.target.closest("li");
    if (!li) return;
    $("people").hidden = true;
    go(li.dataset.key, state.channel);
  };
  $("messages").onclick = (e) => {
    const dismiss = e.target.closest("[data-dismiss]");
    if (dismiss) { state.dismissed.add(dismiss.dataset.dismiss); refresh(); return; }
    if (e.target.tagName === "IMG" && e.target.closest(".attachments, .e-image")) {
      const box = document.createElement("div");
      box.id = "lightbox";
      box.innerHTML = `<img src="${esc(e.target.src)}" alt="">`;
      box.onclick = () => box.remove();
      document.body.append(box);
    }
  };
  // Follow new messages while the person is at the bottom, also as images finish loading.
  // Growth (a new message, an image loading) never unsticks; only the person scrolling up does.
  $("messages").addEventListener("scroll", () => {
    const list = $("messages");
    if (list.scrollHeight - list.scrollTop - list.clientHeight < 80) state.stick = true;
  });
  $("messages").addEventListener("wheel", (e) => { if (e.deltaY < 0) state.stick = false; });
  $("messages").addEventListener("load", stickToBottom, true);
  $("popup").onmousedown = (e) => {
    const item = e.target.closest(".item");
    if (item) { e.preventDefault(); state.pick(state.popup[Number(item.dataset.i)]); }
  };
  const composer = $("composer");
  composer.addEventListener("input", (e) => {
    if (e.target === $("box")) suggestCommands();
    else if (e.target.dataset.auto !== undefined) autocomplete(e.target);
  });
  composer.addEventListener("keydown", (e) => {
    if (!$("popup").hidden && state.popup.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        movePopup(e.key === "ArrowDown" ? 1 : -1);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        state.pick(state.popup[state.active]);
        return;
      }
    }
    if (e.key === "Escape") { e.preventDefault(); if (state.command) endCommand(); hidePopup(); }
    if (e.key === "Enter") { e.preventDefault(); composer.requestSubmit(); return; }
    if (e.key === "Backspace" && state.command && e.target.value === ""
        && e.target === $("options").querySelector(":scope > .opt input, :scope > .opt select")) endCommand();
  });
  composer.onsubmit = (e) => {
    e.preventDefault();
    if (state.command) sendCommand();
    else sendText();
  };
  $("modal").onsubmit = submitModal;
  $("modal-close").onclick = closeModal;
  $("modal-cancel").onclick = closeModal;
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.modal) closeModal();
  });
}

async function start() {
  state.world = await api("/play/api/world");
  const params = new URLSearchParams(location.search);
  const key = params.get("as");
  const channel = params.get("channel");
  wire();
  go(state.world.people.some((p) => p.key === key) ? key : state.world.people[0].key,
    state.world.channels.some((c) => c.id === channel) ? channel : state.world.channels[0].id);
  const events = new EventSource("/play/api/events");
  events.onmessage = () => refresh();
}

start();
