"""Heard names -> devices. Pure: the home, the site's area and an Intent in, a Resolution out.

A heard phrase can be read several ways; they are tried in order, and the first that names
devices able to do the intent wins (a binary sensor called "Light" can't be turned off, so
"turn off the light" goes on to the kind word "light"):
  1. a device's exact name or alias;
  2. a kind of device said in several words ("garage door"), before a place inside it;
  3. a place inside the phrase plus a name, a name without its area or a kind
     ("kitchen lights", "lights downstairs");
  4. a name without its area, in the asked area or the speaker's ("ceiling light");
  5. a kind of device ("lights", "blinds", "thermostat");
  6. a partial name ("movie" for "Movie Time"), nearby first, then house-wide;
  7. fuzzy matching of names, then of kind words ("kitchen lite").
A kind word covers the speaker's area unless the sentence names a place or says "all" or
"everywhere"; going past it to several devices needs a question first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from agent.home.inventory import Device, Home
from agent.intents import INTENT_DOMAINS
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS
from agent.messages import Intent
from agent.resolve.areas import AreaIndex, Place
from agent.resolve.names import FUZZY_CUTOFF, NameIndex, Scope, in_scope
from agent.resolve.policy import About, Reading, Resolution, can, finish
from agent.resolve.vocab import (
    ADAPT,
    EVERYWHERE,
    GENERIC,
    HERE,
    HOUSE_WIDE,
    KIND_WORDS,
    PRONOUNS,
    QUANTIFIERS,
    USUAL_KIND,
    Kind,
    distinct,
    fits,
    kind_of,
    singular,
    strip_prefix,
    strip_suffix,
)

RETRYABLE = frozenset({"unsupported", "no_device", "nothing_there"})


@dataclass
class _Query:
    phrase: str
    area_said: str = ""
    plural: bool = False
    all: bool = False
    scope: Scope = None
    explicit_scope: bool = False
    label: str | None = None
    unknown_area: str | None = None

    def reading(self, devices: list[Device], heard: str, *, reached: bool = False) -> Reading:
        several = self.all or self.plural
        return Reading(tuple(devices), heard, self.label, several, reached)


class Resolver:
    def __init__(
        self, home: Home, site_area: str | None = None, site_player: str | None = None
    ) -> None:
        self.home = home
        self.site_area = site_area
        self.site_player = site_player
        self.names = NameIndex(home)
        self.areas = AreaIndex(home)
        self.floors = {a.name: normalize(a.floor) for a in home.areas if a.floor}

    def _site(self) -> Place | None:
        return Place(frozenset({self.site_area}), self.site_area) if self.site_area else None

    def resolve(
        self, intent: Intent, about: About | None = None, *, every: bool = False
    ) -> Resolution:
        """For a question: `about`, the devices it can be about ("is it locked": locks).
        `every`: the whole house unless a place is named ("is any window open", "every
        light in the house")."""
        if intent.name != "get_state":
            about = None
        if about is not None:
            fitting = self._resolve(intent, about, every)
            return fitting if fitting.status == "ok" else self._resolve(intent, None, every)
        return self._resolve(intent, None, every)

    def _resolve(self, intent: Intent, about: About | None, every: bool) -> Resolution:
        q = self._query(intent)
        q.all = q.all or (every and not q.explicit_scope)
        first: Resolution | None = None
        for reading in self._readings(q, intent):
            result = reading if isinstance(reading, Resolution) else finish(intent, reading, about)
            if result.status not in RETRYABLE:
                return result
            first = first or result
        return first or Resolution("no_device", intent, heard=q.phrase, area=q.label)

    # -- the heard phrase -------------------------------------------------------------------------
    def _query(self, intent: Intent) -> _Query:
        slots = intent.slots
        q = _Query(phrase=normalize(slots.device or ""), area_said=normalize(slots.area or ""))
        if q.area_said:
            place = self._place(q.area_said, q.phrase)
            said_here = strip_prefix(q.area_said, DETERMINERS)[0] in HERE
            if place is None and not said_here:
                # only a device named outright can do without the place ("for the delivery")
                q.unknown_area = slots.area
            if place is not None:
                q.scope, q.label, q.explicit_scope = place.areas, place.label, True
        phrase, everywhere = strip_suffix(q.phrase, EVERYWHERE)
        if q.phrase in EVERYWHERE or everywhere or q.area_said in EVERYWHERE:
            phrase = "" if q.phrase in EVERYWHERE else phrase
            q.all, q.scope, q.explicit_scope, q.label = True, None, True, None
            q.unknown_area = None
        phrase, here = strip_suffix(phrase, ("in here", "here", "in this room"))
        if here and not q.explicit_scope:
            site = self._site()
            q.scope, q.explicit_scope = (site.areas if site else None), True
            q.label = self.site_area
        phrase, quantified = strip_prefix(phrase, QUANTIFIERS)
        q.all = q.all or quantified
        phrase, _ = strip_prefix(phrase, DETERMINERS)
        if phrase in PRONOUNS:
            phrase = ""
        q.phrase = phrase.strip()
        q.plural = singular(q.phrase)[1] if q.phrase else False
        return q

    def _place(self, said: str, phrase: str) -> Place | None:
        """The area or floor said; of several close spellings, the one holding a device
        named like the phrase or of its kind ("the lamp in the bedrom": the bedroom with a
        lamp, not the bathroom)."""
        place = self.areas.find(said, self._site())
        close = self.areas.close(said)
        if place is None or len(close) < 2 or said in self.areas.words:
            return place
        kind = kind_of(phrase)
        for option in close:
            named = in_scope(self.names.exact(phrase) + self.names.short(phrase), option.areas)
            of_kind = kind is not None and any(
                d.area in option.areas and fits(d.domain, d.device_class, kind[1])
                for d in self.home.devices
            )
            if named or of_kind:
                return option
        return place

    # -- the readings, in order -------------------------------------------------------------------
    def _readings(self, q: _Query, intent: Intent) -> Iterator[Reading | Resolution]:
        phrase = q.phrase
        if not phrase:
            yield self._by_kind(q, self._usual_kind(intent, q), intent, "")
            return
        if q.area_said and (kind_of(phrase) is None or q.unknown_area is not None or not q.plural):
            # "the vacuum" + "downstairs": the Vacuum Downstairs; "the humidity in the
            # basement": the Basement Humidity (but "the lights in the kitchen" are the
            # kitchen's lights, not only one called "Kitchen Lights")
            for joined in (f"{phrase} {q.area_said}", f"{q.area_said} {phrase}"):
                if named := self.names.exact(joined):
                    yield q.reading(named, joined)
            if q.unknown_area is not None:  # "the light in the pool table": its name
                said = f"{q.area_said} {phrase}".split(" ")
                joined = " ".join(w for w in said if w not in GENERIC) or phrase
                if named := self.names.partial(joined, None, self._able(intent)):
                    yield q.reading(named, joined)
        exact = self.names.exact(phrase)
        kind = kind_of(phrase)
        if exact and kind is not None and self._kind_first(q, phrase, exact):
            yield self._by_kind(q, kind[1], intent, kind[0])
        if exact and q.explicit_scope:  # "the fan in the kitchen": not the one elsewhere
            exact = _placed(exact, q.scope)
        if exact:
            yield q.reading(self._within(exact, q), phrase)
        if exact or (kind is not None and " " in kind[0]):
            # a name or a kind said whole is never taken apart: "garage door" is not the
            # garage's door; a device that can't do it falls through to the kind only
            near = q.scope if q.explicit_scope else self._scope_of(self._site())
            if not exact and (short := self._short(phrase, near)):
                yield q.reading(short, phrase)  # "the ceiling light": this room's, by name
            if kind is not None:
                yield self._by_kind(q, kind[1], intent, kind[0])
            scope = q.scope if q.explicit_scope else None
            if exact and (longer := self.names.partial(phrase, scope)):
                yield q.reading(self._within(longer, q), phrase)  # "front door" lock
            return
        place = self.areas.in_phrase(phrase)
        if place is not None:
            if not q.explicit_scope:
                q.scope, q.label, q.explicit_scope = place.place.areas, place.place.label, True
            phrase = q.phrase = place.rest
            if not phrase:  # just an area: "turn off the kitchen" means its lights
                if kind is not None:  # ...unless it is a kind too: "is the garage open"
                    yield self._by_kind(q, kind[1], intent, kind[0])
                yield self._by_kind(q, self._usual_kind(intent, q), intent, "")
                return
            if named := in_scope(self.names.exact(phrase), q.scope):
                yield q.reading(named, phrase)
        yield from self._named(q, intent, phrase)

    def _named(self, q: _Query, intent: Intent, phrase: str) -> Iterator[Reading | Resolution]:
        kind = kind_of(phrase)
        near = q.scope if q.explicit_scope else self._scope_of(self._site())
        local = self._short(phrase, near)
        if local and not (kind is not None and q.plural):
            yield q.reading(local, phrase)
        if kind is not None:
            yield self._by_kind(q, kind[1], intent, kind[0])
        able = self._able(intent)
        if partial := self.names.partial(phrase, near, able):
            yield q.reading(partial, phrase)
        elif not q.explicit_scope and (partial := self.names.partial(phrase, None, able)):
            yield q.reading(partial, phrase, reached=near is not None)
        fuzzy = self.names.fuzzy(phrase, singular(phrase)[0])
        if q.explicit_scope:
            fuzzy = _placed(fuzzy, q.scope)
        if fuzzy and not q.explicit_scope and near is not None:
            # a misheard name: the one here, else one elsewhere only after asking which
            if local := in_scope(fuzzy, near):
                yield q.reading(local, phrase)
            else:
                yield q.reading(fuzzy, phrase, reached=True)
        elif fuzzy:
            yield q.reading(fuzzy, phrase)
        close = difflib.get_close_matches(
            singular(phrase)[0], list(KIND_WORDS), n=1, cutoff=FUZZY_CUTOFF
        )
        if close:
            yield self._by_kind(q, KIND_WORDS[close[0]], intent, close[0])
        if q.unknown_area is not None:
            yield Resolution("unknown_area", intent, heard=q.unknown_area)
        yield Resolution("no_device", intent, heard=phrase, area=q.label)

    def _short(self, phrase: str, near: Scope) -> list[Device]:
        """A name said without its area, there: 'ceiling light' for 'Living Room Ceiling
        Light', or for 'Living Room Ceiling' with the kind word added."""
        if near is None:
            return []
        found = self.names.short(phrase) or self.names.short(distinct(phrase))
        return in_scope(found, near)

    def _kind_first(self, q: _Query, phrase: str, exact: list[Device]) -> bool:
        """A kind word that is also a device's name means the kind when said in the plural
        ("lights", with a sensor called "Light") or when that device is not in the place
        said ("the temperature outside", with a sensor called "Temperature" in the office)."""
        said_plural = q.plural and phrase not in self.names.names
        elsewhere = q.explicit_scope and not in_scope(exact, q.scope)
        site = self._site()
        if site is None or q.explicit_scope or in_scope(exact, site.areas):
            return said_plural or elsewhere
        # the fan in this room, not a switch called "Fan" in the garage (but "the awning" is
        # the Patio Awning, which has it as its alias, not any blind in this room)
        if not any(self.names.name_of(d) in (phrase, singular(phrase)[0]) for d in exact):
            return said_plural
        kind = kind_of(phrase)
        here = [
            d
            for d in self.home.devices
            if d.area in site.areas and kind is not None and fits(d.domain, d.device_class, kind[1])
        ]
        return said_plural or bool(here)

    @staticmethod
    def _able(intent: Intent) -> frozenset[str] | None:
        """The domains that can do the intent, as heard or adapted; None for a question,
        which any device can answer ("is the water heater leaking": its leak sensor)."""
        if intent.name == "get_state":
            return None
        adapted = {dom for (name, dom) in ADAPT if name == intent.name}
        return INTENT_DOMAINS.get(intent.name, frozenset()) | adapted

    @staticmethod
    def _scope_of(place: Place | None) -> Scope:
        return place.areas if place else None

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

    # -- kinds of device --------------------------------------------------------------------------
    @staticmethod
    def _usual_kind(intent: Intent, q: _Query) -> tuple[Kind, ...] | None:
        """What a sentence naming no device means: lights for "brighter", the media player
        for "louder"; with only a place named, switching on or off means its lights."""
        if intent.name in USUAL_KIND:
            return USUAL_KIND[intent.name]
        if q.explicit_scope and intent.name in ("turn_on", "turn_off"):
            return KIND_WORDS["light"]
        return None

    def _by_kind(
        self, q: _Query, kinds: tuple[Kind, ...] | None, intent: Intent, heard: str
    ) -> Reading | Resolution:
        """Every device of a kind (or able to do the intent) in scope."""
        if q.unknown_area is not None:
            return Resolution("unknown_area", intent, heard=q.unknown_area)
        wanted = INTENT_DOMAINS.get(intent.name, frozenset())

        lamp = singular(heard)[0] if kinds is not None and ("light", None) in kinds else ""

        def of_the_kind(device: Device) -> bool:
            if kinds is None:  # nothing named: the devices that can do the intent
                return device.domain in wanted
            if lamp and device.domain == "switch":  # a plug called "Bedroom 2 Lamp"
                return lamp in self.names.name_of(device).split(" ")
            return fits(device.domain, device.device_class, kinds)

        def of_kind(scope: Scope) -> list[Device]:
            found = [
                d
                for d in self.home.devices
                if of_the_kind(d) and (scope is None or d.area in scope)
            ]
            if not found and kinds is not None and ("light", None) in kinds and scope is not None:
                # no lights there: the switches there most likely power them
                found = [d for d in self.home.devices if d.domain == "switch" and d.area in scope]
            # of a kind with several meanings ("temperature"), those that can do it
            able = [d for d in found if can(d, intent)]
            return self._prefer_named(self._prefer_player(able or found, q), q, heard)

        house_wide = {d.domain for d in of_kind(None) if can(d, intent)} <= HOUSE_WIDE
        if q.explicit_scope:
            local = of_kind(q.scope)
            if not any(can(d, intent) for d in local) and house_wide and q.scope is not None:
                # one thermostat or robot vacuum serves the whole house, or this floor
                local = self._same_floor(of_kind(None), q.scope)
            return q.reading(local, heard) if local else self._nothing(q, intent, heard)
        site = self._site()
        if site is not None and not q.all:
            local = of_kind(site.areas)
            if any(can(d, intent) for d in local) or (local and not house_wide):
                return Reading(tuple(local), heard, self.site_area, q.plural)
            # past the speaker's area only when one device is meant or asking is harmless
            everywhere = of_kind(None)
            if house_wide:
                everywhere = self._same_floor(everywhere, site.areas)
            reached = not (house_wide or intent.name == "get_state")
            if everywhere:
                return q.reading(everywhere, heard, reached=reached)
            return self._nothing(q, intent, heard)
        devices = of_kind(None)
        return q.reading(devices, heard) if devices else self._nothing(q, intent, heard)

    def _same_floor(self, devices: list[Device], areas: frozenset[str]) -> list[Device]:
        """Of several that serve a whole floor (thermostats), the one on the floor of these
        areas, by its area's floor or its name ("Upstairs Thermostat")."""
        floors = {self.floors[a] for a in areas if self.floors.get(a)}
        if len(devices) < 2 or not floors:
            return devices
        same = [
            d
            for d in devices
            if self.floors.get(d.area or "") in floors
            or any(f in self.names.name_of(d).split(" ") for f in floors)
        ]
        return same or devices

    def _prefer_named(self, devices: list[Device], q: _Query, heard: str) -> list[Device]:
        """'the lamp' among a room's lights: the ones called lamp, if any are ('the light'
        stays every light of the room)."""
        if q.all or q.plural or heard in ("", "light") or len(devices) < 2:
            return devices
        named = [d for d in devices if heard in self.names.name_of(d).split(" ")]
        return named or devices

    def _prefer_player(self, devices: list[Device], q: _Query) -> list[Device]:
        """Of several media players, the site's own, unless all were asked for."""
        players = all(d.domain == "media_player" for d in devices)
        if players and len(devices) > 1 and not (q.all or q.plural) and self.site_player:
            own = [d for d in devices if d.id == self.site_player]
            if own:
                return own
        return devices

    def _nothing(self, q: _Query, intent: Intent, heard: str) -> Resolution:
        # "there is no light upstairs": the kind in the singular
        said = singular(heard or q.phrase)[0] if heard or q.phrase else ""
        return Resolution("nothing_there", intent, heard=said, area=q.label)


def _placed(devices: list[Device], scope: Scope) -> list[Device]:
    """Those in the place said, or placed nowhere (a device with no area may be anywhere)."""
    return [d for d in devices if d.area is None or d.area in (scope or ())]
