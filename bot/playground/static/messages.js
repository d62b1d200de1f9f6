// Messages as Discord shows them: author, "used /command", replies, markdown, attachments,
// embeds with their colour bar, buttons and selects that send interactions.
"use strict";

// --- messages ---------------------------------------------------------------------------
async function refresh() {
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  const data = await api(`/play/api/messages?user=${state.me}&channel=${state.channel}`);
  state.loading = false;
  if (!data.error) {
    state.commands = data.commands;
    renderWarnings(data.warnings);
    renderMessages(data.messages);
  }
  if (state.again) { state.again = false; refresh(); }
}

function renderWarnings(warnings) {
  const box = $("warnings");
  box.hidden = !warnings.length;
  if (!warnings.length) return;
  box.innerHTML = `<details><summary>⚠ The bot sent ${warnings.length} payload${
    warnings.length === 1 ? "" : "s"} that Discord would reject</summary><ul>${
    warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></details>`;
}

function stickToBottom() {
  if (state.stick) $("messages").scrollTop = $("messages").scrollHeight;
}

function renderMessages(messages) {
  const list = $("messages");
  const seen = new Set();
  let previous = null;
  let before = null;
  for (const m of messages) {
    if (state.dismissed.has(m.id)) continue;
    seen.add(m.id);
    const compact = previous && previous.author.id === m.author.id && !m.used && !m.replied
      && !previous.ephemeral && !m.ephemeral
      && Date.parse(m.timestamp) - Date.parse(previous.timestamp) < 5 * 60 * 1000;
    const key = JSON.stringify(m) + (state.failed.get(m.id) || "") + compact;
    let entry = state.rendered.get(m.id);
    if (!entry || entry.key !== key) {
      const el = messageElement(m, compact);
      if (entry) entry.el.replaceWith(el);
      entry = { key, el };
      state.rendered.set(m.id, entry);
    }
    const expected = before ? before.nextSibling : list.firstChild;
    if (entry.el !== expected) list.insertBefore(entry.el, expected);
    before = entry.el;
    previous = m;
  }
  for (const [id, entry] of state.rendered) {
    if (!seen.has(id)) { entry.el.remove(); state.rendered.delete(id); }
  }
  stickToBottom();
}

function messageElement(m, compact) {
  const el = document.createElement("div");
  el.className = `msg${m.ephemeral ? " ephemeral" : ""}${compact ? " compact" : ""}`;
  el.dataset.id = m.id;
  const isBot = m.author.id === state.world.bot.id;
  const time = new Date(m.timestamp).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  let top = "";
  if (m.used && m.used.command) {
    top = `<div class="top-line">${avatar(m.used.user_id, m.used.user, "tiny")}
      <b>${esc(m.used.user)}</b> used <span class="cmd">/${esc(m.used.command || "")}</span></div>`;
  } else if (m.replied) {
    top = `<div class="top-line"><b>@${esc(m.replied.author)}</b>
      <span class="snippet">${md(m.replied.text)}</span></div>`;
  }
  const head = compact ? "" : `<div><span class="name">${esc(m.author.display_name)}</span>${
    isBot ? '<span class="tag">APP</span>' : ""}<span class="time">${time}</span></div>`;
  let html = m.loading
    ? `<div class="thinking">${esc(m.author.display_name)} is thinking</div>`
    : `<div class="content">${md(m.content)}${m.edited_timestamp && m.content
      ? '<span class="edited">(edited)</span>' : ""}</div>`;
  html += attachmentsHtml(m) + m.embeds.map(embedHtml).join("");
  const body = document.createElement("div");
  body.className = "body";
  body.innerHTML = head + html;
  body.append(...componentsOf(m));
  if (state.failed.has(m.id)) {
    body.insertAdjacentHTML("beforeend", `<div class="failed">${esc(state.failed.get(m.id))}</div>`);
  }
  if (m.ephemeral) {
    body.insertAdjacentHTML("beforeend", `<div class="only-you">👁 Only you can see this •
      <a data-dismiss="${m.id}">Dismiss message</a></div>`);
  }
  el.innerHTML = top;
  el.insertAdjacentHTML("beforeend", compact ? "<div></div>" : avatar(m.author.id, m.author.display_name));
  el.append(body);
  return el;
}

function attachmentsHtml(m) {
  // An attachment an embed shows is not shown again (matched by path: the signed query of a
  // CDN link changes each time Discord serialises it).
  const path = (url) => String(url).split("?")[0];
  const shown = new Set();
  for (const e of m.embeds) for (const k of ["image", "thumbnail"]) if (e[k]) shown.add(path(e[k].url));
  const items = m.attachments.filter((a) => !shown.has(path(a.url))).map((a) => {
    const type = a.content_type || "";
    if (type.startsWith("image/")) return `<img src="${esc(a.url)}" alt="${esc(a.filename)}">`;
    if (type.startsWith("video/")) return `<video src="${esc(a.url)}" controls loop muted></video>`;
    return `<div class="file">📄 <a href="${esc(a.url)}" target="_blank">${esc(a.filename)}</a>
      <span class="subtext">${(a.size / 1024).toFixed(1)} KB</span></div>`;
  });
  return items.length ? `<div class="attachments">${items.join("")}</div>` : "";
}

