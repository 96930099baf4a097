"""Short English replies, one template per intent and outcome. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from agent.home.inventory import Device
from agent.home.state import DeviceState
from agent.intents import IntentName
from agent.messages import Slots
from agent.wording import spoken, the

NOUNS = {
    "light": "lights",
    "switch": "switches",
    "fan": "fans",
    "cover": "covers",
    "lock": "locks",
    "climate": "thermostats",
    "media_player": "media players",
    "vacuum": "vacuums",
    "valve": "valves",
    "scene": "scenes",
    "button": "buttons",
    "sensor": "sensors",
    "binary_sensor": "sensors",
}
VERBS = {
    "turn_on": "turn on",
    "turn_off": "turn off",
    "set_brightness": "change the brightness of",
    "set_color": "change the colour of",
    "set_temperature": "set the temperature of",
    "get_state": "check",
    "lock": "lock",
    "unlock": "unlock",
    "open": "open",
    "close": "close",
    "set_position": "move",
    "stop": "stop",
    "set_volume": "change the volume of",
    "media_play": "play",
    "play_media": "play something on",
    "media_pause": "pause",
    "media_resume": "resume",
    "media_next": "skip on",
    "media_previous": "go back on",
    "activate_scene": "activate",
    "vacuum_start": "start",
    "vacuum_dock": "dock",
}


def join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe(devices: tuple[Device, ...], place: str | None = None) -> str:
    """'the kitchen light', 'the lights in the kitchen', 'the lights upstairs', '3 fans'.
    `place`: where, as said in replies ("in the kitchen", "upstairs"); see `place`."""
    if len(devices) <= 2:
        return join([the(d.name) for d in devices])
    domains = {d.domain for d in devices}
    noun = NOUNS[domains.pop()] if len(domains) == 1 else "devices"
    if place:
        return f"the {noun} {place}"
    return f"{len(devices)} {noun}"


# Floors said without "in the": "the lights upstairs", but "the lights in the basement".
_ADVERB_FLOORS = frozenset({"upstairs", "downstairs", "outside", "outdoors", "inside", "indoors"})


def place(label: str | None, *, floor: bool) -> str | None:
    """'in the kitchen' for an area; 'upstairs' for a floor: "there is no light upstairs"."""
    if not label:
        return None
    said = spoken(label)
    if floor and said.lower() in _ADVERB_FLOORS:
        return said
    if floor and said.lower().endswith(" floor"):
        return f"on the {said}"
    return f"in the {said}"


def _value(slots: Slots, suffix: str = "") -> str:
    value = slots.value
    return f"{value}{suffix}"


def done(intent: IntentName, slots: Slots, targets: tuple[Device, ...], where: str | None) -> str:
    """What the agent says it is doing. One case per intent: mypy finds a new one missing."""
    what = describe(targets, where)
    up = slots.direction == "up"
    relative = slots.direction is not None
    # "up by 2": a value with a direction is the step
    by = f" by {_value(slots)}" if relative and slots.value is not None else ""
    match intent:
        case "turn_on" | "turn_off":
            return f"Turning {'on' if intent == 'turn_on' else 'off'} {what}."
        case "set_brightness" if relative:
            return f"{'Brightening' if up else 'Dimming'} {what}{by}{'%' if by else ''}."
        case "set_brightness":
            return f"Setting {what} to {_value(slots, '%')}."
        case "set_color":
            return f"Turning {what} {slots.value}."
        case "set_temperature" if relative:
            return f"Turning {'up' if up else 'down'} {what}{by}{' degrees' if by else ''}."
        case "set_temperature":
            return f"Setting {what} to {_value(slots)} degrees."
        case "set_position" if relative:
            return f"{'Opening' if up else 'Closing'} {what}{f'{by}%' if by else ' a little'}."
        case "set_position":
            return f"Moving {what} to {_value(slots, '%')}."
        case "set_volume" if relative:
            return f"Turning {what} {'up' if up else 'down'}{by}."
        case "set_volume":
            if slots.value == 0:
                return f"Muting {what}."
            return f"Setting the volume of {what} to {_value(slots)}."
        case "activate_scene" if len(targets) == 1:  # "Activating the movie time scene."
            name = spoken(targets[0].name)
            return f"Activating the {name}{'' if name.endswith('scene') else ' scene'}."
        case (
            "lock" | "unlock" | "open" | "close" | "stop" | "activate_scene" | "vacuum_start"
            | "media_play" | "media_pause" | "media_resume"
        ):  # fmt: skip
            return f"{_DOING[intent]} {what}."
        case "play_media":
            return f"Playing {slots.media} on {what}."
        case "media_next":
            return f"Skipping to the next track on {what}."
        case "media_previous":
            return f"Going back a track on {what}."
        case "vacuum_dock":
            return f"Sending {what} back to its dock."
        case "get_state" | "none":  # answered, or not understood: never done
            return "Done."
        case _:
            assert_never(intent)


_DOING = {
    "lock": "Locking",
    "unlock": "Unlocking",
    "open": "Opening",
    "close": "Closing",
    "stop": "Stopping",
    "activate_scene": "Activating",
    "vacuum_start": "Starting",
    "media_play": "Playing",
    "media_pause": "Pausing",
    "media_resume": "Resuming",
}


def state_unknown(targets: tuple[Device, ...], where: str | None) -> str:
    return f"I don't know the state of {describe(targets, where)} yet."


def ambiguous(heard: str, candidates: tuple[Device, ...]) -> str:
    names = [the(d.name) for d in candidates[:4]]
    kind = heard or NOUNS.get(candidates[0].domain, "device").rstrip("s")
    if len(candidates) > 4:  # "..., the gym fan or one of 2 others?"
        more = len(candidates) - 4
        others = "one other" if more == 1 else f"one of {more} others"
        return f"Which {kind}, {', '.join(names)} or {others}?"
    head = ", ".join(names[:-1]) + " or " + names[-1]
    return f"Which {kind}, {head}?"


def no_device(heard: str, where: str | None) -> str:
    where = f" {where}" if where else ""
    return (
        f"Sorry, I don't know a device called {heard}{where}."
        if heard
        else ("Sorry, which device do you mean?")
    )


def not_exposed(name: str) -> str:
    return (
        f"Sorry, {the(name)} is not exposed to voice control (home_assistant.expose in the config)."
    )


def nothing_there(heard: str, where: str | None) -> str:
    where = f" {where}" if where else ""
    return f"Sorry, there is no {heard or 'device that can do that'}{where}."


def bare_name(heard: str) -> str:
    return f"What should I do with {the(heard)}?"


def unknown_area(heard: str) -> str:
    return f"Sorry, I don't know an area called {heard}."


def unsupported(intent: IntentName, candidates: tuple[Device, ...]) -> str:
    if not candidates:
        return "Sorry, I can't control that."
    return f"Sorry, I can't {VERBS.get(intent, 'control')} {describe(candidates)}."


def confirm(intent: IntentName, targets: tuple[Device, ...]) -> str:
    return f"Do you really want to {VERBS[intent]} {describe(targets)}? Say yes to confirm."


def dropped(intent: IntentName, targets: tuple[Device, ...]) -> str:
    """An earlier question this one replaces, said so."""
    return f"(I won't {VERBS[intent]} {describe(targets)} as asked before.)"


def denied(intent: IntentName, targets: tuple[Device, ...]) -> str:
    return f"Sorry, I'm not allowed to {VERBS[intent]} {describe(targets)} by voice."


NOT_UNDERSTOOD = "Sorry, I didn't understand that."
UNSURE = "Sorry, I'm not sure what you want me to do. Could you say it another way?"
CANCELLED = "OK, I won't."


def too_many_requests(most: int) -> str:
    said = f"Sorry, that's more than {most} requests at once, so I did none of them."
    return f"{said} Please ask for {most} at most."


def too_many_devices(most: int) -> str:
    return (
        f"Sorry, those requests are for more than {most} devices, so I did none. Ask one at a time."
    )


def later(when: str) -> str:
    return f"Sorry, I can't do things {when} yet; ask me again when you want it done."


def no_duration(how_long: str) -> str:
    return f"I can't keep it that way only {how_long} yet, so it stays until you say."


def _reading(device: Device, st: DeviceState) -> str | None:
    """'is on at 40%', 'is 21.5 °C', 'is set to 21 °C (19.5 °C now)'; None when unknown."""
    if device.domain == "sensor":
        if st.value is None:
            return None
        value = _number(st.value) if isinstance(st.value, float) else str(st.value)
        unit = f" {st.unit}" if st.unit else ""
        return f"is {value}{unit}"
    if device.domain == "climate":
        now = f", {_number(st.current)} degrees now" if st.current is not None else ""
        if st.mode == "off":
            return f"is off{now}"
        mode = f" in {st.mode} mode" if st.mode else ""
        if st.temperature is not None:
            return f"is set to {_number(st.temperature)} degrees{mode}{now}"
        if st.current is not None:
            return f"reads {_number(st.current)} degrees"
        return f"is{mode}" if mode else None
    state = st.state
    if device.domain == "binary_sensor" and state in ("on", "off"):
        state = _BINARY.get(device.device_class or "", {"on": "on", "off": "off"})[state]
    if state is None:
        if device.domain == "cover" and st.position is not None:
            return f"is {_number(st.position)}% open"
        return None
    if state == "on" and device.domain == "light" and st.brightness is not None:
        return f"is on at {_number(st.brightness)}%"
    if state == "on" and device.domain == "fan" and st.percentage is not None:
        return f"is on at {_number(st.percentage)}%"
    if state == "open" and device.domain == "cover" and st.position not in (None, 100.0):
        return f"is {_number(st.position or 0)}% open"
    return f"is {state}"


_BINARY = {
    "door": {"on": "open", "off": "closed"},
    "window": {"on": "open", "off": "closed"},
    "garage_door": {"on": "open", "off": "closed"},
    "opening": {"on": "open", "off": "closed"},
    "motion": {"on": "detecting motion", "off": "clear"},
    "occupancy": {"on": "occupied", "off": "clear"},
    "moisture": {"on": "wet", "off": "dry"},
    "smoke": {"on": "detecting smoke", "off": "clear"},
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def states(
    targets: tuple[Device, ...],
    lookup: Callable[[str], DeviceState | None],
    where: str | None,
) -> str:
    """Each device's state in a sentence: "The kitchen light is on at 40% and the counter
    lights are off." With many devices alike, grouped: "On: ... . Off: ... ."."""
    known: list[tuple[Device, str]] = []
    unknown: list[Device] = []
    for device in targets:
        st = lookup(device.id)
        reading = _reading(device, st) if st is not None else None
        if reading is None:
            unknown.append(device)
        else:
            known.append((device, reading))
    if not known:
        return state_unknown(targets, where)
    if len(known) > 3:
        groups: dict[str, list[str]] = {}
        for device, reading in known:
            groups.setdefault(reading.removeprefix("is "), []).append(the(device.name))
        text = " ".join(f"{k[:1].upper()}{k[1:]}: {join(v)}." for k, v in groups.items())
    else:
        parts = [f"{the(d.name)} {reading}" for d, reading in known]
        text = join(parts) + "."
        text = text[:1].upper() + text[1:]
    if unknown:
        text += f" I don't know about {describe(tuple(unknown))} yet."
    return text
