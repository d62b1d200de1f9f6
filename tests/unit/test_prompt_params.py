"""Every current Midjourney parameter passes the prompt checks with a sensible value, and
anything else is refused with a sentence naming the parameter (before any charge)."""

from __future__ import annotations

import pytest

from bot.jobs.params import PARAMS
from bot.jobs.prompts import (
    DEFAULT_BANNED,
    VERSION_CHOICES,
    ImagineOptions,
    PromptRejected,
    build_prompt,
    check_params,
    check_prompt,
)

URL = "https://cdn.example/ref-1.png"


@pytest.mark.parametrize(
    "params",
    [
        # Versions: V5 to V8.1, Niji 5 to 7 (a bare --niji is the default Niji).
        *("--v 5", "--v 5.2", "--v 6.0", "--v 6.1", "--v 7", "--v 8", "--v 8.1", "--version 8"),
        *("--niji 5", "--niji 6", "--niji 7", "--niji", "--niji --ar 2:3"),
        # Omni reference and its weight.
        f"--oref {URL} --ow 0",
        f"--oref {URL} --ow 1000",
        # Personalization: the default profile, or any number of codes.
        *("--p", "--p abc123", "--p abc123 def456", "--profile", "--personalize x1 --v 7"),
        # Style references: URLs, codes, random, weights; their version and weight.
        *(f"--sref {URL}", f"--sref {URL}::2 123", "--sref 123456789", "--sref random"),
        *("--sref 42 --sv 1", "--sref 42 --sv 6", "--sref 42 --sw 0", "--sref 42 --sw 1000"),
        *("--draft", "--exp 0", "--exp 100", "--hd", "--q .25", "--q 0.5", "--quality 1"),
        *("--q 2", "--q 4", "--stop 10", "--stop 100", "--iw 0", "--iw 3", "--iw 1.5"),
        *(f"--cref {URL} --cw 0", f"--cref {URL} --cw 100", "--style raw", "--tile"),
        *("--seed 0", "--seed 4294967295", "--no text, watermark", "--repeat 1", "--r 1"),
        *("--stylize 0", "--s 1000", "--chaos 100", "--c 0", "--weird 3000", "--w 0"),
        *("--ar 16:9", "--aspect 1:8", "--zoom 2", "--zoom 1.5"),
        # Video.
        *("--video --motion low", "--motion HIGH", "--loop", f"--end {URL}", "--raw"),
        *("--bs 1", "--bs 2", "--bs 4", f"--video --motion high --end {URL} --bs 2 --loop"),
        # Speed and visibility (the speed is also read by bot/jobs/defaults.py).
        *("--fast", "--relax", "--turbo", "--stealth", "--public"),
        # Case, and a phone's em dash.
        *("--V 8.1", "--Niji 7", "\u2014hd --Motion Low"),
    ],
)
def test_current_parameters_are_accepted(params: str) -> None:
    prompt = f"a fox in the snow {params}"
    assert check_prompt(prompt, DEFAULT_BANNED) == prompt.replace("\u2014", "--")


