"""Device state from state topics: value templates rendered as Home Assistant renders them
(agent.home.templating), and each reading normalised into one small record per device. Pure
but for the store's lock and the template cache."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, replace
from typing import Any

from agent.home.template_filters import TemplateError
from agent.home.templating import render_value

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_STATE = 255  # characters of a state kept, as in Home Assistant (a longer one is ignored)


@dataclass(frozen=True)
class StateSource:
    """One topic that carries part of an entity's state."""

    topic: str
    attribute: str  # state, brightness, position, percentage, temperature, current, mode
    template: str | None = None


def render(template: str | None, payload: str) -> str:
    """What a state payload reads as through its value template (stripped, as Home
    Assistant strips it); TemplateError where the template fails."""
    return payload if template is None else render_value(template, payload)


def _json(payload: str) -> Any:
    try:
        return json.loads(payload)
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise TemplateError(f"payload is not JSON: {payload[:60]!r}") from None


@dataclass(frozen=True)
class DeviceState:
    """What we know of one device; None where nothing was heard."""

    state: str | None = None  # "on", "off", "open", "closed", "locked", ... or the raw value
    brightness: float | None = None  # percent
    position: float | None = None  # percent open
    percentage: float | None = None  # fan speed, percent
    value: float | str | None = None  # a sensor's reading
    unit: str | None = None
    temperature: float | None = None  # a thermostat's target
    current: float | None = None  # a thermostat's measured temperature
    mode: str | None = None


@dataclass(frozen=True)
class Reader:
    """How one device's state payloads read: its domain and the words its payloads use."""

    domain: str
    on: tuple[str, ...] = ("ON",)
    off: tuple[str, ...] = ("OFF",)
    words: tuple[tuple[str, str], ...] = ()  # payload -> state word (covers, locks)
    brightness_scale: int = 255
    unit: str | None = None

    def apply(self, current: DeviceState, source: StateSource, payload: str) -> DeviceState:
        """`current` updated with one state message. TemplateError if it can't be read."""
        if source.attribute == "json":
            return self._json(current, payload)
        value = render(source.template, payload.strip())
        if value == "":
            return current  # nothing read (Home Assistant: an unknown state)
        if source.attribute == "state":
            return self._state(current, value)
        if source.attribute == "mode":
            mode = str(value) if _scalar(value) else ""
            return replace(current, mode=mode) if 0 < len(mode) <= MAX_STATE else current
        number = read_number(value)
        if number is None:
            return current
        if source.attribute == "brightness":
            return replace(current, brightness=_pct(number, self.brightness_scale))
        if source.attribute == "position":
            return replace(current, position=number)
        if source.attribute == "percentage":
            return replace(current, percentage=number)
        if source.attribute == "temperature":
            return replace(current, temperature=number)
        if source.attribute == "current":
            return replace(current, current=number)
        return current

    def _state(self, current: DeviceState, value: Any) -> DeviceState:
        if not _scalar(value):
            return current  # a list or an object is no state (and a deep one costs to print)
        text = str(value)
        if len(text) > MAX_STATE:
            return current
        if self.domain == "sensor":
            number = read_number(value)
            return replace(current, value=text if number is None else number, unit=self.unit)
        if self.domain == "climate":
            return replace(current, mode=text)
        word = dict(self.words).get(text)
        if word is None and text in self.on:
            word = "on"
        elif word is None and text in self.off:
            word = "off"
        return replace(current, state=word or text.lower())

    def _json(self, current: DeviceState, payload: str) -> DeviceState:
        body = _json(payload)
        if not isinstance(body, dict):
            return current
        out = current
        if "state" in body:
            out = self._state(out, body["state"])
        if isinstance(body.get("brightness"), int | float):
            out = replace(out, brightness=_pct(float(body["brightness"]), self.brightness_scale))
        return out


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def read_number(value: Any) -> float | None:
    """A number as a state or attribute gives it ("21.5", 21.5); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return None


def _pct(raw: float, scale: int) -> float:
    return round(raw * 100 / scale) if scale else raw


class StateStore:
    """device id -> DeviceState, written by the MQTT thread, read by the loop."""

    def __init__(self) -> None:
        self._states: dict[str, DeviceState] = {}
        self._lock = threading.Lock()

    def get(self, device_id: str) -> DeviceState | None:
        with self._lock:
            return self._states.get(device_id)

    def update(self, device_id: str, reader: Reader, source: StateSource, payload: str) -> None:
        with self._lock:
            current = self._states.get(device_id, DeviceState())
            self._states[device_id] = reader.apply(current, source, payload)

    def put(self, device_id: str, state: DeviceState) -> None:
        """A state read whole (Home Assistant's, from its link)."""
        with self._lock:
            self._states[device_id] = state

    def forget(self, device_id: str) -> None:
        with self._lock:
            self._states.pop(device_id, None)

    def __len__(self) -> int:
        return len(self._states)
