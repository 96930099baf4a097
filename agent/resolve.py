"""Heard names -> devices. Pure: the home, the site's area and an Intent in, a Resolution out.

Order of attempts for the heard device phrase: an exact name or alias; an area (or floor)
named inside the phrase plus a name, alias or kind of device ("kitchen lights", "lights
downstairs"); then fuzzy matching for typos and misrecognitions ("kitchen lite"). Plural or
"all" means every match; one name matching several devices means asking which.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from agent.home.inventory import Area, Device, Home
from agent.intents import INTENT_DOMAINS
from agent.messages import Intent
from agent.understand.normalize import normalize

FUZZY_CUTOFF = 0.8
HERE = frozenset({"here", "in here", "this room", "the room", "this area"})
EVERYWHERE = (
    "everywhere",
    "in the house",
    "in the whole house",
    "the whole house",
    "around the house",
    "in every room",
    "throughout the house",
    "in the home",
)
QUANTIFIERS = (
    "all of the",
    "all the",
    "all of",
    "all",
    "every",
    "each",
    "both the",
    "both",
    "any of the",
    "any",
)
DETERMINERS = ("the", "my", "our", "a", "an", "this", "that", "these", "those", "your")
PRONOUNS = frozenset({"it", "them", "they", "that", "this", "everything", "stuff", "things"})

# What people call a kind of device: word -> (domain, device_class or None).
KIND_WORDS: dict[str, tuple[tuple[str, str | None], ...]] = {}


def _kinds(words: str, *kinds: tuple[str, str | None]) -> None:
    for word in words.split(","):
        KIND_WORDS[word.strip()] = kinds


_kinds(
    "light,lamp,lighting,bulb,light bulb,lightbulb,lite,ceiling light,spotlight,spot",
    ("light", None),
)
_kinds("switch,plug,socket,outlet,plug socket,power socket,smart plug,power", ("switch", None))
_kinds("fan,ceiling fan,ventilator", ("fan", None))
_kinds("blind,shade,shutter,curtain,cover,roller blind,drape,awning", ("cover", None))
_kinds("garage door,garage", ("cover", "garage"))
_kinds("gate,driveway gate", ("cover", "gate"))
_kinds("window", ("cover", "window"), ("binary_sensor", "window"))
_kinds("door", ("lock", None), ("cover", "door"), ("binary_sensor", "door"))
_kinds("lock,door lock,deadbolt", ("lock", None))
_kinds(
    "thermostat,heating,heat,heater,radiator,ac,air conditioning,air con,aircon,climate,"
    "air conditioner,boiler",
    ("climate", None),
)
_kinds("temperature,temp", ("sensor", "temperature"), ("climate", None))
_kinds("humidity", ("sensor", "humidity"))
_kinds(
    "tv,television,telly,speaker,music,stereo,radio,media player,player,sound,movie,show,"
    "song,podcast,audio,video,film,tunes,sound system,media",
    ("media_player", None),
)
_kinds(
    "vacuum,hoover,robot,roomba,vacuum cleaner,robot vacuum,robot cleaner,cleaner", ("vacuum", None)
)
_kinds("valve,water,sprinkler,irrigation,water valve", ("valve", None))
_kinds("scene", ("scene", None))
_kinds("button,doorbell", ("button", None))
_kinds("sensor", ("sensor", None), ("binary_sensor", None))
_kinds("motion,motion sensor", ("binary_sensor", "motion"))

# Kinds of device that usually serve the whole house from one place.
HOUSE_WIDE = frozenset({"climate", "vacuum"})

# When the devices found can't do the intent as heard, the intent they can do.
ADAPT: dict[tuple[str, str], str] = {
    ("set_brightness", "climate"): "set_temperature",
    ("set_brightness", "cover"): "set_position",
    ("set_brightness", "valve"): "set_position",
    ("set_brightness", "media_player"): "set_volume",
    ("set_position", "light"): "set_brightness",
    ("set_position", "fan"): "set_brightness",
    ("turn_on", "scene"): "activate_scene",
    ("turn_on", "vacuum"): "vacuum_start",
    ("turn_off", "vacuum"): "vacuum_dock",
    ("open", "lock"): "unlock",
    ("close", "lock"): "lock",
    ("turn_on", "valve"): "open",
    ("turn_off", "valve"): "close",
    ("vacuum_start", "light"): "turn_on",
    ("vacuum_start", "switch"): "turn_on",
    ("vacuum_start", "fan"): "turn_on",
    ("vacuum_start", "climate"): "turn_on",
    ("vacuum_start", "media_player"): "media_play",
    ("vacuum_start", "scene"): "activate_scene",
    ("activate_scene", "light"): "turn_on",
    ("activate_scene", "switch"): "turn_on",
    ("media_pause", "vacuum"): "vacuum_dock",
    ("set_volume", "light"): "set_brightness",
}


@dataclass(frozen=True)
class Resolution:
    """status: ok | ambiguous | no_device | unknown_area | unsupported | nothing_there."""

    status: str
    intent: Intent
    targets: tuple[Device, ...] = ()
    candidates: tuple[Device, ...] = ()
    heard: str = ""
    area: str | None = None  # how the place was named in replies: "kitchen", "downstairs"


@dataclass
class _Query:
    phrase: str
    plural: bool = False
    all: bool = False
    scope: frozenset[str] | None = None  # area names; None: the whole house
    explicit_scope: bool = False
    kind_word: str = ""
    area_label: str | None = None
    unknown_area: str | None = None


def _singular(phrase: str) -> tuple[str, bool]:
    words = phrase.split(" ")
    last = words[-1]
    if len(last) > 3 and last.endswith(("ches", "shes", "xes", "sses")):
        words[-1] = last[:-2]
    elif len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        words[-1] = last[:-1]
    else:
        return phrase, False
    return " ".join(words), True


def _strip_prefix(phrase: str, words: Iterable[str]) -> tuple[str, bool]:
    for word in words:
        if phrase == word:
            return "", True
        if phrase.startswith(word + " "):
            return phrase[len(word) + 1 :], True
    return phrase, False


def _strip_suffix(phrase: str, words: Iterable[str]) -> tuple[str, bool]:
    for word in words:
        if phrase.endswith(" " + word):
            return phrase[: -len(word) - 1], True
    return phrase, False


class Resolver:
    def __init__(self, home: Home, site_area: str | None = None) -> None:
        self.home = home
        self.site_area = site_area
        self.names: dict[str, list[Device]] = {}
        self.short_names: dict[str, list[Device]] = {}
        self.area_words: dict[str, frozenset[str]] = {}  # spoken area or floor -> area names
        self.area_labels: dict[str, str] = {}
        for area in home.areas:
            for spoken in (area.name, *area.aliases):
                self._add_area_word(normalize(spoken), frozenset({area.name}), area.name)
        floors: dict[str, set[str]] = {}
        for area in home.areas:
            if area.floor:
                floors.setdefault(normalize(area.floor), set()).add(area.name)
        for floor, names in floors.items():
            if floor not in self.area_words:
                self._add_area_word(floor, frozenset(names), floor)
        areas = {a.name: a for a in home.areas}
        for device in home.devices:
            for spoken in (device.name, *device.aliases):
                form = _strip_prefix(normalize(spoken), DETERMINERS)[0] or normalize(spoken)
                self.names.setdefault(form, []).append(device)
                self.names.setdefault(_singular(form)[0], []).append(device)
                short = self._without_area(form, areas.get(device.area or ""))
                if short and short != form:
                    self.short_names.setdefault(short, []).append(device)
                    self.short_names.setdefault(_singular(short)[0], []).append(device)
        self._area_words_by_length = sorted(self.area_words, key=len, reverse=True)

    def _add_area_word(self, word: str, names: frozenset[str], label: str) -> None:
        if word:
            self.area_words[word] = names
            self.area_labels[word] = label

    @staticmethod
    def _without_area(form: str, area: Area | None) -> str:
        if area is None:
            return form
        for spoken in (area.name, *area.aliases):
            word = normalize(spoken)
            for cut in (_strip_prefix, _strip_suffix):
                rest, done = cut(form, [word])
                if done:
                    return rest.strip()
        return form

    # -- areas --------------------------------------------------------------------------------
    def _site_scope(self) -> frozenset[str] | None:
        return frozenset({self.site_area}) if self.site_area else None

    def find_area(self, spoken: str) -> tuple[frozenset[str] | None, str | None]:
        """An area or floor by name, alias or a close spelling; (None, None) if unknown."""
        phrase = normalize(spoken)
        phrase, _ = _strip_prefix(phrase, DETERMINERS)
        if phrase in HERE:
            return self._site_scope(), self.site_area
        if phrase in self.area_words:
            return self.area_words[phrase], self.area_labels[phrase]
        close = difflib.get_close_matches(phrase, list(self.area_words), n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return self.area_words[close[0]], self.area_labels[close[0]]
        return None, None

    def _area_in_phrase(self, phrase: str) -> tuple[str, frozenset[str], str] | None:
        """'kitchen lights' -> ('lights', {Kitchen}); 'lights downstairs' -> ('lights', ...)."""
        for word in self._area_words_by_length:
            for cut in (_strip_prefix, _strip_suffix):
                rest, done = cut(phrase, [word])
                if done:
                    rest, _ = _strip_suffix(rest, ("in the", "in", "on the", "on", "of the"))
                    return rest.strip(), self.area_words[word], self.area_labels[word]
        return None

    # -- the whole resolution -------------------------------------------------------------------
    def resolve(self, intent: Intent) -> Resolution:
        slots = intent.slots
        query = _Query(phrase=normalize(slots.device or ""))
        if slots.area:
            scope, label = self.find_area(slots.area)
            if scope is None and label is None and normalize(slots.area) not in HERE:
                # only a device named outright can do without the place ("for the delivery")
                query.unknown_area = slots.area
            query.scope, query.area_label, query.explicit_scope = scope, label, scope is not None
        self._parse_phrase(query)
        found = self._find(query, intent)
        if isinstance(found, Resolution):
            return found
        return self._finish(intent, query, found)

    def _parse_phrase(self, q: _Query) -> None:
        phrase = q.phrase
        phrase, everywhere = _strip_suffix(phrase, EVERYWHERE)
        if phrase in EVERYWHERE or everywhere:
            phrase = "" if phrase in EVERYWHERE else phrase
            q.all, q.scope, q.explicit_scope = True, None, True
        phrase, here = _strip_suffix(phrase, ("in here", "here", "in this room"))
        if here and not q.explicit_scope:
            q.scope, q.explicit_scope, q.area_label = self._site_scope(), True, self.site_area
        phrase, quantified = _strip_prefix(phrase, QUANTIFIERS)
        q.all = q.all or quantified
        phrase, _ = _strip_prefix(phrase, DETERMINERS)
        if phrase in PRONOUNS:
            phrase = ""
        q.phrase = phrase.strip()

    def _find(self, q: _Query, intent: Intent) -> list[Device] | Resolution:
        phrase = q.phrase
        if not phrase:
            return self._by_kind(q, _usual_kind(intent, q), intent)
        # 1. a device's exact name or alias
        exact = self.names.get(phrase) or self.names.get(_singular(phrase)[0])
        if exact:
            q.plural = _singular(phrase)[1] and len(exact) > 1
            return self._within(list(dict.fromkeys(exact)), q)
        # 2. an area in the phrase, then a name, an area-less name or a kind of device
        in_phrase = self._area_in_phrase(phrase)
        if in_phrase is not None:
            rest, scope, label = in_phrase
            if not q.explicit_scope:
                q.scope, q.area_label, q.explicit_scope = scope, label, True
            phrase = q.phrase = rest
            if not phrase:  # just an area: "turn off the kitchen" means its lights
                return self._by_kind(q, _usual_kind(intent, q), intent)
        single, q.plural = _singular(phrase)
        hits = self.names.get(phrase) or self.names.get(single) or []
        in_scope = [d for d in dict.fromkeys(hits) if q.scope is None or d.area in q.scope]
        if in_scope:
            return in_scope
        is_kind_word = phrase in KIND_WORDS or single in KIND_WORDS
        # a name without its area ("ceiling light"), in the asked area or the site's area
        near = q.scope if q.explicit_scope else self._site_scope()
        if near is not None and not (is_kind_word and q.plural):
            short = self.short_names.get(phrase) or self.short_names.get(single) or []
            local = [d for d in dict.fromkeys(short) if d.area in near]
            if local:
                return local
        for candidate in (phrase, single):
            if candidate in KIND_WORDS:
                q.kind_word = candidate
                return self._by_kind(q, KIND_WORDS[candidate], intent)
        partial = self._partial(single, near)
        if partial:
            return partial
        # 3. fuzzy: typos and misrecognitions
        fuzzy = self._fuzzy(phrase, q, q.phrase)
        if fuzzy:
            return fuzzy
        close = difflib.get_close_matches(single, list(KIND_WORDS), n=1, cutoff=FUZZY_CUTOFF)
        if close:
            q.kind_word = close[0]
            return self._by_kind(q, KIND_WORDS[close[0]], intent)
        return Resolution("no_device", intent, heard=q.phrase, area=q.area_label)

    def _partial(self, phrase: str, scope: frozenset[str] | None) -> list[Device]:
        """Every word heard is in the device's name: 'ceiling' -> 'Kitchen Ceiling Light'."""
        words = set(phrase.split(" "))
        hits = [
            d
            for form, devices in self.names.items()
            for d in devices
            if words <= set(form.split(" ")) and (scope is None or d.area in scope)
        ]
        return list(dict.fromkeys(hits))

    def _within(self, devices: list[Device], q: _Query) -> list[Device]:
        """Devices sharing one name: keep those in the asked area, else the site's area."""
        if len(devices) > 1 and q.scope is not None:
            narrowed = [d for d in devices if d.area in q.scope]
            if narrowed:
                return narrowed
        if len(devices) > 1 and not q.plural and self.site_area:
            narrowed = [d for d in devices if d.area == self.site_area]
            if narrowed:
                return narrowed
        return devices

    def _fuzzy(self, phrase: str, q: _Query, full: str) -> list[Device]:
        scores: dict[str, float] = {}
        # Each heard form is compared with every name; the cheap upper bounds skip most
        # (a home of 500 devices costs about 1 ms instead of 100).
        for heard in (phrase, full):
            matcher = difflib.SequenceMatcher(None)
            matcher.set_seq2(heard)
            for table in (self.names, self.short_names):
                for form in table:
                    matcher.set_seq1(form)
                    if (
                        matcher.real_quick_ratio() < FUZZY_CUTOFF
                        or matcher.quick_ratio() < FUZZY_CUTOFF
                    ):
                        continue
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
        hits = list(dict.fromkeys(hits))
        if q.scope is not None:
            hits = [d for d in hits if d.area in q.scope] or hits
        return hits

    def _by_kind(
        self, q: _Query, kinds: tuple[tuple[str, str | None], ...] | None, intent: Intent
    ) -> list[Device] | Resolution:
        """Every device of a kind (or able to do the intent) in scope."""
        if q.unknown_area is not None:
            return Resolution("unknown_area", intent, heard=q.unknown_area)
        wanted = INTENT_DOMAINS.get(intent.name, frozenset())

        def fits(device: Device) -> bool:
            if kinds is None:  # nothing named: the devices that can do the intent
                return device.domain in wanted
            return any(
                device.domain == dom and (cls is None or device.device_class == cls)
                for dom, cls in kinds
            )

        def in_scope(scope: frozenset[str] | None) -> list[Device]:
            return [d for d in self.home.devices if fits(d) and (scope is None or d.area in scope)]

        if q.explicit_scope:
            local = in_scope(q.scope)
            if not local and wanted <= HOUSE_WIDE and q.scope is not None:
                # one thermostat or robot vacuum serves the whole house
                local = in_scope(None)
            return local or self._nothing(q, intent)
        site = self._site_scope()
        if site is not None and not q.all:
            local = in_scope(site)
            if local:
                q.area_label = self.site_area
                return local
        return in_scope(None) or self._nothing(q, intent)

    def _nothing(self, q: _Query, intent: Intent) -> Resolution:
        return Resolution("nothing_there", intent, heard=q.kind_word or q.phrase, area=q.area_label)

    # -- domain sense -----------------------------------------------------------------------------
    def _finish(self, intent: Intent, q: _Query, devices: list[Device]) -> Resolution:
        heard = q.kind_word or q.phrase
        able = [d for d in devices if d.domain in INTENT_DOMAINS[intent.name]]
        if not able:
            adapted = {ADAPT.get((intent.name, d.domain)) for d in devices} - {None}
            if len(adapted) == 1:
                new_name = adapted.pop()
                assert new_name is not None
                intent = _adapted(intent, new_name)
                able = [d for d in devices if d.domain in INTENT_DOMAINS[new_name]]
        if not able:
            return Resolution(
                "unsupported", intent, candidates=tuple(devices), heard=heard, area=q.area_label
            )
        several_allowed = (
            q.all
            or q.plural
            or all(d.domain == "light" for d in able)
            or (intent.name == "get_state")
        )
        if len(able) > 1 and not several_allowed:
            return Resolution(
                "ambiguous", intent, candidates=tuple(able), heard=heard, area=q.area_label
            )
        return Resolution("ok", intent, targets=tuple(able), heard=heard, area=q.area_label)


def _usual_kind(intent: Intent, q: _Query) -> tuple[tuple[str, str | None], ...] | None:
    """With only a place named, switching on or off means its lights."""
    if q.explicit_scope and intent.name in ("turn_on", "turn_off"):
        return KIND_WORDS["light"]
    return None


def _adapted(intent: Intent, name: str) -> Intent:
    """The intent the devices can do; 'lower the blinds' (down, no value) means close them."""
    slots = intent.slots
    if name == "set_position" and slots.value is None and slots.direction is not None:
        name = "open" if slots.direction == "up" else "close"
        slots = replace(slots, direction=None)
    return replace(intent, name=name, slots=slots)
