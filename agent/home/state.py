"""Device state from state topics: the common value_template forms, read without Jinja, and
each reading normalised into one small record per device. Pure but for the store's lock."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, replace
from typing import Any

from agent.home.discovery import StateSource

_TEMPLATE = re.compile(
    r"^\s*\{\{\s*(?P<expr>value(?:_json)?(?:\s*\.\s*\w+|\s*\[\s*(?:'[^']*'|\"[^\"]*\"|\d+)\s*\])*)"
    r"\s*(?P<filters>(?:\|\s*\w+\s*(?:\([^)]*\))?\s*)*)\}\}\s*$"
)
_STEP = re.compile(r"\.\s*(\w+)|\[\s*(?:'([^']*)'|\"([^\"]*)\"|(\d+))\s*\]")
_FILTER = re.compile(r"\|\s*(\w+)\s*(?:\(([^)]*)\))?")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class TemplateError(ValueError):
    pass


def render(template: str | None, payload: str) -> Any:
    """The value a template takes from a payload: `{{ value }}`, `{{ value_json.a.b }}`,
    `{{ value_json['a'] }}`, with `| float`, `| int`, `| round(n)`, `| lower`, `| upper`."""
    if template is None:
        return payload
    match = _TEMPLATE.match(template)
    if match is None:
        raise TemplateError(f"unsupported value template {template!r}")
    expr = match["expr"]
    value: Any = payload
    if expr.startswith("value_json"):
        try:
            value = json.loads(payload)
        except json.JSONDecodeError:
            raise TemplateError(f"payload is not JSON: {payload[:60]!r}") from None
        for step in _STEP.finditer(expr[len("value_json") :]):
            key = step[1] or step[2] or step[3]
            if step[4] is not None and isinstance(value, list):
                index = int(step[4])
                value = value[index] if index < len(value) else None
            elif isinstance(value, dict):
                value = value.get(key if key is not None else step[4])
            else:
                value = None
            if value is None:
                return None
    for f in _FILTER.finditer(match["filters"] or ""):
        value = _filter(f[1], f[2], value)
    return value


def _filter(name: str, arg: str | None, value: Any) -> Any:
    try:
        if name == "float":
            return float(value)
        if name == "int":
            return int(float(value))
        if name == "round":
            return round(float(value), int(arg or 0))
        if name == "lower":
            return str(value).lower()
        if name == "upper":
            return str(value).upper()
    except (TypeError, ValueError):
        return None
    return value  # default(), is_defined and the like leave the value as it is


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
        if value is None:
            return current
        if source.attribute == "state":
            return self._state(current, value)
        if source.attribute == "mode":
            return replace(current, mode=str(value))
        number = _number(value)
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
        text = str(value)
        if self.domain == "sensor":
            number = _number(value)
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
        try:
            body = json.loads(payload)
        except json.JSONDecodeError:
            raise TemplateError(f"payload is not JSON: {payload[:60]!r}") from None
        if not isinstance(body, dict):
            return current
        out = current
        if "state" in body:
            out = self._state(out, body["state"])
        if isinstance(body.get("brightness"), int | float):
            out = replace(out, brightness=_pct(float(body["brightness"]), self.brightness_scale))
        return out


def _number(value: Any) -> float | None:
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

    def forget(self, device_id: str) -> None:
        with self._lock:
            self._states.pop(device_id, None)

    def __len__(self) -> int:
        return len(self._states)
