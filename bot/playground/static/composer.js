// The message box: "/" lists the commands this person sees; a picked command shows its
// options (choices, numbers, files, autocomplete); Enter sends it as an interaction.
"use strict";

// --- the command box --------------------------------------------------------------------
function showPopup(items, pick) {
  state.popup = items;
  state.active = 0;
  state.pick = pick;
  const box = $("popup");
  box.hidden = !items.length;
  box.innerHTML = items.map((item, i) => `<div class="item${i === 0 ? " active" : ""}" data-i="${i}">
    <b>${esc(item.title)}</b><span>${esc(item.detail || "")}</span></div>`).join("");
}

function hidePopup() { $("popup").hidden = true; state.popup = []; }

function movePopup(step) {
  if (!state.popup.length) return;
  state.active = (state.active + step + state.popup.length) % state.popup.length;
  [...$("popup").children].forEach((el, i) => el.classList.toggle("active", i === state.active));
}

function suggestCommands() {
  const text = $("box").value;
  if (state.command || !text.startsWith("/")) { hidePopup(); return; }
  const typed = text.slice(1).trim().toLowerCase();
  const found = state.commands.filter((c) => c.name.startsWith(typed) || c.name.includes(typed));
  showPopup(found.map((c) => ({ title: `/${c.name}`, detail: c.description, command: c })),
    (item) => startCommand(item.command));
}

function startCommand(command) {
  state.command = command;
  hidePopup();
  $("box").value = "";
  $("box").hidden = true;
  $("command-pill").hidden = false;
  $("command-pill").textContent = `/${command.name}`;
  const required = command.options.filter((o) => o.required);
  const optional = command.options.filter((o) => !o.required);
  $("options").innerHTML = required.map(optionHtml).join("") + (optional.length
    ? `<button type="button" class="more" id="more-options">+ ${optional.length} optional</button>
       <span id="optional" hidden>${optional.map(optionHtml).join("")}</span>` : "");
  const more = $("more-options");
  if (more) {
    more.onclick = () => {
      $("optional").hidden = false;
      more.remove();
      const field = $("optional").querySelector("input, select");
      if (field) field.focus();
    };
  }
  // With no options to fill, the box itself takes Enter (and Esc).
  const visible = ":scope > .opt input, :scope > .opt select";  // not the folded optional ones
  const first = $("options").querySelector(visible) || more || $("composer");
  $("composer-hint").textContent = "Enter sends the command · Esc cancels";
  first.focus();
}

function optionHtml(o) {
  const name = esc(o.name);
  const title = esc(o.description || "");
  let field;
  if (o.choices && o.choices.length) {
    field = `<select data-opt="${name}"><option value=""></option>${o.choices.map((c) =>
      `<option value="${esc(c.value)}">${esc(c.name)}</option>`).join("")}</select>`;
  } else if (o.type === TYPES.BOOLEAN) {
    field = `<select data-opt="${name}"><option value=""></option><option value="true">True</option>
      <option value="false">False</option></select>`;
  } else if (o.type === TYPES.ATTACHMENT) {
    field = `<input type="file" data-opt="${name}">`;
  } else if (o.type === TYPES.INTEGER || o.type === TYPES.NUMBER) {
    field = `<input type="number" data-opt="${name}" step="${o.type === TYPES.INTEGER ? 1 : "any"}"${
      o.min_value !== undefined ? ` min="${o.min_value}"` : ""}${o.max_value !== undefined ? ` max="${o.max_value}"` : ""}>`;
  } else {
    field = `<input type="text" data-opt="${name}"${o.autocomplete ? " data-auto" : ""}${
      o.max_length ? ` maxlength="${o.max_length}"` : ""}>`;
  }
  return `<label class="opt${o.required ? " required" : ""}" title="${title}"><span>${name}</span>${field}</label>`;
}

function endCommand() {
  state.command = null;
  $("options").innerHTML = "";
  $("command-pill").hidden = true;
  $("box").hidden = false;
  $("box").value = "";
  $("composer-hint").textContent = "";
  hidePopup();
}

function optionValues() {
  const values = {};
  const files = [];
  for (const el of $("options").querySelectorAll("[data-opt]")) {
    const o = state.command.options.find((x) => x.name === el.dataset.opt);
    if (el.type === "file") { if (el.files.length) files.push([o.name, el.files[0]]); continue; }
    if (el.value === "") continue;
    if (o.type === TYPES.BOOLEAN) values[o.name] = el.value === "true";
    else if (o.type === TYPES.INTEGER) values[o.name] = parseInt(el.value, 10);
    else if (o.type === TYPES.NUMBER) values[o.name] = parseFloat(el.value);
    else values[o.name] = el.value;
  }
  return { values, files };
}

async function sendCommand() {
  const command = state.command;
  const { values, files } = optionValues();
  const missing = command.options.filter((o) => o.required && values[o.name] === undefined
    && !files.some(([n]) => n === o.name));
  if (missing.length) {
    showClientError(`Fill in ${missing.map((o) => o.name).join(", ")} first.`);
    return;
  }
  const form = new FormData();
  form.append("json", JSON.stringify({
    user: state.me, channel: state.channel, command: command.name, options: values,
  }));
  for (const [name, file] of files) form.append(`file:${name}`, file, file.name);
  endCommand();
  $("box").focus();
  handleAnswer(await api("/play/api/command", form));
}

let autoTimer = null;
function autocomplete(input) {
  clearTimeout(autoTimer);
  autoTimer = setTimeout(async () => {
    const { values } = optionValues();
    const answer = await api("/play/api/autocomplete", {
      user: state.me, channel: state.channel, command: state.command.name,
      focused: input.dataset.opt, value: input.value, options: values,
    });
    if (answer.error) { showClientError(answer.error); return; }
    showPopup((answer.choices || []).map((c) => ({ title: c.name, value: c.value })), (item) => {
      input.value = item.value;
      hidePopup();
      input.focus();
    });
  }, 200);
}

async function sendText() {
  const content = $("box").value.trim();
  if (!content) return;
  $("box").value = "";
  const answer = await api("/play/api/send", { user: state.me, channel: state.channel, content });
  if (answer.error) showClientError(answer.error);
}

