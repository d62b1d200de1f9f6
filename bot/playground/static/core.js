// The playground's page: a small Discord client for the local stand-in. It renders the
// messages exactly as the bot sent them (Discord's JSON) and sends what a person does (slash
// commands, clicks, selects, modal forms) as real interactions through /play/api.
// Plain scripts, no build step, loaded in order: core (state, requests), messages (rendering,
// components), composer (the command box), modal, play (sidebar, wiring, start).
"use strict";

const $ = (id) => document.getElementById(id);
const esc = window.Markdown.escape;
const STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link" };
const COLOURS = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#757e8a"];
const TYPES = { STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, NUMBER: 10,
  ATTACHMENT: 11 };

const state = {
  world: null, me: null, channel: null, commands: [], rendered: new Map(), failed: new Map(),
  command: null, popup: [], active: 0, modal: null, loading: false, again: false,
  dismissed: new Set(), stick: true,
};

// --- talking to the playground ----------------------------------------------------------
async function api(path, body) {
  const init = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body } : {
      method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
    };
  try {
    const response = await fetch(path, init);
    return await response.json();
  } catch (err) {
    return { error: "The playground is not answering: is `mjbot play` still running?" };
  }
}

function names() {
  const people = new Map(state.world.people.map((p) => [p.id, p.name]));
  people.set(state.world.bot.id, state.world.bot.name);
  const channels = new Map(state.world.channels.map((c) => [c.id, c.name]));
  return {
    user: (id) => people.get(id) || "unknown-user",
    channel: (id) => channels.get(id) || "unknown-channel",
  };
}
const md = (text) => window.Markdown.render(text, names());

function colourOf(id) {
  if (state.world && id === state.world.bot.id) return "#7c3aed";
  let n = 0;
  for (const ch of String(id)) n = (n * 31 + ch.charCodeAt(0)) % 9973;
  return COLOURS[n % COLOURS.length];
}

function avatar(id, name, size = "") {
  const isBot = state.world && id === state.world.bot.id;
  const letters = isBot ? "MJ" : (name || "?").slice(0, 1).toUpperCase();
  return `<div class="avatar ${size}" style="background:${colourOf(id)}">${esc(letters)}</div>`;
}

