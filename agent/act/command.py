"""A device-level request and the helpers every protocol shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.colors import COLORS
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.intents import IntentName
from agent.language.phrases import replies
from agent.messages import SlotValue
from agent.wording import the

STEPS = {"set_brightness": 20.0, "set_temperature": 1.0, "set_position": 20.0, "set_volume": 10.0}


@dataclass(frozen=True)
class Command:
    """What to do to one device: the intent, and a value or a direction where it takes one."""

    intent: IntentName
    value: SlotValue | None = None
    direction: str | None = None  # "up" or "down"
    current: float | None = None  # the device's level now, where its state is known
    step: float | None = None  # by how much, for "up by 10"; None: the usual step

    def number(self, device: Device, low: float, high: float) -> float:
        """The value asked for; for "brighter" or "warmer", the current level and a step."""
        if isinstance(self.value, int | float) and not isinstance(self.value, bool):
            return max(low, min(high, float(self.value)))
        if self.relative and self.current is not None:
            step = STEPS.get(self.intent, 10.0) if self.step is None else self.step
            step *= 1 if self.direction == "up" else -1
            return max(low, min(high, self.current + step))
        raise UnsupportedCommand(_need_value(self.intent, device))

    def percent(self, device: Device) -> int:
        return round(self.number(device, 0, 100))

    def rgb(self) -> tuple[int, int, int]:
        if isinstance(self.value, str) and self.value in COLORS:
            return COLORS[self.value]
        if self.value is None:
            raise UnsupportedCommand("Which colour would you like?")
        raise UnsupportedCommand(f"I don't know the colour {self.value}.")

    @property
    def relative(self) -> bool:
        return self.value is None and self.direction in ("up", "down")


def _need_value(intent: IntentName, device: Device) -> str:
    words = replies()
    asks = words.table["need_value_what"]
    key = "fan_speed" if intent == "set_brightness" and device.domain == "fan" else intent
    what = asks.get(key, asks["other"])
    return words.say("need_value", name=the(device.name), what=what)


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj)


def scale(percent: float, top: int) -> int:
    return round(percent * top / 100)


def unsupported(device: Device) -> UnsupportedCommand:
    return UnsupportedCommand(replies().say("cannot_do", name=the(device.name)))