@pytest.mark.parametrize(
    ("params", "param", "why"),
    [
        ("--v 4", "--v", "versions are 5, 5.1, 5.2, 6, 6.1, 7, 8, 8.1"),
        ("--v 7.5", "--v", "versions are 5, 5.1, 5.2, 6, 6.1, 7, 8, 8.1"),
        ("--v 9", "--v", "versions are 5, 5.1, 5.2, 6, 6.1, 7, 8, 8.1"),
        ("--version niji", "--version", "versions are 5, 5.1, 5.2, 6, 6.1, 7, 8, 8.1"),
        ("--v", "--v", "it needs a value"),
        ("--niji 4", "--niji", "niji versions are 5, 6, 7"),
        ("--niji 8", "--niji", "niji versions are 5, 6, 7"),
        ("--niji 6.1", "--niji", "niji versions are 5, 6, 7"),
        ("--oref", "--oref", "it needs a value"),
        ("--oref 123", "--oref", "use an image URL"),
        ("--ow 1001", "--ow", "use a whole number from 0 to 1000"),
        ("--ow -1", "--ow", "use a whole number from 0 to 1000"),
        ("--p https://x.example/p", "--p", "use profile codes"),
        ("--p \u212a1", "--p", "use profile codes"),  # a Kelvin sign, not a K
        ("--sref", "--sref", "it needs a value"),
        ("--sref watercolor", "--sref", "use image URLs, style codes or random"),
        ("--sv 0", "--sv", "use a whole number from 1 to 6"),
        ("--sv 7", "--sv", "use a whole number from 1 to 6"),
        ("--sw 1001", "--sw", "use a whole number from 0 to 1000"),
        ("--exp 101", "--exp", "use a whole number from 0 to 100"),
        ("--exp 5.5", "--exp", "use a whole number from 0 to 100"),
        ("--q 3", "--q", "use .25, .5, 1, 2 or 4"),
        ("--quality .75", "--quality", "use .25, .5, 1, 2 or 4"),
        ("--q best", "--q", "not a number"),
        ("--stop 9", "--stop", "use a whole number from 10 to 100"),
        ("--stop 101", "--stop", "use a whole number from 10 to 100"),
        ("--iw 3.1", "--iw", "it must be between 0 and 3"),
        ("--iw nan", "--iw", "not a number"),
        ("--iw 1e1", "--iw", "not a number"),
        ("--cw 101", "--cw", "use a whole number from 0 to 100"),
        ("--style raw!", "--style", "use raw or a style code"),
        ("--style", "--style", "it needs a value"),
        ("--seed 4294967296", "--seed", "use a whole number from 0 to 4294967295"),
        ("--seed -1", "--seed", "use a whole number from 0 to 4294967295"),
        ("--seed 1.5", "--seed", "use a whole number from 0 to 4294967295"),
        ("--seed \u0661\u0662", "--seed", "not a number"),  # Arabic-Indic digits
        ("--stylize 1001", "--stylize", "use a whole number from 0 to 1000"),
        ("--chaos 10.5", "--chaos", "use a whole number from 0 to 100"),
        ("--no", "--no", "it needs a value"),
        ("--zoom 1", "--zoom", "it must be more than 1 and at most 2"),
        ("--motion medium", "--motion", "use low or high"),
        ("--motion", "--motion", "it needs a value"),
        ("--end loop", "--end", "use an image URL"),
        ("--bs 3", "--bs", "use 1, 2 or 4"),
        ("--ar 16x9", "--ar", "use the form 16:9"),
        # Not Midjourney parameters: named as typed, so the member sees what to fix.
        ("--foo", "--foo", "unknown parameter"),
        ("--foo 12 --v 7", "--foo", "unknown parameter"),
        ("--v7", "--v7", "unknown parameter"),
        ("--tile,", "--tile,", "unknown parameter"),
        ("--Turbo2", "--turbo2", "unknown parameter"),
        ("\u2014foo bar", "--foo", "unknown parameter"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: str, param: str, why: str) -> None:
    with pytest.raises(PromptRejected) as caught:
        check_prompt(f"a fox {params}", DEFAULT_BANNED)
    assert (caught.value.key, caught.value.fields) == (
        "prompt.bad_param",
        {"param": param, "why": why},
    )


@pytest.mark.parametrize(
    "prompt",
    [
        "a fox -- a dog",  # a bare double dash is punctuation
        "a fox --- a dog",
        "a well-known fox",
        "https://cdn.example/a--b.png a fox",  # dashes inside a word
        "a fox --2",
    ],
)
def test_dashes_that_are_not_parameters_pass(prompt: str) -> None:
    assert check_prompt(prompt, DEFAULT_BANNED) == prompt


def test_only_the_first_value_is_read() -> None:
    """Words after a parameter's value are text (a channel's suffix ends up there)."""
    check_params("a fox --ar 16:9 watercolor --tile ink wash --sref 42 soft --niji pastel")


def test_version_choices_are_newest_first_and_each_builds() -> None:
    assert VERSION_CHOICES[:4] == ("8.1", "8", "7", "6.1")
    assert VERSION_CHOICES.index("niji 7") < VERSION_CHOICES.index("niji 6")
    assert len(VERSION_CHOICES) == len(set(VERSION_CHOICES)) <= 25  # a Discord choice list
    for choice in VERSION_CHOICES:
        built = build_prompt("a fox", ImagineOptions(version=choice))
        check_prompt(built, DEFAULT_BANNED)


@pytest.mark.parametrize(
    ("version", "param"),
    [
        ("8.1", "--v 8.1"),
        ("8", "--v 8"),
        ("7.0", "--v 7"),
        ("V7", "--v 7"),
        ("niji 7", "--niji 7"),
        ("Niji 5", "--niji 5"),
        ("niji", "--niji 6"),  # a bare "niji" saved before Niji 7 keeps its meaning
    ],
)
def test_version_options_become_the_right_parameter(version: str, param: str) -> None:
    assert build_prompt("a fox", ImagineOptions(version=version)) == f"a fox {param}"


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("9", "choose " + ", ".join(VERSION_CHOICES)),
        ("niji 8", "niji versions are 5, 6, 7"),
        ("latest", "choose " + ", ".join(VERSION_CHOICES)),
    ],
)
def test_bad_version_options_are_refused(version: str, why: str) -> None:
    with pytest.raises(PromptRejected) as caught:
        build_prompt("a fox", ImagineOptions(version=version))
    assert caught.value.fields == {"param": "version", "why": why}


def test_every_spelling_is_lower_case_letters() -> None:
    """The scanner lower-cases names; a spec under any other spelling would never match."""
    assert all(name.isascii() and name.isalpha() and name.islower() for name in PARAMS)
