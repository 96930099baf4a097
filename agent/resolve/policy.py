"""What the devices found may do: capability, the intent they can do instead, and when a
choice must be asked ("Which lock, the front door or the back door?")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from agent.home.inventory import Device
from agent.intents import INTENT_DOMAINS, IntentName
from agent.messages import Intent
from agent.resolve.vocab import ADAPT

About = Callable[[Device], bool]


@dataclass(frozen=True)
class Resolution:
    """status: ok | ambiguous | no_device | unknown_area | unsupported | nothing_there."""

    status: str
    intent: Intent
    targets: tuple[Device, ...] = ()
    candidates: tuple[Device, ...] = ()
    heard: str = ""
    area: str | None = None  # how the place was named in replies: "kitchen", "downstairs"
    note: str = ""  # said after the reply: "70 °F"


@dataclass(frozen=True)
class Reading:
    """One way of taking the heard name: these devices."""

    devices: tuple[Device, ...]
    heard: str  # the name or kind word heard, for replies
    area: str | None = None
    several: bool = False  # the phrase asked for several: plural, "all", a quantifier
    reached: bool = False  # a kind word went past the speaker's area without being told to


def can(device: Device, intent: Intent) -> bool:
    """Whether a device can do the intent, as heard or adapted ("turn on" a scene)."""
    name = intent.name
    return device.domain in INTENT_DOMAINS[name] or (name, device.domain) in ADAPT


def finish(intent: Intent, reading: Reading, about: About | None = None) -> Resolution:
    """`about`: for a question, the devices its state word fits ("locked": locks)."""
    devices = reading.devices
    if about is not None:
        able = [d for d in devices if about(d)]
    else:
        able = [d for d in devices if d.domain in INTENT_DOMAINS[intent.name]]
    if not able:
        adapted = {ADAPT.get((intent.name, d.domain)) for d in devices} - {None}
        if len(adapted) == 1:
            new_name = adapted.pop()
            assert new_name is not None
            intent = adapted_intent(intent, new_name)
            able = [d for d in devices if d.domain in INTENT_DOMAINS[new_name]]
    if not able:
        return Resolution(
            "unsupported", intent, candidates=devices, heard=reading.heard, area=reading.area
        )
    question = intent.name == "get_state"
    several_allowed = (
        reading.several
        or question
        or (all(d.domain == "light" for d in able) and not reading.reached)
    )
    if len(able) > 1 and not several_allowed:
        return Resolution(
            "ambiguous", intent, candidates=tuple(able), heard=reading.heard, area=reading.area
        )
    return Resolution("ok", intent, targets=tuple(able), heard=reading.heard, area=reading.area)


def adapted_intent(intent: Intent, name: IntentName) -> Intent:
    """The intent the devices can do; 'lower the blinds' (down, no value) means close them."""
    slots = intent.slots
    if name == "set_position" and slots.value is None and slots.direction is not None:
        name = "open" if slots.direction == "up" else "close"
        slots = replace(slots, direction=None)
    return replace(intent, name=name, slots=slots)
