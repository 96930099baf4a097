"""Answers to questions over devices: "is any window open?", "how many lights are on?",
"which doors are unlocked?". Pure: the question's words, the devices asked about and their
states in; the devices the question is about and the reply out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent import reply
from agent.home.inventory import Device
from agent.home.state import DeviceState
from agent.language.normalize import normalize
from agent.resolve.vocab import EVERYWHERE, kind_of
from agent.wording import the

# The state a question asks about -> the domains where it means something.
_STATES: dict[str, frozenset[str]] = {
    "on": frozenset({"light", "switch", "fan", "media_player", "climate", "binary_sensor"}),
    "off": frozenset({"light", "switch", "fan", "media_player", "climate", "binary_sensor"}),
    "open": frozenset({"cover", "valve", "binary_sensor"}),
    "closed": frozenset({"cover", "valve", "binary_sensor"}),
    "locked": frozenset({"lock"}),
    "unlocked": frozenset({"lock"}),
    "playing": frozenset({"media_player"}),
    "paused": frozenset({"media_player"}),
    "wet": frozenset({"binary_sensor"}),
    "low": frozenset({"sensor", "binary_sensor"}),
    "detected": frozenset({"binary_sensor"}),
    "battery": frozenset({"sensor", "binary_sensor"}),
}
_SAID = {
    "shut": "closed",
    "close": "closed",
    "opened": "open",
    "running": "on",
    "leak": "wet",
    "leaking": "wet",
    "leaks": "wet",
    "low": "low",
    "running low": "low",
    "dead": "low",
    "smoke": "detected",
    "motion": "detected",
    "movement": "detected",
    "batteries": "battery",
    "lock": "locked",
    "unlock": "unlocked",
}
_STATE_WORD = re.compile(
    r"\b(running low|on|off|open|opened|closed|close|shut|locked|unlocked|playing|paused|"
    r"running|leak|leaking|leaks|low|dead|wet|smoke|motion|movement|battery|batteries|"
    r"lock|unlock)\b"
)
_COUNT = re.compile(r"^(how many|count)\b")
_ANY = re.compile(r"\b(any|anything|anywhere|a leak|some)\b")
_WHICH = re.compile(r"^(which|what)\b")
_WHICH_MANY = re.compile(r"^(which|what) (of )?(the )?\w+s (is|are)\b|^which\b")
# A binary sensor's on/off as its class says it.
_BINARY_ON = {
    "door": "open",
    "window": "open",
    "garage_door": "open",
    "opening": "open",
    "moisture": "wet",
    "smoke": "detected",
    "gas": "detected",
    "carbon_monoxide": "detected",
    "motion": "detected",
    "occupancy": "detected",
    "presence": "detected",
    "battery": "low",
}
_BINARY_OFF = {"door": "closed", "window": "closed", "garage_door": "closed", "opening": "closed"}
LOW_BATTERY = 20.0  # percent


@dataclass(frozen=True)
class Answer:
    about: tuple[Device, ...]  # the devices the question is about
    text: str


def answer(
    text: str,
    devices: tuple[Device, ...],
    lookup: Callable[[str], DeviceState | None],
    where: str | None,
) -> Answer:
    words = normalize(text)
    wanted = _wanted(words)
    fits = asked_about(words)
    about = tuple(d for d in devices if fits(d)) or devices if fits is not None else devices
    form = "count" if _COUNT.match(words) else "which" if _WHICH.match(words) else None
    if form is None and (len(about) > 1 or _ANY.search(words)):
        form = "any"
    if wanted is None or form is None:
        return Answer(about, reply.states(about, lookup, where))
    states = {d.id: _state(d, lookup(d.id)) for d in about}
    if all(s is None for s in states.values()):
        return Answer(about, reply.state_unknown(about, where))
    hits = tuple(d for d in about if states[d.id] == wanted)
    R = reply.R
    said = R["low_battery"] if wanted == "low" else R.state(wanted)
    what = reply.describe(about, where)
    if not hits:
        verb = R["is"] if len(about) == 1 else R["are"]
        none = "none_any" if form == "any" else "none_which"
        return Answer(about, R.say(none, what=what, verb=verb, state=said))
    names = reply.join([the(d.name) for d in hits])
    verb = R["is"] if len(hits) == 1 else R["are"]
    if form == "count":
        count = R.say("count", count=len(hits), what=what, verb=verb, state=said, names=names)
        return Answer(about, count)
    if form == "any":
        return Answer(about, R.say("yes_these", names=names, verb=verb, state=said))
    text = R.say("these_are", names=names, verb=verb, state=said)
    return Answer(about, text[:1].upper() + text[1:])


def asked_about(text: str) -> Callable[[Device], bool] | None:
    """Which devices a question's state word fits ("locked": locks; "open": covers, valves
    and door or window sensors); None without a state word."""
    wanted = _wanted(normalize(text))
    if wanted is None:
        return None
    domains = _STATES[wanted]

    def fits(device: Device) -> bool:
        if wanted == "battery":  # "the battery of the front door lock": its battery sensor
            return device.device_class == "battery"
        if device.domain != "binary_sensor" or device.device_class is None:
            return device.domain in domains
        said = _BINARY_ON.get(device.device_class), _BINARY_OFF.get(device.device_class)
        return wanted in said or (wanted in ("on", "off") and said == (None, None))

    return fits


_ALL = re.compile(r"\b(?:all|every|each)(?: of)?(?: the| my| our)? (?P<kind>\w+)\b")


def says_everywhere(text: str) -> bool:
    """A command for the whole house: "every light in the house", "lights off everywhere",
    "lock all the doors"."""
    words = normalize(text)
    kinds = (m["kind"] for m in _ALL.finditer(words))
    padded = f" {words} "
    house = any(f" {phrase} " in padded for phrase in EVERYWHERE)
    return house or any(kind_of(k) is not None for k in kinds)


def over_many(text: str) -> bool:
    """A question over many devices: "is any window open", "how many lights are on"."""
    words = normalize(text)
    return bool(_COUNT.match(words) or _WHICH_MANY.match(words) or _ANY.search(words))


def _wanted(words: str) -> str | None:
    found = _STATE_WORD.findall(words)
    if not found:
        return None
    word = str(found[-1])
    return _SAID.get(word, word)


def _state(device: Device, st: DeviceState | None) -> str | None:
    """The device's state in the words of questions: on, open, locked, wet, low..."""
    if st is None:
        return None
    if device.domain == "sensor":
        if device.device_class == "battery" and isinstance(st.value, float):
            return "low" if st.value <= LOW_BATTERY else "ok"
        return None
    state = st.state
    if device.domain == "binary_sensor" and state in ("on", "off"):
        cls = device.device_class or ""
        table = _BINARY_ON if state == "on" else _BINARY_OFF
        return table.get(cls, state)
    if device.domain == "cover" and state is None and st.position is not None:
        return "closed" if st.position == 0 else "open"
    return state
