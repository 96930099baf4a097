"""Areas and devices of the home, validated once at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.home.specs import CommandSpec

SAFETY_POLICIES = ("allow", "confirm", "deny")
# Device classes of covers whose opening lets people in.
ENTRY_COVER_CLASSES = frozenset({"garage", "gate", "door"})
# Names that say a device opens a way in, whatever it was announced as: a garage door
# modelled as a switch or a button, a cover without a device class.
_ENTRY_NAME = re.compile(r"\b(garage door|garage opener|gate|door opener)\b", re.IGNORECASE)
_DOOR_NAME = re.compile(r"\b(garage|gate|door)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Area:
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None


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
    def domain(self) -> str:
        return self.id.split(".", 1)[0]

    def is_sensitive(self, intent: str) -> bool:
        """Unlocking locks and opening garage doors, gates and doors: covers of those
        classes, or named so without a class; switches and buttons named as openers."""
        if intent == "unlock" and self.domain == "lock":
            return True
        names = (self.name, *self.aliases)
        if self.domain == "cover" and intent in ("open", "set_position"):
            if self.device_class is None:
                return any(_DOOR_NAME.search(n) for n in names)
            return self.device_class in ENTRY_COVER_CLASSES
        if self.domain in ("switch", "button") and intent in (
            "turn_on",
            "turn_off",
            "activate_scene",
        ):
            return any(_ENTRY_NAME.search(n) for n in names)
        return False

    def policy(self, intent: str) -> str:
        if not self.is_sensitive(intent):
            return "allow"
        return self.safety or "confirm"


@dataclass(frozen=True)
class Home:
    areas: tuple[Area, ...] = ()
    devices: tuple[Device, ...] = ()

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
