"""Device state from state topics: the common value_template forms, read without Jinja, and
each reading normalised into one small record per device. Pure but for the store's lock."""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass, replace
from typing import Any

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_TEMPLATE = 500  # characters; the forms read here are short
MAX_STATE = 255  # characters of a state kept, as in Home Assistant (a longer one is ignored)


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Template:
    """A value template read once: where in the payload the value is, and its filters."""

    json: bool
    steps: tuple[str | int, ...]
    filters: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class StateSource:
    """One topic that carries part of an entity's state."""

    topic: str
    attribute: str  # state, brightness, position, percentage, temperature, current, mode
    template: str | None = None


@functools.lru_cache(maxsize=1024)
def parse_template(template: str) -> Template:
    """`{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['a'][0] }}`, with filters like
    `| float`, `| round(1)`. One pass over the text, no backtracking: a template from the
    broker can't make this slow. TemplateError for anything else."""
    if len(template) > MAX_TEMPLATE:
        raise TemplateError(f"value template longer than {MAX_TEMPLATE} characters")
    s = _Scanner(template)
    s.expect("{{")
    name = s.word()
    if name not in ("value", "value_json"):
        raise TemplateError(f"unsupported value template {template[:80]!r}")
    steps: list[str | int] = []
    while True:
        if s.take("."):
            steps.append(s.word())
        elif s.take("["):
            steps.append(s.key())
            s.expect("]")
        else:
            break
    filters: list[tuple[str, str | None]] = []
    while s.take("|"):
        fname = s.word()
        arg = None
        if s.take("("):
            arg = s.until(")")
        filters.append((fname, arg))
    s.expect("}}")
    if not s.done():
        raise TemplateError(f"unsupported value template {template[:80]!r}")
    if steps and name == "value":
        raise TemplateError("only value_json has keys")
    return Template(name == "value_json", tuple(steps), tuple(filters))


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def _space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def take(self, token: str) -> bool:
        self._space()
        if self.text.startswith(token, self.i):
            self.i += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.take(token):
            raise TemplateError(f"unsupported value template {self.text[:80]!r}")

    def word(self) -> str:
        self._space()
        start = self.i
        while self.i < len(self.text) and (self.text[self.i].isalnum() or self.text[self.i] == "_"):
            self.i += 1
        if start == self.i:
            raise TemplateError(f"unsupported value template {self.text[:80]!r}")
        return self.text[start : self.i]

    def key(self) -> str | int:
        self._space()
        quote = self.text[self.i : self.i + 1]
        if quote in ("'", '"'):
            self.i += 1
            return self.until(quote)
        word = self.word()
        if not word.isdigit():
            raise TemplateError(f"unsupported value template {self.text[:80]!r}")
        return int(word)

    def until(self, end: str) -> str:
        stop = self.text.find(end, self.i)
        if stop < 0:
            raise TemplateError(f"unsupported value template {self.text[:80]!r}")
        out = self.text[self.i : stop]
        self.i = stop + len(end)
        return out

    def done(self) -> bool:
        self._space()
        return self.i == len(self.text)


def render(template: str | Template | None, payload: str) -> Any:
    """The value a template takes from a payload (see `parse_template`)."""
    if template is None:
        return payload
    parsed = parse_template(template) if isinstance(template, str) else template
    value: Any = payload
    if parsed.json:
        value = _json(payload)
        for step in parsed.steps:
            if isinstance(step, int) and isinstance(value, list):
                value = value[step] if step < len(value) else None
            elif isinstance(value, dict):
                value = value.get(str(step))
            else:
                value = None
            if value is None:
                return None
    for name, arg in parsed.filters:
        value = _filter(name, arg, value)
    return value


def _json(payload: str) -> Any:
    try:
        return json.loads(payload)
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise TemplateError(f"payload is not JSON: {payload[:60]!r}") from None


def _filter(name: str, arg: str | None, value: Any) -> Any:
    if (arg is not None and len(arg) > 10) or not _scalar(value):
        return None
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
    except (TypeError, ValueError, OverflowError):
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
            mode = str(value) if _scalar(value) else ""
            return replace(current, mode=mode) if 0 < len(mode) <= MAX_STATE else current
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
        if not _scalar(value):
            return current  # a list or an object is no state (and a deep one costs to print)
        text = str(value)
        if len(text) > MAX_STATE:
            return current
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
