"""Devices by what people call them: exact names and aliases, names without their area,
every word of a partial name, and fuzzy matching for typos and misrecognitions.

A home may hold tens of thousands of names, and one text may name several devices, so no
look-up reads every name in Python: a partial name reads only the names holding its rarest
word, and a fuzzy one compares in full only the names whose letters could match it well
enough (`Letters`), closest first, `MAX_COMPARED` at most, and remembers its answer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np

from agent.home.inventory import Area, Device, Home
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS
from agent.resolve.vocab import (
    canonical,
    distinct,
    kind_of,
    singular,
    strip_prefix,
    strip_suffix,
)

FUZZY_CUTOFF = 0.8
MAX_COMPARED = 256  # names compared in full for one fuzzy look-up, the closest by letters
REMEMBERED = 256  # fuzzy look-ups remembered (the same name heard again costs nothing)
Scope = frozenset[str] | None  # area names; None: the whole house


def in_scope(devices: Iterable[Device], scope: Scope) -> list[Device]:
    # each device once, by identity: hashing a Device hashes all its fields
    once = {id(d): d for d in devices}.values()
    return [d for d in once if scope is None or d.area in scope]


class NameIndex:
    def __init__(self, home: Home) -> None:
        self.names: dict[str, list[Device]] = {}  # each name as said and in the singular
        self.said: dict[str, list[Device]] = {}  # each name as said
        self.short_names: dict[str, list[Device]] = {}
        self._spoken: dict[str, str] = {}  # device id -> its name, normalised
        areas = {a.name: a for a in home.areas}
        for device in home.devices:
            self._spoken[device.id] = normalize(device.name)
            for spoken in (device.name, *device.aliases):
                form = strip_prefix(normalize(spoken), DETERMINERS)[0] or normalize(spoken)
                _add(self.names, form, device)
                self.said.setdefault(form, []).append(device)
                short = _without_area(form, areas.get(device.area or ""))
                if short and short != form:
                    _add(self.short_names, short, device)
        # a partial name is looked for in one spelling of kinds: "Bob's Lamp" has "light"
        self._words = {form: frozenset(canonical(form).split(" ")) for form in self.names}
        self._order = {form: i for i, form in enumerate(self.names)}
        self._holding: dict[str, list[str]] = {}  # word -> the names holding it, in order
        for form, words in self._words.items():
            for word in words:
                self._holding.setdefault(word, []).append(form)
        self._letters = Letters(list(dict.fromkeys([*self.names, *self.short_names])))
        self._fuzzy: dict[tuple[str, ...], list[Device]] = {}
        self._padded = "\n".join(f" {form} " for form in self.names)

    def name_of(self, device: Device) -> str:
        """The device's name as said (normalised), worked out once for the home."""
        spoken = self._spoken.get(device.id)
        return normalize(device.name) if spoken is None else spoken

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
        found: list[str] = []
        for words in dict.fromkeys(wanted):  # the names holding its rarest word, in order
            rarest = min(words, key=lambda w: len(self._holding.get(w, ())))
            found += [f for f in self._holding.get(rarest, ()) if words <= self._words[f]]
        if len(wanted) > 1 and wanted[0] != wanted[1]:
            found = sorted(set(found), key=self._order.__getitem__)
        return in_scope((d for form in found for d in self.names[form]), scope)

    def fuzzy(self, *heard: str) -> list[Device]:
        """The devices of the names closest to any heard form, at least FUZZY_CUTOFF alike
        (difflib's ratio) and alike in their distinct words."""
        key = tuple(dict.fromkeys(heard))
        if key not in self._fuzzy:
            if len(self._fuzzy) >= REMEMBERED:
                self._fuzzy.clear()
            self._fuzzy[key] = self._closest(key)
        return list(self._fuzzy[key])

    def _closest(self, heard: tuple[str, ...]) -> list[Device]:
        scores: dict[str, float] = {}
        best = FUZZY_CUTOFF
        # A ratio is never above the letters' bound: the names are compared in full from the
        # highest bound down, until no bound left can reach the best ratio found.
        for bound, phrase, form in self._letters.candidates(heard, FUZZY_CUTOFF, MAX_COMPARED):
            if bound < best - 1e-9:
                break
            matcher = difflib.SequenceMatcher(None, form, phrase)
            ratio = matcher.ratio()
            if ratio >= FUZZY_CUTOFF and _same_distinct(phrase, form):
                scores[form] = max(scores.get(form, 0.0), ratio)
                best = max(best, ratio)
        hits: list[Device] = []
        for form in sorted(scores, key=self._letters.position.__getitem__):  # in home order
            if scores[form] >= best - 1e-9:
                hits.extend(self.names.get(form, []) + self.short_names.get(form, []))
        return list(dict.fromkeys(hits))

    def mentions(self, word: str) -> bool:
        """Whether any name or alias holds this word or phrase ('computer' in 'Computer Desk')."""
        return f" {word} " in self._padded


class Letters:
    """How many of each letter every name has, to bound at once how alike each name can be to
    a heard phrase: 2 * shared letters / both lengths, never below difflib's ratio (it is
    its quick_ratio). The 63 commonest characters have a column each, the rest share one."""

    COLUMNS = 64

    def __init__(self, forms: list[str]) -> None:
        self.forms = forms
        self.position = {form: i for i, form in enumerate(forms)}
        self.lengths = np.array([len(f) for f in forms], dtype=np.float64)
        points = np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32)
        chars, inverse, counts = np.unique(points, return_inverse=True, return_counts=True)
        commonest = np.argsort(-counts, kind="stable")[: self.COLUMNS - 1]
        column_of = np.full(len(chars), self.COLUMNS - 1, dtype=np.int64)
        column_of[commonest] = np.arange(len(commonest))
        self.column = {chr(int(chars[i])): int(column_of[i]) for i in range(len(chars))}
        rows = np.repeat(np.arange(len(forms)), self.lengths.astype(np.int64))
        cells = rows * self.COLUMNS + column_of[inverse]
        counted = np.bincount(cells, minlength=len(forms) * self.COLUMNS)
        self.counts = counted.reshape(len(forms), self.COLUMNS).astype(np.uint16)

    def candidates(
        self, phrases: Iterable[str], cutoff: float, most: int
    ) -> list[tuple[float, str, str]]:
        """(bound, phrase, name) for every pair whose bound reaches `cutoff`, the `most`
        highest, highest first."""
        found: list[tuple[float, str, str]] = []
        for phrase in phrases:
            wanted = np.zeros(self.COLUMNS, dtype=np.uint16)
            for char in phrase:
                if char in self.column:
                    wanted[self.column[char]] += 1
            shared = np.minimum(self.counts, wanted).sum(axis=1)
            total = self.lengths + len(phrase)
            bounds = np.where(total > 0, 2.0 * shared / np.maximum(total, 1), 1.0)
            close = np.flatnonzero(bounds >= cutoff - 1e-9)
            close = close[np.argsort(-bounds[close], kind="stable")][:most]
            found.extend((float(bounds[i]), phrase, self.forms[i]) for i in close)
        found.sort(key=lambda c: -c[0])
        return found[:most]


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
