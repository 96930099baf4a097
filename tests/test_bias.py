"""Leaning Moonshine towards the home's words (agent/voice/bias.py), and the wake phrase as
an open recogniser nearly hears it: pure parts, no audio."""

from __future__ import annotations

import pytest

from agent.home.inventory import Area, Device, Home
from agent.voice.beam import END, Hyp, Piece
from agent.voice.bias import BONUS_PER_LETTER, WORD_BONUS, Bias, home_words, letters
from agent.voice.recognition import phrase_words


def test_the_home_words_are_its_names_without_the_common_words() -> None:
    home = Home(
        areas=(Area("Master Bedroom", aliases=("main bedroom",), floor="Upstairs"),),
        devices=(Device("light.gym", "Gym Light", aliases=("Pierre's lamp",)),),
    )
    assert home_words(home) == {
        "master", "bedroom", "main", "upstairs", "gym", "light", "pierres", "lamp",
    }  # fmt: skip
    assert home_words(Home(devices=(Device("light.x", "The light in the loft"),))) == {
        "light", "loft",
    }  # fmt: skip


def test_a_word_earns_by_its_letters_and_keeps_it_only_when_whole() -> None:
    bias = Bias(["gym", "balcony", "Pierre's"])
    assert bias.partial("g") == pytest.approx(BONUS_PER_LETTER)
    assert bias.partial("gym") == pytest.approx(3 * BONUS_PER_LETTER)
    assert bias.partial("balcony") == WORD_BONUS  # capped
    assert bias.partial("game") == 0.0  # no home word starts so
    assert bias.final("gy") == 0.0  # a prefix, not a word
    assert bias.final("gym") == bias.partial("gym")
    assert bias.final(letters("Pierre's")) > 0
    assert not Bias([]) and Bias(["x"])


def _pieces(*texts: str) -> list[Piece]:
    return [Piece(t.startswith("\u2581"), letters(t), t.startswith("<")) for t in texts]


def test_a_hypothesis_keeps_the_bonus_of_finished_home_words_only() -> None:
    # tokens: 0 "<s>"-like, 1/2 the model's start and end, 3 "▁g", 4 "ym", 5 "▁game", 6 "▁light"
    pieces = _pieces("<pad>", "<s>", "</s>", "\u2581g", "ym", "\u2581game", "\u2581light")
    bias = Bias(["gym"])
    h = Hyp().grown(3, -1.0, pieces, bias)  # "g": a prefix of gym
    assert h.word == "g" and h.score == pytest.approx(-1.0 + BONUS_PER_LETTER)
    h = h.grown(4, -1.0, pieces, bias)  # "gym"
    assert h.score == pytest.approx(-2.0 + 3 * BONUS_PER_LETTER)
    h = h.grown(6, -0.5, pieces, bias)  # "light" starts: gym is finished and kept
    assert h.kept == pytest.approx(3 * BONUS_PER_LETTER) and h.word == "light"
    other = Hyp().grown(5, -1.5, pieces, bias).grown(6, -0.5, pieces, bias)
    assert other.kept == 0.0 and other.score == pytest.approx(-2.0)
    assert h.score > other.score  # "the gym light" beats "the game light" it trailed
    g = Hyp().grown(3, -1.0, pieces, bias).grown(END, -0.1, pieces, bias)
    assert g.score == pytest.approx(-1.1)  # "g" ended: a prefix earns nothing
    assert g.probs[-1] == pytest.approx(0.904837, abs=1e-6)  # the model's own probability


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("hey computer lock the door", 2),
        ("a computer lock the door", 2),  # an open recogniser's "hey" in some accents
        ("here computer lock the door", 2),
        ("the computer lock the door", 2),
        ("hi computer lock the door", 2),
        ("okay computer lock the door", 0),  # another wake phrase
        ("hey commuter lock the door", 0),  # the last word must be heard as itself
        ("computer lock the door", 0),
        ("so a computer lock the door", 0),
        ("i love my computer", 0),
    ],
)
def test_a_wake_phrase_heard_nearly(text: str, lead: int) -> None:
    assert phrase_words(text, "hey computer", near=True) == lead
    assert phrase_words(text, "hey computer") == (2 if text.startswith("hey computer") else 0)
