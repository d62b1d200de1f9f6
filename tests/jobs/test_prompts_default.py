"""The default banned list (bot/jobs/banned_default.txt): blocks what Midjourney blocks,
lets ordinary prompts through, and leaves nudity to the guild's NSFW policy."""

from __future__ import annotations

from importlib import resources

import pytest

from bot.jobs.prompts import (
    DEFAULT_BANNED,
    NSFW_TERMS,
    PromptRejected,
    check_prompt,
    find_banned,
    is_nsfw,
    normalise,
)
from bot.jobs.wordlists import parse_wordlist


@pytest.mark.parametrize(
    "prompt",
    [
        "a gory battlefield, hyperrealistic",
        "Beheading of a knight",
        "a decapitated statue with its severed head on the ground",
        "child porn",
        "loli anime girl",
        "an underage nude figure",
        "a rape scene",
        "a man who molested a child",
        "KKK rally poster",
        "a Ku  Klux Klan march",
        "self-harm illustration",
        "a sign that says sieg heil",
        "a cartoon faggot",
        "g\u200bory d\u00e9capitated",
    ],
)
def test_clearly_bad_prompts_are_blocked(prompt: str) -> None:
    assert find_banned(prompt, DEFAULT_BANNED) is not None
    with pytest.raises(PromptRejected) as caught:
        check_prompt(prompt, DEFAULT_BANNED)
    assert caught.value.key == "prompt.banned"


@pytest.mark.parametrize(
    "prompt",
    [
        "a knight kills a dragon",
        "a shot of espresso on a marble table",
        "a gorgeous sunset over the sea",
        "blood orange slices, food photography",
        "a blood moon over the castle",
        "a gun on a table, film noir",
        "a war memorial in the rain",
        "a skull and a corpse bride",
        "a sniper takes a shot from the rooftop",
        "a headless horseman",
        "a field of grapes",
        "a lolita fashion dress",
        "a drape of red silk",
        "a white power line in a snowy field",
        "a swastika pattern on an ancient Hindu temple",
        "a zombie apocalypse, dramatic lighting",
        "a pixel art fighting game, K.O.",
        "a fox --seed 1488 --ar 16:9",
        "a cute kitten --v 7 --chaos 20",
        "a naked tree in winter",  # NSFW-term territory: the guild's NSFW policy decides
    ],
)
def test_ordinary_prompts_pass(prompt: str) -> None:
    assert find_banned(prompt, DEFAULT_BANNED) is None
    assert check_prompt(prompt, DEFAULT_BANNED)


def test_nudity_is_left_to_the_nsfw_policy() -> None:
    assert is_nsfw("a naked tree in winter")  # consistent with is_nsfw's word list
    assert not {normalise(w) for w in DEFAULT_BANNED} & {normalise(w) for w in NSFW_TERMS}


def test_the_file_is_a_valid_wordlist_and_matches_what_is_loaded() -> None:
    data = resources.files("bot.jobs").joinpath("banned_default.txt").read_bytes()
    parsed = parse_wordlist(data)
    assert parsed.rejected == () and parsed.duplicates == 0
    assert parsed.words == tuple(normalise(w) for w in DEFAULT_BANNED)
    assert isinstance(DEFAULT_BANNED, tuple) and len(DEFAULT_BANNED) >= 30
