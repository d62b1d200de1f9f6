from __future__ import annotations

import pytest

from bot.jobs.prompts import (
    DEFAULT_BANNED,
    ImagineOptions,
    PromptRejected,
    bot_type_for,
    build_prompt,
    check_prompt,
    find_banned,
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
        ("fox --repeat 40", "prompt.repeat"),
        ("fox --r 4", "prompt.repeat"),
        ("fox \u2014repeat 40", "prompt.repeat"),
        ("fox \u2013chaos 500", "prompt.bad_param"),
    ],
)
def test_prompt_problems_get_one_sentence_key(prompt: str, key: str) -> None:
    with pytest.raises(PromptRejected) as caught:
        check_prompt(prompt, DEFAULT_BANNED)
    assert caught.value.key == key


def test_raw_params_still_work() -> None:
    text = "a fox --ar 3:2 --v 6.1 --chaos 20 --stylize 100 --no trees --zoom 1.5"
    assert check_prompt(text, DEFAULT_BANNED) == text


@pytest.mark.parametrize(
    "prompt",
    [
        "some GORE here",
        "some g\u200bore here",
        "some gòre",
        "NÜDE portrait",
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


def test_mentions_are_neutralised() -> None:
    text = neutralise_mentions("hi @everyone and @here and <@123> and <@&456>")
    assert "@everyone" not in text
    assert "@here" not in text
    assert "<@123>" not in text
    assert "<@&456>" not in text
