"""Devices by what people call them: exact names and aliases, names without their area,
every word of a partial name, and fuzzy matching for typos and misrecognitions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from agent.home.inventory import Area, Device, Home
from agent.resolve.vocab import (
    DETERMINERS,
    canonical,
    distinct,
    kind_of,
    singular,
    strip_prefix,
    strip_suffix,
)
from agent.understand.normalize import normalize

FUZZY_CUTOFF = 0.8
Scope = frozenset[str] | None  # area names; None: the whole house


def in_scope(devices: Iterable[Device], scope: Scope) -> list[Device]:
    return [d for d in dict.fromkeys(devices) if scope is None or d.area in scope]


class NameIndex:
    def __init__(self, home: Home) -> None:
        self.names: dict[str, list[Device]] = {}  # each name as said and in the singular
        self.said: dict[str, list[Device]] = {}  # each name as said
        self.short_names: dict[str, list[Device]] = {}
        areas = {a.name: a for a in home.areas}
        for device in home.devices:
            for spoken in (device.name, *device.aliases):
                form = strip_prefix(normalize(spoken), DETERMINERS)[0] or normalize(spoken)
                _add(self.names, form, device)
                self.said.setdefault(form, []).append(device)
                short = _without_area(form, areas.get(device.area or ""))
                if short and short != form:
                    _add(self.short_names, short, device)
        # a partial name is looked for in one spelling of kinds: "Bob's Lamp" has "light"
        self._words = {form: frozenset(canonical(form).split(" ")) for form in self.names}

    def exact(self, phrase: str) -> list[Device]:
        """By name or alias; a name as said before one in the singular ("kitchen light" is
        the Kitchen Light before the Kitchen Lights)."""
        hits = self.said.get(phrase) or self.names.get(singular(phrase)[0]) or []
        return list(dict.fromkeys(hits))

    def short(self, phrase: str) -> list[Device]:
        """A name said without its area: 'ceiling light' for 'Kitchen Ceiling Light'."""
        hits = self.short_names.get(phrase) or self.short_names.get(singular(phrase)[0]) or []
        return list(dict.fromkeys(hits))

    def partial(
        self, phrase: str, scope: Scope, kinds_able: frozenset[str] | None = None
    ) -> list[Device]:
        """Every word heard is in the device's name: 'movie' -> 'Movie Time'. With
        `kinds_able` (domains that can do what was asked), a phrase of nothing but words for
        such kinds ("lights") names no device: that is the kind's reading, not this one."""
        if kinds_able is not None and all(
            any(dom in kinds_able for dom, _ in (kind_of(w) or ("", ()))[1])
            for w in phrase.split(" ")
        ):
            return []
        wanted = [frozenset(canonical(p).split(" ")) for p in (phrase, singular(phrase)[0])]
        hits = [
            d
            for form, devices in self.names.items()
            if any(w <= self._words[form] for w in wanted)
            for d in devices
        ]
        return in_scope(hits, scope)

    def fuzzy(self, *heard: str) -> list[Device]:
        scores: dict[str, float] = {}
        # Each heard form is compared with every name; the cheap upper bounds skip most
        # (a home of 500 devices costs about 1 ms instead of 100).
        for phrase in dict.fromkeys(heard):
            matcher = difflib.SequenceMatcher(None)
            matcher.set_seq2(phrase)
            for table in (self.names, self.short_names):
                for form in table:
                    matcher.set_seq1(form)
                    if (
                        matcher.real_quick_ratio() < FUZZY_CUTOFF
                        or matcher.quick_ratio() < FUZZY_CUTOFF
                    ):
                        continue
                    if matcher.ratio() >= FUZZY_CUTOFF and _same_distinct(phrase, form):
                        scores[form] = max(scores.get(form, 0.0), matcher.ratio())
        if not scores:
            return []
        best = max(scores.values())
        if best < FUZZY_CUTOFF:
            return []
        hits: list[Device] = []
        for form, score in scores.items():
            if score >= best - 1e-9:
                hits.extend(self.names.get(form, []) + self.short_names.get(form, []))
        return list(dict.fromkeys(hits))

    def mentions(self, word: str) -> bool:
        """Whether any name or alias holds this word or phrase ('computer' in 'Computer Desk')."""
        return any(f" {word} " in f" {form} " for form in self.names)


def _same_distinct(heard: str, form: str) -> bool:
    """A close spelling must be close where it matters: 'den lights switch' is not
    'office lights switch', though most of their letters agree."""
    a, b = distinct(heard), distinct(form)
    if not a or not b:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= FUZZY_CUTOFF - 0.1


def _add(table: dict[str, list[Device]], form: str, device: Device) -> None:
    table.setdefault(form, []).append(device)
    plain = singular(form)[0]
    if plain != form:
        table.setdefault(plain, []).append(device)


def _without_area(form: str, area: Area | None) -> str:
    if area is None:
        return form
    for spoken in (area.name, *area.aliases):
        word = normalize(spoken)
        for cut in (strip_prefix, strip_suffix):
            rest, done = cut(form, [word])
            if done:
                return rest.strip()
    return form
