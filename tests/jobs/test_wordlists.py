"""Banned-word list files: what an upload becomes, what is refused, and the export format."""

from __future__ import annotations

import codecs

import pytest

from bot.errors import Refused
from bot.jobs.prompts import find_banned
from bot.jobs.wordlists import (
    MAX_BYTES,
    MAX_ENTRIES,
    MAX_ENTRY_CHARS,
    RejectReason,
    export_wordlist,
    parse_wordlist,
)


def test_lines_commas_comments_and_blanks() -> None:
    data = b"# my list\n\ngore\nspider, snake ,, clown  # phobias\n  \n# trailing comment\n"
    parsed = parse_wordlist(data)
    assert parsed.words == ("gore", "spider", "snake", "clown")
    assert parsed.rejected == ()
    assert parsed.duplicates == 0


def test_entries_are_normalised_like_find_banned_and_deduplicated_in_order() -> None:
    data = "Clown\nCL\u200bOWN\ncl\u00f3wn\n  Space   Ship \nspace ship\nzebra\n".encode()
    parsed = parse_wordlist(data)
    assert parsed.words == ("clown", "space ship", "zebra")
    assert parsed.duplicates == 3
    # What was stored is what the prompt check matches.
    assert find_banned("a SPACE  ship", parsed.words) == "space ship"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + "gore\ncl\u00f3wn\n".encode(),
        codecs.BOM_UTF16_LE + "gore\r\ncl\u00f3wn\r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "gore\r\ncl\u00f3wn\r\n".encode("utf-16-be"),
        "gore\rcl\u00f3wn".encode(),  # old Mac line ends
    ],
    ids=["utf8-bom", "utf16-le", "utf16-be", "cr-only"],
)
def test_encodings_and_line_ends(data: bytes) -> None:
    assert parse_wordlist(data).words == ("gore", "clown")


def test_full_width_commas_separate_entries() -> None:
    assert parse_wordlist("蛇\uff0c蜘蛛\u3001clown".encode()).words == ("蛇", "蜘蛛", "clown")


def test_bad_entries_are_reported_not_fatal() -> None:
    long_entry = "x" * (MAX_ENTRY_CHARS + 1)
    data = f"gore\n!!!, --\n{long_entry}\n\u200b\u200b\nclown\n".encode()
    parsed = parse_wordlist(data)
    assert parsed.words == ("gore", "clown")
    reasons = [(r.line, r.reason) for r in parsed.rejected]
    assert reasons == [
        (2, RejectReason.NO_LETTERS),
        (2, RejectReason.NO_LETTERS),
        (3, RejectReason.TOO_LONG),
        (4, RejectReason.NO_LETTERS),
    ]
    shown = parsed.rejected[2].text
    assert len(shown) <= 60 and shown.endswith("…")
    assert RejectReason.TOO_LONG.key == "wordlist.reason.too_long"


def test_an_entry_of_exactly_the_limit_is_kept() -> None:
    entry = "y" * MAX_ENTRY_CHARS
    assert parse_wordlist(entry.encode()).words == (entry,)


def test_at_most_max_entries_are_kept_and_the_rest_reported() -> None:
    words = [f"word{i}" for i in range(MAX_ENTRIES + 5)]
    parsed = parse_wordlist(("\n".join([*words, "word0"])).encode())
    assert parsed.words == tuple(words[:MAX_ENTRIES])
    assert [r.line for r in parsed.rejected] == list(range(MAX_ENTRIES + 1, MAX_ENTRIES + 6))
    assert {r.reason for r in parsed.rejected} == {RejectReason.OVER_LIMIT}
    assert parsed.duplicates == 1  # a repeat of a kept word is a duplicate, not over the limit


def test_empty_file_is_an_empty_list() -> None:
    parsed = parse_wordlist(b"")
    assert (parsed.words, parsed.rejected, parsed.duplicates) == ((), (), 0)


def test_too_big_is_refused_with_sizes() -> None:
    parse_wordlist(b"a\n" * (MAX_BYTES // 2))  # exactly the limit is fine
    with pytest.raises(Refused) as caught:
        parse_wordlist(b"a\n" * (MAX_BYTES // 2) + b"b")
    assert caught.value.key == "wordlist.too_big"
    assert caught.value.fields == {"size_kb": 257, "limit_kb": 256}


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image
        b"gore\n\xff\xfe\xfd",  # not UTF-8, no BOM
        "gore\nclown".encode("utf-16-le"),  # UTF-16 without a BOM: NULs everywhere
        codecs.BOM_UTF32_LE + "gore".encode("utf-32-le"),
        b"gore\x00clown",
        b"gore\x07",
        codecs.BOM_UTF16_LE + b"\x00\xd8",  # a lone surrogate
    ],
)
def test_not_text_is_refused(data: bytes) -> None:
    with pytest.raises(Refused) as caught:
        parse_wordlist(data)
    assert caught.value.key == "wordlist.not_text"


def test_tabs_are_text() -> None:
    assert parse_wordlist(b"gore\tfest\n").words == ("gore fest",)


def test_export_has_a_counted_header_and_one_entry_a_line() -> None:
    data = export_wordlist(["gore", "space ship", "gore", "  "])
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "# Banned words: 2 entries, one per line."
    assert lines[1].startswith("#")
    assert lines[2:] == ["gore", "space ship"]
    assert not data.startswith(codecs.BOM_UTF8)
    assert export_wordlist(["gore"]).decode().startswith("# Banned words: 1 entry,")
    assert parse_wordlist(export_wordlist([])).words == ()


def test_export_round_trips_through_parse() -> None:
    upload = "Gore, CL\u00d3WN\nspace  ship # comment\n蛇\nx\u200by\n".encode("utf-8-sig")
    parsed = parse_wordlist(upload)
    again = parse_wordlist(export_wordlist(parsed.words))
    assert again.words == parsed.words == ("gore", "clown", "space ship", "蛇", "xy")
    assert again.rejected == () and again.duplicates == 0
