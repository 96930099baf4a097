"""Leaning an open-vocabulary recogniser towards the home's own words.

Moonshine hears any English, so a name it has rarely heard loses to a common word that sounds
alike: "the gym light" comes out as "the game light", "the bedroom" as "the mailroom". Its
beam search (agent/voice/moonshine.py) adds a bonus to hypotheses whose words are the home's
names (devices, aliases, areas, floors): while a word is being spelled, each letter that keeps
it a prefix of a home word earns BONUS_PER_LETTER (at most WORD_BONUS a word); when the word
ends, the bonus stays only if it is a whole home word. The bonus only re-ranks what the model
itself proposes (its top tokens), so speech with none of these words is heard as before.

Pure: words in, numbers out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.home.inventory import Home

BONUS_PER_LETTER = 0.6  # nats
WORD_BONUS = 2.4  # nats: the most one word can earn
# words too common to need help, and which would only pull chatter towards them
COMMON = frozenset({
    "a", "an", "and", "at", "by", "for", "in", "into", "is", "it", "my", "of", "off", "on",
    "or", "our", "the", "to", "up", "with", "s",
})  # fmt: skip
_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def letters(word: str) -> str:
    """A word as the bias compares it: lower case, letters and digits only. Pure."""
    return _NOT_LETTER.sub("", word.lower())


def home_words(home: Home) -> frozenset[str]:
    """The words of the home's names: devices and their aliases, areas, their aliases and
    floors, without COMMON words."""
    names: list[str] = []
    for device in home.devices:
        names += [device.name, *device.aliases]
    for area in home.areas:
        names += [area.name, *area.aliases, area.floor or ""]
    found = {letters(w) for name in names for w in name.split()}
    return frozenset(w for w in found if w and w not in COMMON)


class Bias:
    """The bonus a (partial) word earns."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(letters(w) for w in words) - {""}
        self._prefixes = {w[:i] for w in self.words for i in range(1, len(w) + 1)}

    def partial(self, word: str) -> float:
        """The bonus of a word still being spelled (`word` in letters())."""
        if not word or word not in self._prefixes:
            return 0.0
        return min(BONUS_PER_LETTER * len(word), WORD_BONUS)

    def final(self, word: str) -> float:
        """The bonus a finished word keeps."""
        return self.partial(word) if word in self.words else 0.0

    def __bool__(self) -> bool:
        return bool(self.words)