function embedHtml(e) {
  const colour = e.color !== undefined && e.color !== null
    ? `#${Number(e.color).toString(16).padStart(6, "0")}` : "#1e1f22";
  const parts = [];
  if (e.author) parts.push(`<div class="e-author">${esc(e.author.name)}</div>`);
  if (e.title) {
    const title = md(e.title);
    parts.push(`<div class="e-title">${e.url ? `<a href="${esc(e.url)}" target="_blank">${title}</a>` : title}</div>`);
  }
  if (e.description) parts.push(`<div class="e-desc">${md(e.description)}</div>`);
  if (e.fields && e.fields.length) {
    parts.push(`<div class="e-fields">${e.fields.map((f) => `<div class="e-field${
      f.inline ? " inline" : ""}"><b>${md(f.name)}</b>${md(f.value)}</div>`).join("")}</div>`);
  }
  if (e.image) parts.push(`<div class="e-image"><img src="${esc(e.image.url)}" alt=""></div>`);
  if (e.thumbnail) parts.push(`<div class="e-thumb"><img src="${esc(e.thumbnail.url)}" alt=""></div>`);
  if (e.footer || e.timestamp) {
    const icon = e.footer && e.footer.icon_url ? `<img src="${esc(e.footer.icon_url)}" alt="">` : "";
    const stamp = e.timestamp ? new Date(e.timestamp).toLocaleString() : "";
    const text = [e.footer && e.footer.text, stamp].filter(Boolean).map(esc).join(" • ");
    parts.push(`<div class="e-footer">${icon}${text}</div>`);
  }
  return `<div class="embed" style="border-left-color:${colour}">${parts.join("")}</div>`;
}

// --- components -------------------------------------------------------------------------
function emojiText(emoji) {
  if (!emoji) return "";
  return emoji.id ? `:${emoji.name}:` : emoji.name;
}

function componentsOf(m) {
  return (m.components || []).filter((row) => row.type === 1).map((row) => {
    const el = document.createElement("div");
    el.className = "row";
    for (const c of row.components || []) {
      if (c.type === 2) el.append(buttonElement(m, c));
      else if ([3, 5, 6, 7, 8].includes(c.type)) el.append(selectElement(m, c));
    }
    return el;
  });
}

function buttonElement(m, c) {
  const tag = c.style === 5 ? "a" : "button";
  const b = document.createElement(tag);
  b.className = `btn ${STYLES[c.style] || "secondary"}`;
  b.textContent = [emojiText(c.emoji), c.label].filter(Boolean).join(" ");
  if (c.style === 5) {
    b.href = c.url;
    b.target = "_blank";
    b.rel = "noopener";
  } else {
    b.type = "button";
    b.disabled = Boolean(c.disabled);
    b.onclick = () => interact(m.id, b, { custom_id: c.custom_id });
  }
  return b;
}

function selectElement(m, c) {
  const s = document.createElement("select");
  s.className = "select";
  s.disabled = Boolean(c.disabled);
  const many = (c.max_values || 1) > 1;
  s.multiple = many;
  const options = (c.options || []).map((o) => `<option value="${esc(o.value)}"${
    o.default ? " selected" : ""}>${esc([emojiText(o.emoji), o.label].filter(Boolean).join(" "))}${
    o.description ? ` — ${esc(o.description)}` : ""}</option>`);
  s.innerHTML = (many ? "" : `<option value="" disabled ${
    (c.options || []).some((o) => o.default) ? "" : "selected"}>${esc(c.placeholder || "Make a selection")}</option>`)
    + options.join("");
  s.onchange = () => {
    const values = [...s.selectedOptions].map((o) => o.value).filter(Boolean);
    if (values.length >= (c.min_values ?? 1)) interact(m.id, s, { custom_id: c.custom_id, values });
  };
  return s;
}

async function interact(messageId, control, what) {
  control.classList.add("busy");
  const answer = await api("/play/api/component", { user: state.me, message: messageId, ...what });
  control.classList.remove("busy");
  handleAnswer(answer, messageId);
}

function handleAnswer(answer, messageId) {
  if (answer.modal) openModal(answer.modal);
  const problem = answer.failed || answer.error;
  if (!problem) return;
  if (messageId) {
    state.failed.set(messageId, problem);
    setTimeout(() => { state.failed.delete(messageId); refresh(); }, 6000);
    refresh();
  } else {
    showClientError(problem);
  }
}

function showClientError(text) {
  const box = $("client-error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showClientError.timer);
  showClientError.timer = setTimeout(() => { box.hidden = true; }, 8000);
}

