"""Slot values from heard text: numbers, level words, colour names."""

from __future__ import annotations

import difflib
import re

from agent.colors import COLORS
from agent.language.normalize import to_number
from agent.messages import SlotValue

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
LEVEL_WORDS = {
    "full": 100,
    "max": 100,
    "maximum": 100,
    "all the way": 100,
    "half": 50,
    "halfway": 50,
    "half way": 50,
    "a quarter": 25,
    "quarter": 25,
    "mute": 0,
    "silence": 0,
    "off": 0,
}


def parse_value(text: str) -> SlotValue | None:
    """'50 percent' -> 50, 'twenty one point five' (normalised) -> 21.5, 'half' -> 50,
    'warm white' -> 'warm white', 'redd' -> 'red'; None when nothing fits."""
    text = text.strip()
    number = _NUMBER.search(text)
    if number:
        return to_number(number.group())
    if text in LEVEL_WORDS:
        return LEVEL_WORDS[text]
    if text in COLORS:
        return text
    close = difflib.get_close_matches(text, list(COLORS), n=1, cutoff=0.75)
    if close:
        return close[0]
    padded = f" {text} "  # "a lavender hue", "the colour of the sky blue"
    for color in sorted(COLORS, key=len, reverse=True):
        if f" {color} " in padded:
            return color
    for word, level in LEVEL_WORDS.items():
        if word in text.split(" "):
            return level
    return None
