"""Areas and floors by what people call them, and a place said inside a device phrase."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from agent.home.inventory import Home
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS
from agent.resolve.names import FUZZY_CUTOFF
from agent.resolve.vocab import HERE, strip_prefix, strip_suffix


@dataclass(frozen=True)
class Place:
    areas: frozenset[str]  # the area names it covers
    label: str  # how replies say it: "kitchen", "downstairs"


@dataclass(frozen=True)
class PlaceInPhrase:
    rest: str  # the phrase without the place: "kitchen lights" -> "lights"
    place: Place


class AreaIndex:
    def __init__(self, home: Home) -> None:
        self.words: dict[str, Place] = {}  # spoken area or floor -> place
        for area in home.areas:
            for spoken in (area.name, *area.aliases):
                word = normalize(spoken)
                self._add(word, Place(frozenset({area.name}), area.name))
                if not word.endswith(" room"):  # "the study room" is the Study
                    self._add(f"{word} room", Place(frozenset({area.name}), area.name))
        floors: dict[str, set[str]] = {}
        for area in home.areas:
            if area.floor:
                floors.setdefault(normalize(area.floor), set()).add(area.name)
        for floor, names in floors.items():
            if floor not in self.words:
                self._add(floor, Place(frozenset(names), floor))
        for known in home.floors:  # a floor's aliases, where areas are on it
            on_it = floors.get(normalize(known.name), set())
            for alias in known.aliases if on_it else ():
                self._add(normalize(alias), Place(frozenset(on_it), normalize(known.name)))
        self._by_length = sorted(self.words, key=len, reverse=True)

    def _add(self, word: str, place: Place) -> None:
        if word and word.strip() != "room":
            self.words.setdefault(word, place)

    def find(self, spoken: str, site: Place | None) -> Place | None:
        """An area or floor by name, alias or a close spelling; 'here' is the site's."""
        phrase = strip_prefix(normalize(spoken), DETERMINERS)[0]
        if phrase in HERE:
            return site
        if phrase in self.words:
            return self.words[phrase]
        close = difflib.get_close_matches(phrase, list(self.words), n=3, cutoff=FUZZY_CUTOFF)
        return self.words[close[0]] if close else None

    def close(self, spoken: str) -> list[Place]:
        """Every area or floor spelt close to this, best first."""
        phrase = strip_prefix(normalize(spoken), DETERMINERS)[0]
        return [
            self.words[w]
            for w in difflib.get_close_matches(phrase, list(self.words), n=3, cutoff=FUZZY_CUTOFF)
        ]

    def in_phrase(self, phrase: str) -> PlaceInPhrase | None:
        """'kitchen lights' -> ('lights', Kitchen); 'lights downstairs' -> ('lights', ...)."""
        for word in self._by_length:
            for cut in (strip_prefix, strip_suffix):
                rest, done = cut(phrase, [word])
                if done:
                    rest, _ = strip_suffix(rest, ("in the", "in", "on the", "on", "of the"))
                    return PlaceInPhrase(rest.strip(), self.words[word])
        return None
