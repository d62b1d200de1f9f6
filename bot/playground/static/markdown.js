// Discord's markdown, enough of it for what bots send: code, bold, italics, underline,
// strikethrough, links, quotes, headings, subtext, mentions and timestamps. Escapes first, so
// nothing a message says can become HTML.
"use strict";

window.Markdown = (() => {
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);

  function when(seconds, style) {
    const date = new Date(Number(seconds) * 1000);
    if (style === "R") {
      const diff = Math.round((date - Date.now()) / 1000);
      const abs = Math.abs(diff);
      const [n, unit] = abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"]
        : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
      const span = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return diff >= 0 ? `in ${span}` : `${span} ago`;
    }
    if (style === "t" || style === "T") return date.toLocaleTimeString();
    if (style === "d" || style === "D") return date.toLocaleDateString();
    return date.toLocaleString();
  }

  function inline(text, names) {
    const codes = [];
    let out = escape(text).replace(/`([^`\n]+)`/g, (_, code) => {
      codes.push(code);
      return `\u0000${codes.length - 1}\u0000`;
    });
    out = out
      .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g,
        '<a href="$2" target="_blank" rel="noopener">$1</a>')
      .replace(/(^|[^"'>])(https?:\/\/[^\s<]+)/g,
        '$1<a href="$2" target="_blank" rel="noopener">$2</a>')
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/__([^_]+)__/g, "<u>$1</u>")
      .replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<em>$2</em>")
      .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,!?]|$)/g, "$1<em>$2</em>")
      .replace(/~~([^~]+)~~/g, "<s>$1</s>")
      .replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `<span class="mention">@${escape(names.user(id))}</span>`)
      .replace(/&lt;#(\d+)&gt;/g, (_, id) => `<span class="mention">#${escape(names.channel(id))}</span>`)
      .replace(/&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;/g, (_, s, style) => `<span class="mention">${escape(when(s, style))}</span>`);
    return out.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${codes[Number(i)]}</code>`);
  }

  function render(text, names) {
    if (!text) return "";
    const parts = String(text).split(/```(?:[a-z]*\n)?([\s\S]*?)```/g);
    return parts.map((part, i) => {
      if (i % 2 === 1) return `<pre><code>${escape(part)}</code></pre>`;
      return part.split("\n").map((line) => {
        let m;
        if ((m = line.match(/^-# (.*)/))) return `<span class="subtext">${inline(m[1], names)}</span>`;
        if ((m = line.match(/^(#{1,3}) (.*)/))) {
          const size = [0, 1.5, 1.25, 1.1][m[1].length];
          return `<strong style="font-size:${size}em">${inline(m[2], names)}</strong>`;
        }
        if ((m = line.match(/^> (.*)/))) return `<blockquote>${inline(m[1], names)}</blockquote>`;
        return inline(line, names);
      }).join("\n");
    }).join("");
  }

  return { render, escape };
})();
