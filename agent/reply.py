"""Short replies, one phrase per intent and outcome, from the language file
(agent/language/en.yaml). Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from agent.home.inventory import Device
from agent.home.state import DeviceState
from agent.intents import IntentName
from agent.language.phrases import replies
from agent.messages import Slots
from agent.wording import spoken, the

R = replies()
NOUNS = R.nouns  # kinds of device, in the plural
VERBS = R.verbs  # what an intent does: "I can't <verb> the thing"


def join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return R["list_comma"].join(items[:-1]) + R["and"] + items[-1]


def describe(devices: tuple[Device, ...], place: str | None = None) -> str:
    """'the kitchen light', 'the lights in the kitchen', 'the lights upstairs', '3 fans'.
    `place`: where, as said in replies ("in the kitchen", "upstairs"); see `place`."""
    if len(devices) <= 2:
        return join([the(d.name) for d in devices])
    domains = {d.domain for d in devices}
    noun = NOUNS[domains.pop()] if len(domains) == 1 else "devices"
    if place:
        return R.say("several", noun=noun, where=place)
    return R.say("counted", count=len(devices), noun=noun)


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
        return R.say("on_floor", name=said)
    return R.say("in_area", name=said)


def _value(slots: Slots, suffix: str = "") -> str:
    value = slots.value
    return f"{value}{suffix}"


def done(intent: IntentName, slots: Slots, targets: tuple[Device, ...], where: str | None) -> str:
    """What the agent says it is doing. One case per intent: mypy finds a new one missing."""
    what = describe(targets, where)
    up = slots.direction == "up"
    relative = slots.direction is not None
    n = slots.value
    step = relative and n is not None  # "up by 2": a value with a direction is the step
    value = _value(slots)
    match intent:
        case "turn_on" | "turn_off":
            return R.say(intent, what=what)
        case "set_brightness" if relative:
            by = R.say("by_percent", n=n) if step else ""
            return R.say("brighten" if up else "dim", what=what, by=by)
        case "set_temperature" if relative:
            by = R.say("by_degrees", n=n) if step else ""
            return R.say("warmer" if up else "cooler", what=what, by=by)
        case "set_position" if relative:
            by = R.say("by_percent", n=n) if step else R["a_little"]
            return R.say("open_by" if up else "close_by", what=what, by=by)
        case "set_brightness" | "set_color" | "set_temperature" | "set_position":
            return R.say(intent, what=what, value=value)
        case "set_volume" if relative:
            by = R.say("by", n=n) if step else ""
            return R.say("louder" if up else "quieter", what=what, by=by)
        case "set_volume":
            return R.say("mute" if n == 0 else "set_volume", what=what, value=value)
        case "activate_scene" if len(targets) == 1:  # "Activating the movie time scene."
            name = spoken(targets[0].name)
            return R.say("scene" if name.endswith("scene") else "scene_named", name=name)
        case (
            "lock" | "unlock" | "open" | "close" | "stop" | "activate_scene" | "vacuum_start"
            | "media_play" | "media_pause" | "media_resume"
        ):  # fmt: skip
            return R.say("doing_it", doing=R.doing[intent], what=what)
        case "play_media":
            return R.say("play_media", media=slots.media, what=what)
        case "media_next" | "media_previous" | "vacuum_dock":
            return R.say(intent, what=what)
        case "get_state" | "none":  # answered, or not understood: never done
            return R["done"]
        case _:
            assert_never(intent)


def state_unknown(targets: tuple[Device, ...], where: str | None) -> str:
    return R.say("state_unknown", what=describe(targets, where))


def ambiguous(heard: str, candidates: tuple[Device, ...]) -> str:
    names = [the(d.name) for d in candidates[:4]]
    kind = heard or NOUNS.get(candidates[0].domain, "device").rstrip("s")
    if len(candidates) > 4:  # "..., the gym fan or one of 2 others?"
        more = len(candidates) - 4
        others = R["one_other"] if more == 1 else R.say("others", count=more)
        return R.say("which_more", kind=kind, names=R["list_comma"].join(names), others=others)
    head = R["list_comma"].join(names[:-1]) + R["or"] + names[-1]
    return R.say("which", kind=kind, names=head)


def no_device(heard: str, where: str | None) -> str:
    where = f" {where}" if where else ""
    return R.say("no_device", name=heard, where=where) if heard else R["which_device"]


def not_exposed(name: str, by_home_assistant: bool = False) -> str:
    return R.say("not_exposed_hass" if by_home_assistant else "not_exposed", name=the(name))


def nothing_there(heard: str, where: str | None) -> str:
    where = f" {where}" if where else ""
    return R.say("nothing_there", name=heard or R["no_such_device"], where=where)


def bare_name(heard: str) -> str:
    return R.say("bare_name", name=the(heard))


def unknown_area(heard: str) -> str:
    return R.say("unknown_area", name=heard)


def unsupported(intent: IntentName, candidates: tuple[Device, ...]) -> str:
    if not candidates:
        return R["cannot_control"]
    return R.say("unsupported", verb=VERBS.get(intent, "control"), what=describe(candidates))


def confirm(intent: IntentName, targets: tuple[Device, ...]) -> str:
    return R.say("confirm", verb=VERBS[intent], what=describe(targets))


def dropped(intent: IntentName, targets: tuple[Device, ...]) -> str:
    """An earlier question this one replaces, said so."""
    return R.say("dropped", verb=VERBS[intent], what=describe(targets))


def denied(intent: IntentName, targets: tuple[Device, ...]) -> str:
    return R.say("denied", verb=VERBS[intent], what=describe(targets))


NOT_UNDERSTOOD = R["not_understood"]
UNSURE = R["unsure"]
CANCELLED = R["cancelled"]


def too_many_requests(most: int) -> str:
    return R.say("too_many_requests", most=most)


def too_many_devices(most: int) -> str:
    return R.say("too_many_devices", most=most)


def later(when: str) -> str:
    return R.say("later", when=when)


def no_duration(how_long: str) -> str:
    return R.say("no_duration", how_long=how_long)


def _reading(device: Device, st: DeviceState) -> str | None:
    """'is on at 40%', 'is 21.5 °C', 'is set to 21 °C (19.5 °C now)'; None when unknown."""
    if device.domain == "sensor":
        if st.value is None:
            return None
        value = _number(st.value) if isinstance(st.value, float) else str(st.value)
        return R.say("reads_sensor", value=value, unit=f" {st.unit}" if st.unit else "")
    if device.domain == "climate":
        return _climate(st)
    state = st.state
    if device.domain == "binary_sensor" and state in ("on", "off"):
        state = R.table["binary"].get(device.device_class or "", {"on": "on", "off": "off"})[state]
    if state is None:
        if device.domain == "cover" and st.position is not None:
            return R.say("reads_open", n=_number(st.position))
        return None
    if state == "on" and device.domain == "light" and st.brightness is not None:
        return R.say("reads_on_at", n=_number(st.brightness))
    if state == "on" and device.domain == "fan" and st.percentage is not None:
        return R.say("reads_on_at", n=_number(st.percentage))
    if state == "open" and device.domain == "cover" and st.position not in (None, 100.0):
        return R.say("reads_open", n=_number(st.position or 0))
    return R.say("reads_state", state=R.state(state))


def _climate(st: DeviceState) -> str | None:
    now = "" if st.current is None else R.say("reads_climate_now", n=_number(st.current))
    if st.mode == "off":
        return R.say("reads_climate_off", now=now)
    mode = R.say("reads_climate_mode", mode=st.mode) if st.mode else ""
    if st.temperature is not None:
        return R.say("reads_climate_set", n=_number(st.temperature), mode=mode, now=now)
    if st.current is not None:
        return R.say("reads_climate", n=_number(st.current))
    return R.say("reads_climate_mode_only", mode=mode) if mode else None


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
            groups.setdefault(reading.removeprefix(R["is"] + " "), []).append(the(device.name))
        text = " ".join(
            R.say("reads_group", State=k[:1].upper() + k[1:], names=join(v))
            for k, v in groups.items()
        )
    else:
        parts = [f"{the(d.name)} {reading}" for d, reading in known]
        text = join(parts) + "."
        text = text[:1].upper() + text[1:]
    if unknown:
        text += R.say("dont_know_about", what=describe(tuple(unknown)))
    return text
