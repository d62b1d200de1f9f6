"""Banned-word lists as files: a moderator uploads one to replace or extend the guild's list,
and downloads the current list in the same format.

The format: UTF-8 (a BOM is fine) or UTF-16 with a BOM, as Windows Notepad saves it; one
entry per line or several separated by commas; everything from a `#` to the end of the line
is a comment. Entries are stored normalised (`prompts.normalise`), since that is all
`find_banned` compares. A bad line is reported and skipped; only a file that is too big or
not text at all is refused, as a `Refused` with the key `wordlist.too_big` or
`wordlist.not_text`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import Refused
from bot.jobs.prompts import normalise

MAX_BYTES = 256 * 1024
MAX_ENTRIES = 1000
MAX_ENTRY_CHARS = 100
# Rejected entries are echoed back to the moderator: enough of each to recognise it.
_SHOWN_CHARS = 60
# Full-width and ideographic commas (Chinese and Japanese keyboards) separate entries too.
_SEPARATORS = re.compile(r"[,\uff0c\u3001]")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class RejectReason(StrEnum):
    """Why one entry was skipped; `key` names its sentence in bot/messages.py."""

    TOO_LONG = "too_long"  # over MAX_ENTRY_CHARS after normalisation
    NO_LETTERS = "no_letters"  # only punctuation or invisible characters: would match anything
    OVER_LIMIT = "over_limit"  # past the first MAX_ENTRIES distinct entries

    @property
    def key(self) -> str:
        return f"wordlist.reason.{self.value}"


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int  # 1-based, as an editor shows it
    text: str  # the entry as typed, shortened for display
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class ParsedList:
    words: tuple[str, ...]  # normalised, distinct, in file order
    rejected: tuple[Rejection, ...] = ()
    duplicates: int = 0  # entries dropped because an earlier one was the same once normalised


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # reads the BOM to pick the byte order
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise Refused("wordlist.not_text") from None
    # NUL and other control characters mean a binary file (or UTF-32, or UTF-16 without
    # a BOM, which decodes as UTF-8 full of NULs): refuse rather than import garbage.
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in text):
        raise Refused("wordlist.not_text")
    return text


def _shown(entry: str) -> str:
    entry = " ".join(entry.split())
    return entry if len(entry) <= _SHOWN_CHARS else entry[: _SHOWN_CHARS - 1] + "…"


def parse_wordlist(data: bytes) -> ParsedList:
    """The entries of an uploaded list; raises Refused only for the file as a whole."""
    if len(data) > MAX_BYTES:
        raise Refused("wordlist.too_big", size_kb=-(-len(data) // 1024), limit_kb=MAX_BYTES // 1024)
    text = _decode(data)
    words: dict[str, None] = {}
    rejected: list[Rejection] = []
    duplicates = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for raw in _SEPARATORS.split(line.split("#", 1)[0]):
            if not raw.strip():
                continue  # blank line, or an empty slot between commas
            word = normalise(raw)
            reason: RejectReason | None = None
            if not any(c.isalnum() for c in word):
                reason = RejectReason.NO_LETTERS
            elif len(word) > MAX_ENTRY_CHARS:
                reason = RejectReason.TOO_LONG
            elif word in words:
                duplicates += 1
                continue
            elif len(words) >= MAX_ENTRIES:
                reason = RejectReason.OVER_LIMIT
            if reason is not None:
                rejected.append(Rejection(number, _shown(raw), reason))
                continue
            words[word] = None
    return ParsedList(tuple(words), tuple(rejected), duplicates)


def export_wordlist(words: Iterable[str]) -> bytes:
    """The list as an uploadable file (UTF-8, no BOM): a header comment, one entry a line.

    Every list `parse_wordlist` produced comes back unchanged. A word stored some other way
    that contains a comma or `#` would be split or cut on re-import: those characters cannot
    be escaped in this format, and no banned word needs them.
    """
    distinct = list(dict.fromkeys(" ".join(w.split()) for w in words))
    distinct = [w for w in distinct if w]
    count = len(distinct)
    header = [
        f"# Banned words: {count} {'entry' if count == 1 else 'entries'}, one per line.",
        "# Lines starting with # are comments; commas also separate entries.",
    ]
    return ("\n".join([*header, *distinct]) + "\n").encode("utf-8")
