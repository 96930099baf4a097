"""Areas and devices of the home, validated once at start-up."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import cast

from agent.home.specs import CommandSpec
from agent.intents import Domain, IntentName
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS

SAFETY_POLICIES = ("allow", "confirm", "deny")
# Device classes (any case) whose opening lets people in.
ENTRY_COVER_CLASSES = frozenset({"garage", "gate", "door", "garage_door"})
# Names that say a device opens a way in, whatever it was announced as (a garage door
# modelled as a switch, a button, a valve, a light, a cover of another class); read on the
# normalised name, so "Garage_Door", "Garage-Door" and look-alike letters count too. A light
# or a sensor named after the door it is at ("Gate Light") is not one.
_ENTRY_NAME = re.compile(
    r"\b(garage ?doors?|garage ?openers?|gates?|door ?openers?|door (?:strike|release|buzzer)s?)"
    r"\b(?! (?:lights?|lamps?|bulbs?|sensors?|cameras?|bells?|chimes?)\b)"
)
# A cover or valve without a device class: a door of any kind.
_DOOR_NAME = re.compile(r"\b(garages?|gates?|doors?)\b")
# What leaves a way in as it is: closing, locking, stopping, asking.
_SAFE_INTENTS = frozenset({"close", "lock", "stop", "get_state", "none"})
# Words a name may start with that say nothing of the device ("The Coffee Machine"): the
# resolver's determiners.


@dataclass(frozen=True)
class Area:
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None


@dataclass(frozen=True)
class Floor:
    """A floor's other names ("top floor" for Upstairs); areas name their floor."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Device:
    id: str  # <domain>.<object_id>
    name: str
    area: str | None = None
    aliases: tuple[str, ...] = ()
    device_class: str | None = None
    command: CommandSpec | None = None
    safety: str | None = None  # allow | confirm | deny; None: the default for the device

    @property
    def domain(self) -> Domain:
        return cast(Domain, self.id.split(".", 1)[0])  # ids are checked where they are read

    def is_sensitive(self, intent: IntentName) -> bool:
        """Unlocking locks; anything but closing, stopping or asking about a device of an
        entry class (garage, gate, door), or one named as a garage door, gate or door
        opener whatever its domain; opening a cover or valve without a class named as a
        door of any kind. Names are read normalised, classes in any case."""
        if self.domain == "lock":
            return intent == "unlock"
        if intent in _SAFE_INTENTS:
            return False
        cls = self.device_class.casefold() if self.device_class else None
        entry, door = _named_as((self.name, *self.aliases))
        if cls in ENTRY_COVER_CLASSES or entry:
            return True
        if self.domain in ("cover", "valve") and cls is None:
            return intent in ("open", "set_position") and door
        return False

    def policy(self, intent: IntentName) -> str:
        if not self.is_sensitive(intent):
            return "allow"
        return self.safety or "confirm"


@dataclass(frozen=True)
class Home:
    areas: tuple[Area, ...] = ()
    devices: tuple[Device, ...] = ()
    floors: tuple[Floor, ...] = ()  # floors with aliases (Home Assistant's)

    def device(self, device_id: str) -> Device | None:
        for device in self.devices:
            if device.id == device_id:
                return device
        return None

    def area(self, name: str) -> Area | None:
        for area in self.areas:
            if area.name == name:
                return area
        return None

    def area_called(self, said: str) -> Area | None:
        """The area `said` names, as a person would write it: any case, or an alias."""
        heard = spoken(said)
        for area in self.areas:
            if heard in (spoken(n) for n in (area.name, *area.aliases)):
                return area
        return None


@functools.lru_cache(maxsize=1 << 15)
def _named_as(names: tuple[str, ...]) -> tuple[bool, bool]:
    """Whether a device's names say an entry (a garage door, a gate, a door opener), and
    whether they say a door of any kind. Cached: asked for every device on every rebuild."""
    heard = [normalize(n) for n in names]
    return (
        any(_ENTRY_NAME.search(h) for h in heard),
        any(_DOOR_NAME.search(h) for h in heard),
    )


@functools.lru_cache(maxsize=1 << 16)
def spoken(name: str) -> str:
    """A name as it is heard: normalised (case, punctuation, spacing, full-width and
    look-alike letters), without leading determiners. Two names that read the same here
    can't be told apart by voice."""
    words = normalize(name).split(" ")
    while len(words) > 1 and words[0] in DETERMINERS:
        words = words[1:]
    return " ".join(words)
