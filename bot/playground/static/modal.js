// Modals the bot opens: text inputs, selects and file uploads, sent back as a modal submit.
"use strict";

// --- modals -----------------------------------------------------------------------------
function openModal(modal) {
  state.modal = modal;
  $("modal-title").textContent = modal.title;
  $("modal-error").hidden = true;
  $("modal-body").innerHTML = modal.components.map((top) => {
    if (top.type === 1) return (top.components || []).map((c) => fieldHtml(c, c.label)).join("");
    if (top.type === 18) return fieldHtml(top.component, top.label, top.description);
    if (top.type === 10) return `<div class="field">${md(top.content)}</div>`;
    return "";
  }).join("");
  $("modal-layer").hidden = false;
  const first = $("modal-body").querySelector("input, textarea, select");
  if (first) first.focus();
}

function fieldHtml(c, label, description) {
  const required = c.required !== false;
  const head = `<label for="f-${esc(c.custom_id)}">${esc(label || c.custom_id)}${
    required ? ' <span class="req">*</span>' : ""}</label>${description ? `<div class="desc">${esc(description)}</div>` : ""}`;
  const common = `id="f-${esc(c.custom_id)}" data-field="${esc(c.custom_id)}" data-kind="${c.type}"`;
  let input = "";
  if (c.type === 4) {
    const attrs = `${common} placeholder="${esc(c.placeholder || "")}"${
      c.max_length ? ` maxlength="${c.max_length}"` : ""}`;
    input = c.style === 2 ? `<textarea ${attrs}>${esc(c.value || "")}</textarea>`
      : `<input type="text" ${attrs} value="${esc(c.value || "")}">`;
  } else if (c.type === 3) {
    input = `<select ${common}${(c.max_values || 1) > 1 ? " multiple" : ""}>${
      (c.options || []).map((o) => `<option value="${esc(o.value)}"${o.default ? " selected" : ""}>${
        esc(o.label)}</option>`).join("")}</select>`;
  } else if (c.type === 19) {
    input = `<input type="file" ${common}${(c.max_values || 1) > 1 ? " multiple" : ""}>`;
  } else {
    input = `<div class="subtext">This kind of field (${c.type}) is not shown in the playground.</div>`;
  }
  return `<div class="field">${head}${input}</div>`;
}

function closeModal() { $("modal-layer").hidden = true; state.modal = null; }

async function submitModal(event) {
  event.preventDefault();
  const values = {};
  const form = new FormData();
  for (const el of $("modal-body").querySelectorAll("[data-field]")) {
    const id = el.dataset.field;
    if (el.dataset.kind === "19") for (const f of el.files) form.append(`file:${id}`, f, f.name);
    else if (el.dataset.kind === "3") values[id] = [...el.selectedOptions].map((o) => o.value);
    else values[id] = el.value;
  }
  form.append("json", JSON.stringify({ user: state.me, modal: state.modal.id, values }));
  $("modal-submit").disabled = true;
  const answer = await api("/play/api/modal", form);
  $("modal-submit").disabled = false;
  if (answer.error) {
    $("modal-error").textContent = answer.error;
    $("modal-error").hidden = false;
    return;
  }
  closeModal();
  handleAnswer(answer);
}

