"""Prompt multipliers: how many paid jobs one prompt would start.

Midjourney expands permutations (`a {red, blue} bird` is two jobs, `{a,b,c} {d,e}` six) and
`--repeat N` (`--r N`) into separate jobs, each charged. The bot must count them before
anything is sent: a prompt passed upstream as one job would make upstream run (and bill)
several while the bot charges one. Counting saturates at CAP so a hostile prompt with dozens
of groups costs nothing to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CAP = 10_000
MAX_REPEAT = 40  # Midjourney's own ceiling for --repeat
_REPEAT = re.compile(r"(?:^|\s)--(?:repeat|r)(?=\s|$)(?:\s+(\S+))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Multipliers:
    repeat: int = 1
    permutations: int = 1

    @property
    def jobs(self) -> int:
        return min(CAP, self.repeat * self.permutations)

    def describe(self) -> str:
        """What multiplies the prompt, in words (for the refusal sentence)."""
        parts = []
        if self.permutations > 1:
            parts.append(f"{self.permutations} permutations")
        if self.repeat > 1:
            parts.append(f"--repeat {self.repeat}")
        return " × ".join(parts) or "one job"


class BadRepeat(ValueError):
    """`--repeat` without a whole number from 1 to MAX_REPEAT."""


def _options(text: str, start: int) -> tuple[list[str], int] | None:
    """The comma-separated options of the group opening at `start` and the index after its
    closing brace; None when the brace is never closed (then it is plain text)."""
    depth, options, current, i = 0, [], [], start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):  # "\," is a literal comma inside a group
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                options.append("".join(current))
                return options, i + 1
            depth -= 1
        elif char == "," and depth == 0:
            options.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    return None


def count_permutations(text: str, _depth: int = 0) -> int:
    """Jobs the brace groups of `text` expand to (nested groups multiply within an option)."""
    if _depth > 8:  # deeper nesting than any real prompt: counted as the cap
        return CAP
    total, i = 1, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] != "{":
            i += 1
            continue
        parsed = _options(text, i)
        if parsed is None:
            break
        options, i = parsed
        group = sum(count_permutations(o, _depth + 1) for o in options if o.strip()) or 1
        total = min(CAP, total * min(CAP, group))
    return total


def count(prompt: str) -> Multipliers:
    """The multipliers of a prompt whose dashes are already normalised to `--`."""
    repeat = 1
    for match in _REPEAT.finditer(prompt):
        value = match.group(1) or ""
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_REPEAT:
            raise BadRepeat(value)
        repeat = max(repeat, int(value))
    return Multipliers(repeat=repeat, permutations=count_permutations(prompt))


def expand(prompt: str, limit: int) -> list[str]:
    """The prompts a multiplied prompt stands for, as Midjourney expands them: every choice of
    every brace group (nested ones too), each `--repeat` times, the `--repeat` itself removed.
    Call it only after `count` said there are at most `limit` (it stops there anyway)."""
    found = count(prompt)
    plain = " ".join(_REPEAT.sub(" ", prompt).split())
    return [p for p in _permute(plain) for _ in range(found.repeat)][:limit]


def _permute(text: str) -> list[str]:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "{":
            parsed = _options(text, i)
            if parsed is None:
                break
            options, end = parsed
            head, tail = text[:i], text[end:]
            results: list[str] = []
            for option in (o.strip() for o in options):
                if option:
                    results.extend(_permute(head + option + tail))
            return results or [" ".join((head + tail).split())]
        i += 1
    return [" ".join(text.replace("\\,", ",").split())]
