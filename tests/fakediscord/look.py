"""Messages as a person sees them: a Discord-like HTML page of fake messages (dark theme,
embed colour bar, fields, the attached image, buttons), for screenshots in headless Chromium.

Only what the bot sends is drawn; everything is inline (images as data URLs), so the page
needs no server and nothing from the internet.
"""

from __future__ import annotations

import base64
import html
import re
import time
from collections.abc import Iterable
from typing import Any

from bot.playground.standin.messages import FakeMessage

_CSS = """
body{background:#313338;color:#dbdee1;font:15px/1.375 'DejaVu Sans',sans-serif;margin:0;
padding:16px}
.msg{display:flex;gap:12px;margin:0 0 18px}.avatar{width:40px;height:40px;border-radius:50%;
background:#5865f2;flex:none}.who{font-weight:600;color:#f2f3f5}.tag{background:#5865f2;color:#fff;
font-size:10px;border-radius:3px;padding:1px 4px;margin-left:4px}.note{color:#949ba4;font-size:12px}
.embed{background:#2b2d31;border-left:4px solid #5865f2;border-radius:4px;
padding:8px 16px 16px 12px;max-width:520px;margin-top:4px}.field{margin-top:8px}
.fname{font-weight:600;color:#f2f3f5;font-size:14px}
.inline{display:inline-block;min-width:150px;vertical-align:top;margin-right:16px}
.footer{color:#949ba4;font-size:12px;margin-top:8px}.embed img{max-width:100%;border-radius:4px;
margin-top:12px}.row{display:flex;gap:8px;margin-top:8px;flex-wrap:wrap}.btn{background:#4e5058;
color:#fff;border-radius:3px;padding:2px 14px;min-height:32px;display:flex;align-items:center;
font-size:14px}.btn.primary{background:#5865f2}.btn.disabled{opacity:.5}.eph{color:#00a8fc;
font-size:12px;margin-top:4px}.content{white-space:pre-wrap}
"""
_STYLES = {1: "primary", 2: "", 3: "primary", 4: "", 5: ""}


def _colour(embed: dict[str, Any]) -> str:
    value = embed.get("color")
    return f"#{int(value):06x}" if isinstance(value, int) else "#5865f2"


def _relative(match: re.Match[str]) -> str:
    """Discord shows `<t:unix:R>` in the reader's words, like "in 23 hours"."""
    seconds = int(match.group(1)) - time.time()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if abs(seconds) >= size:
            count = round(abs(seconds) / size)
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if seconds > 0 else f"{words} ago"
    return "in a few seconds" if seconds > 0 else "a few seconds ago"


def _text(value: object, names: dict[str, str] | None = None) -> str:
    # Discord renders **bold**, a user mention as @name and a timestamp in words.
    escaped = html.escape(re.sub(r"<t:(\d+):R>", _relative, str(value)))
    for mention, name in (names or {}).items():
        escaped = escaped.replace(html.escape(mention), f"@{html.escape(name)}")
    parts = escaped.split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def _image(message: FakeMessage, url: str) -> str:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    for attachment in message.attachments:
        if attachment.filename == name or url.endswith(attachment.filename):
            kind = attachment.filename.rsplit(".", 1)[-1].replace("jpg", "jpeg")
            data = base64.b64encode(attachment.data).decode()
            return f'<img src="data:image/{kind};base64,{data}">'
    return f'<div class="note">[image at {html.escape(url)}]</div>'


def _embed(message: FakeMessage, embed: dict[str, Any], names: dict[str, str]) -> str:
    out = [f'<div class="embed" style="border-left-color:{_colour(embed)}">']
    if embed.get("title"):
        out.append(f'<div class="fname">{_text(embed["title"])}</div>')
    if embed.get("description"):
        out.append(f'<div class="content">{_text(embed["description"], names)}</div>')
    for field in embed.get("fields") or []:
        inline = " inline" if field.get("inline") else ""
        out.append(
            f'<div class="field{inline}"><div class="fname">{_text(field.get("name", ""))}</div>'
            f'<div class="content">{_text(field.get("value", ""), names)}</div></div>'
        )
    image = (embed.get("image") or {}).get("url")
    if image:
        out.append(_image(message, str(image)))
    if (embed.get("footer") or {}).get("text"):
        out.append(f'<div class="footer">{_text(embed["footer"]["text"])}</div>')
    out.append("</div>")
    return "".join(out)


def _buttons(message: FakeMessage) -> str:
    rows = []
    for row in message.components:
        cells = []
        for button in row.get("components") or []:
            label = button.get("label") or ""
            emoji = (button.get("emoji") or {}).get("name") or ""
            classes = ["btn", _STYLES.get(int(button.get("style", 2)), "")]
            if button.get("disabled"):
                classes.append("disabled")
            text = html.escape(f"{emoji} {label}".strip())
            cells.append(f'<div class="{" ".join(c for c in classes if c)}">{text}</div>')
        rows.append(f'<div class="row">{"".join(cells)}</div>')
    return "".join(rows)


def render(
    messages: Iterable[FakeMessage], *, title: str = "", names: dict[int, str] | None = None
) -> str:
    """A whole page showing `messages` in order, as the channel shows them; `names` turns
    user mentions into @names as Discord shows them."""
    mentions = {f"<@{uid}>": name for uid, name in (names or {}).items()}
    body = []
    for message in messages:
        who = html.escape(message.author.username)
        tag = '<span class="tag">APP</span>' if message.author.bot else ""
        parts = [f'<div class="who">{who}{tag}</div>']
        if message.content:
            parts.append(f'<div class="content">{_text(message.content, mentions)}</div>')
        parts += [_embed(message, e, mentions) for e in message.embeds]
        if not message.embeds:
            parts += [_image(message, a.filename) for a in message.attachments]
        parts.append(_buttons(message))
        if message.ephemeral:
            parts.append('<div class="eph">Only you can see this</div>')
        inner = "".join(parts)
        body.append(f'<div class="msg"><div class="avatar"></div><div>{inner}</div></div>')
    heading = f'<div class="note"># {html.escape(title)}</div>' if title else ""
    head = f"<!doctype html><html><head><style>{_CSS}</style></head>"
    return f"{head}<body>{heading}{''.join(body)}</body></html>"
