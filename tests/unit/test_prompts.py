from __future__ import annotations

import pytest

from bot.jobs import multipliers
from bot.jobs.prompts import (
    DEFAULT_BANNED,
    ImagineOptions,
    PromptRejected,
    bot_type_for,
    build_prompt,
    check_prompt,
    find_banned,
    is_nsfw,
    neutralise_mentions,
)


def test_options_become_parameters() -> None:
    options = ImagineOptions(
        aspect="16:9",
        version="niji 6",
        stylize=250,
        chaos=10,
        weird=5,
        no="text  watermark",
        seed=42,
        tile=True,
        raw=True,
    )
    prompt = build_prompt("  a   red fox ", options)
    assert prompt == (
        "a red fox --ar 16:9 --niji 6 --stylize 250 --chaos 10 --weird 5 "
        "--seed 42 --no text watermark --tile --style raw"
    )
    assert bot_type_for(prompt) == "NIJI_JOURNEY"
    assert bot_type_for("a fox --v 7") == "MID_JOURNEY"


@pytest.mark.parametrize(
    ("options", "param"),
    [
        (ImagineOptions(aspect="16x9"), "aspect"),
        (ImagineOptions(aspect="100:1"), "aspect"),
        (ImagineOptions(version="4"), "version"),
        (ImagineOptions(version="niji 9"), "version"),
        (ImagineOptions(stylize=1001), "--stylize"),
        (ImagineOptions(chaos=-1), "--chaos"),
    ],
)
def test_bad_options_name_the_parameter(options: ImagineOptions, param: str) -> None:
    with pytest.raises(PromptRejected) as caught:
        build_prompt("fox", options)
    assert caught.value.key == "prompt.bad_param"
    assert caught.value.fields["param"] == param


@pytest.mark.fault(29)
@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("", "prompt.empty"),
        ("   ", "prompt.empty"),
        ("--ar 16:9", "prompt.empty"),
        ("x" * 1501, "prompt.too_long"),
        ("fox --ar 16x9", "prompt.bad_param"),
        ("fox --chaos 500", "prompt.bad_param"),
        ("fox --v 3", "prompt.bad_param"),
        ("fox --zoom 1", "prompt.bad_param"),
        ("fox --repeat 40", "prompt.too_many_jobs"),
        ("fox --r 4", "prompt.too_many_jobs"),
        ("fox \u2014repeat 40", "prompt.too_many_jobs"),
        ("fox \u2014Repeat 40", "prompt.too_many_jobs"),  # a phone capitalises after the dash
        ("fox \u2013REPEAT 2", "prompt.too_many_jobs"),
        ("fox --repeat 41", "prompt.bad_param"),
        ("fox --repeat lots", "prompt.bad_param"),
        ("fox --repeat \u00b2", "prompt.bad_param"),  # a Unicode digit is not a number here
        ("a {red, blue} bird", "prompt.too_many_jobs"),
        ("{a,b,c}{d,e}", "prompt.too_many_jobs"),
        ("fox \u2013chaos 500", "prompt.bad_param"),
        ("fox \u2014Chaos 500", "prompt.bad_param"),
    ],
)
def test_prompt_problems_get_one_sentence_key(prompt: str, key: str) -> None:
    with pytest.raises(PromptRejected) as caught:
        check_prompt(prompt, DEFAULT_BANNED)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("prompt", "jobs", "how"),
    [
        ("a bird", 1, "one job"),
        ("a {red, blue} bird", 2, "2 permutations"),
        ("{a,b,c}{d,e}", 6, "6 permutations"),
        ("{a,b,c} {d,e} --repeat 3", 18, "6 permutations × --repeat 3"),
        ("a {big {red, blue}, small} bird", 3, "3 permutations"),  # nested: 2 + 1
        ("a {red\\, blue} bird", 1, "one job"),  # an escaped comma is text
        ("an {unclosed, group", 1, "one job"),
        ("a {} bird", 1, "one job"),
        ("fox --r 4 --raw", 4, "--repeat 4"),
        ("fox --raw", 1, "one job"),
        ("{a,b}" * 30, multipliers.CAP, f"{multipliers.CAP} permutations"),  # saturates
    ],
)
def test_multipliers_are_counted(prompt: str, jobs: int, how: str) -> None:
    found = multipliers.count(prompt)
    assert (found.jobs, found.describe()) == (jobs, how)


@pytest.mark.fault(29)
def test_multipliers_within_the_guild_cap_still_make_one_job_per_command() -> None:
    with pytest.raises(PromptRejected) as caught:
        check_prompt("a {red, blue} bird", DEFAULT_BANNED, max_jobs=4)
    assert caught.value.key == "prompt.one_job_per_command"
    assert caught.value.fields["count"] == 2
    with pytest.raises(PromptRejected) as caught:
        check_prompt("a {red, blue, green} bird --repeat 2", DEFAULT_BANNED, max_jobs=4)
    assert caught.value.key == "prompt.too_many_jobs"
    assert (caught.value.fields["count"], caught.value.fields["limit"]) == (6, 4)
    assert check_prompt("fox --repeat 1", DEFAULT_BANNED) == "fox --repeat 1"


@pytest.mark.fault(29)
def test_nsfw_terms_are_found_normalised() -> None:
    assert is_nsfw("a N\u200bUDE statue")
    assert is_nsfw("Naked tree")
    assert not is_nsfw("a nudibranch in the sea")
    assert not is_nsfw("a red fox")


def test_raw_params_still_work() -> None:
    text = "a fox --ar 3:2 --v 6.1 --chaos 20 --stylize 100 --no trees --zoom 1.5"
    assert check_prompt(text, DEFAULT_BANNED) == text


@pytest.mark.fault(29)
@pytest.mark.parametrize(
    "prompt",
    [
        "some GORE here",
        "some g\u200bore here",
        "some gòre",
        "BEHEADING scene",
        "g\u00adore",
        "g\u200eo\u200fre",
    ],
)
def test_banned_words_match_normalised(prompt: str) -> None:
    assert find_banned(prompt, DEFAULT_BANNED) is not None
    with pytest.raises(PromptRejected) as caught:
        check_prompt(prompt, DEFAULT_BANNED)
    assert caught.value.key == "prompt.banned"


def test_banned_words_respect_word_boundaries_and_guild_lists() -> None:
    assert find_banned("a gorgeous sunset", DEFAULT_BANNED) is None
    assert find_banned("a blue Spaceship", ["space ship", "blue"]) == "blue"
    assert find_banned("a space   ship", ["space ship"]) == "space ship"


@pytest.mark.fault(29)
def test_mentions_are_neutralised() -> None:
    text = neutralise_mentions("hi @everyone and @here and <@123> and <@&456>")
    assert "@everyone" not in text
    assert "@here" not in text
    assert "<@123>" not in text
    assert "<@&456>" not in text
