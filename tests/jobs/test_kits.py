"""Style kits without Discord: what a moderator may save, how a kit joins a member's prompt,
and the per-guild cap on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.kits import KitsRepository, StyleKit
from bot.errors import Refused
from bot.jobs.defaults import _names, _without
from bot.jobs.kits import MAX_KITS, apply_kit, make_kit, publish
from bot.jobs.prompts import DEFAULT_BANNED, ImagineOptions, build_prompt, check_prompt

GUILD, MOD, NOW = 1, 13, 1_700_000_000.0


def new(
    name: str = "noir",
    params: str = "--sref 123 --stylize 250 --v 7",
    suffix: str = "",
    description: str = "",
) -> StyleKit:
    return make_kit(GUILD, name, params, suffix, description, MOD, NOW)


def refusal(**fields: str) -> Refused:
    with pytest.raises(Refused) as caught:
        new(**fields)
    return caught.value


# --- what a kit may hold -----------------------------------------------------------------


def test_a_good_kit_is_normalised() -> None:
    made = new(
        name="  Film \t NOIR ",
        params=" --sref 123 https://cdn.example/a-b.png::2  --Stylize 250 —v 7 --tile",
        suffix="  grainy,\n black and white ",
        description=" Moody\nstreet shots ",
    )
    assert made == StyleKit(
        guild_id=GUILD,
        name="film noir",
        params="--sref 123 https://cdn.example/a-b.png::2 --stylize 250 --v 7 --tile",
        suffix="grainy, black and white",
        description="Moody street shots",
        created_by=MOD,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    "params",
    [
        "--ar 16:9 --chaos 10 --weird 100 --seed 42 --iw 1.5 --q 1 --no text, watermark",
        "--aspect 2:3 --c 5 --w 20 --s 0 --quality 2 --version 6.1 --raw",
        "--niji 6 --style raw --cref https://x.example/c.png --oref https://x.example/o.png",
        "--niji --stop 80 --sw 200 --sv 4 --cw 50 --ow 100 --exp 10 --p abc123 def456",
        "--sref random --profile",
        "",
    ],
)
def test_style_parameters_are_accepted(params: str) -> None:
    assert new(params=params, suffix="ink").params == params


def test_a_name_of_the_longest_length_is_accepted() -> None:
    assert new(name="a-b_c " + "x" * 26).name == "a-b_c " + "x" * 26


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 33, "noir!", "café", "a\u200bb", "film/noir", "<@123>"]
)
def test_bad_names_are_refused(name: str) -> None:
    caught = refusal(name=name)
    assert (caught.key, caught.fields) == ("kit.bad_name", {"most": 32})


@pytest.mark.parametrize(
    "params", ["--stylize 5000", "--v 9", "--ar 100:1", "--ar 16-9", "--chaos abc", "--q 9"]
)
def test_bad_params_are_refused_as_in_a_prompt(params: str) -> None:
    """The same key and fields (so the same sentence) as the prompt checks give."""
    with pytest.raises(Refused) as in_prompt:
        check_prompt(f"a cat {params}", DEFAULT_BANNED)
    caught = refusal(params=params)
    assert caught.key == "prompt.bad_param"
    assert (caught.key, caught.fields) == (in_prompt.value.key, in_prompt.value.fields)


@pytest.mark.parametrize(
    ("params", "param", "why"),
    [
        ("--stylize", "--stylize", "it needs a value"),
        ("--sref --v 7", "--sref", "it needs a value"),
        ("--stylize -5", "--stylize", "it can't be negative"),
        ("--version 9", "--v", "versions are 5, 5.1, 5.2, 6, 6.1, 7, 8, 8.1"),
        ("--niji 4", "--niji", "niji versions are 5, 6, 7"),
        ("--stop soon", "--stop", "not a number"),
        ("--sw nan", "--sw", "not a number"),
    ],
)
def test_params_without_a_good_value_are_refused(params: str, param: str, why: str) -> None:
    caught = refusal(params=params)
    assert (caught.key, caught.fields) == ("prompt.bad_param", {"param": param, "why": why})


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ("--repeat 2", "--repeat"),  # would multiply paid jobs
        ("--r 2", "--r"),
        ("--turbo", "--turbo"),  # speed is the member's choice
        ("--zoom 2", "--zoom"),
        ("--sref 1 --foo 1", "--foo"),
        ("--", "--"),
    ],
)
def test_unknown_params_are_refused(params: str, param: str) -> None:
    caught = refusal(params=params)
    assert (caught.key, caught.fields) == ("kit.unknown_param", {"param": param})


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ("a cat --sref 123", "a cat"),
        ("watercolor", "watercolor"),
        ("--stylize 250 watercolor wash", "watercolor wash"),
        ("--tile yes --v 7", "yes"),
        ("--sref 123 watercolor --v 7", "watercolor"),
        ("--style raw soft", "soft"),
    ],
)
def test_free_text_in_params_is_refused(params: str, text: str) -> None:
    caught = refusal(params=params)
    assert (caught.key, caught.fields) == ("kit.params_text", {"text": text})


@pytest.mark.parametrize(
    ("params", "param"),
    [("--s 100 --stylize 200", "--stylize"), ("--v 7 --niji 6", "--niji"), ("--q 1 --q 2", "--q")],
)
def test_a_setting_given_twice_is_refused(params: str, param: str) -> None:
    caught = refusal(params=params)
    assert (caught.key, caught.fields) == ("kit.duplicate_param", {"param": param})


@pytest.mark.parametrize(
    ("suffix", "param"),
    [("watercolor --ar 2:3", "--ar"), ("--v 7", "--v"), ("soft —stylize 100", "--stylize")],
)
def test_params_in_the_suffix_are_refused(suffix: str, param: str) -> None:
    caught = refusal(suffix=suffix)
    assert (caught.key, caught.fields) == ("kit.suffix_params", {"param": param})


def test_dashes_inside_words_are_not_params() -> None:
    assert new(suffix="a well--known look -- soft").suffix == "a well--known look -- soft"


@pytest.mark.parametrize(
    ("fields", "field", "length", "limit"),
    [
        ({"params": "--no " + "x" * 296}, "parameters", 301, 300),
        ({"suffix": "x" * 201}, "suffix", 201, 200),
        ({"description": "x" * 101}, "description", 101, 100),
    ],
)
def test_too_long_texts_are_refused(
    fields: dict[str, str], field: str, length: int, limit: int
) -> None:
    caught = refusal(**fields)
    assert (caught.key, caught.fields) == (
        "kit.too_long",
        {"field": field, "length": length, "limit": limit},
    )


def test_the_longest_texts_are_accepted() -> None:
    made = new(params="--no " + "x" * 295, suffix="y" * 200, description="z" * 100)
    assert (len(made.params), len(made.suffix), len(made.description)) == (300, 200, 100)


def test_an_empty_kit_is_refused() -> None:
    assert refusal(params="  ", suffix=" ").key == "kit.empty"


@pytest.mark.parametrize(
    ("fields", "count"),
    [({"suffix": "{red, blue} ink"}, 2), ({"params": "--no {a,b,c}"}, 3)],
)
def test_a_kit_that_would_start_several_jobs_is_refused(fields: dict[str, str], count: int) -> None:
    caught = refusal(**fields)
    assert (caught.key, caught.fields) == (
        "kit.multiplies",
        {"how": f"{count} permutations", "count": count},
    )


# --- applying a kit ----------------------------------------------------------------------

KIT = make_kit(GUILD, "noir", "--sref 123 --stylize 250 --v 7", "grainy film", "", MOD, NOW)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a cat", "a cat grainy film --sref 123 --stylize 250 --v 7"),
        # The member's own parameters win, under any of their spellings.
        ("a cat --stylize 50", "a cat grainy film --stylize 50 --sref 123 --v 7"),
        ("a cat --s 50", "a cat grainy film --s 50 --sref 123 --v 7"),
        ("a cat --niji 6 --ar 2:3", "a cat grainy film --niji 6 --ar 2:3 --sref 123 --stylize 250"),
        ("a cat —S 50", "a cat grainy film --S 50 --sref 123 --v 7"),
        # The suffix goes before the member's parameters, never into their values.
        ("a cat --no dogs", "a cat grainy film --no dogs --sref 123 --stylize 250 --v 7"),
        ("  a   cat  ", "a cat grainy film --sref 123 --stylize 250 --v 7"),
    ],
)
def test_apply_kit(prompt: str, expected: str) -> None:
    assert apply_kit(prompt, KIT) == expected


def test_typed_options_win_over_the_kit() -> None:
    options = ImagineOptions(stylize=10, version="niji 6")
    applied = apply_kit("a cat", KIT, options=options)
    assert applied == "a cat grainy film --sref 123"
    assert build_prompt(applied, options) == "a cat grainy film --sref 123 --niji 6 --stylize 10"


@pytest.mark.parametrize("prompt", ["a cat", "a cat --stylize 50", "a cat --v 6 --tile"])
def test_params_are_dropped_as_defaults_drops_a_channel_suffix(prompt: str) -> None:
    only_params = make_kit(GUILD, "x", KIT.params, "", "", MOD, NOW)
    expected = f"{prompt} {_without(KIT.params, _names(prompt))}".strip()
    assert apply_kit(prompt, only_params) == expected


def test_an_applied_kit_passes_the_prompt_checks() -> None:
    applied = apply_kit("a cat --ar 2:3", KIT)
    assert check_prompt(applied, DEFAULT_BANNED) == applied


# --- saving, the cap, lookups --------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "bot.db", clock=lambda: NOW) as database:
        yield database


async def test_publish_caps_new_kits_but_allows_replacing(db: Database) -> None:
    assert MAX_KITS == 25
    for i in range(MAX_KITS):
        assert await publish(db, new(name=f"kit {i:02d}")) is True
    with pytest.raises(Refused) as caught:
        await publish(db, new(name="one more"))
    assert (caught.value.key, caught.value.fields) == ("kit.too_many", {"most": MAX_KITS})
    assert await publish(db, new(name="KIT 03", suffix="replaced")) is False
    kits = KitsRepository(db)
    assert await kits.count(GUILD) == MAX_KITS
    replaced = await kits.get(GUILD, "kit 03")
    assert replaced is not None and replaced.suffix == "replaced"


async def test_two_moderators_adding_at_once_do_not_pass_the_cap(db: Database) -> None:
    await publish(db, new(name="first"), limit=2)
    results = await asyncio.gather(
        publish(db, new(name="second"), limit=2),
        publish(db, new(name="third"), limit=2),
        return_exceptions=True,
    )
    assert results[0] is True
    assert isinstance(results[1], Refused) and results[1].key == "kit.too_many"
    assert await KitsRepository(db).count(GUILD) == 2


async def test_a_saved_kit_is_found_whatever_the_case(db: Database) -> None:
    await publish(db, new(name="Film Noir"))
    await publish(db, new(name="Noir"))
    await publish(db, new(name="Pastel"))
    kits = KitsRepository(db)
    found = await kits.get(GUILD, "FILM   noir")
    assert found is not None and found.name == "film noir"
    assert [k.name for k in await kits.search(GUILD, "NOI")] == ["noir", "film noir"]
    assert [k.name for k in await kits.list(GUILD)] == ["film noir", "noir", "pastel"]
