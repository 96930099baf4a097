"""What to send for an intent to its targets: each device's messages, the devices that can
do it, and why the others can't. Pure."""

from __future__ import annotations

from collections.abc import Callable

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.specs import HassEntitySpec
from agent.home.state import DeviceState
from agent.intents import IntentName
from agent.language.phrases import replies
from agent.messages import Act, Intent
from agent.wording import the

GONE = frozenset({"unavailable"})  # Home Assistant's state of an entity it can't reach


def current_level(device: Device, intent: IntentName, st: DeviceState | None) -> float | None:
    """The level a relative change starts from: brightness, temperature or position."""
    if st is None:
        return None
    if intent == "set_brightness":
        if st.state == "off":
            return 0.0
        return st.brightness if device.domain == "light" else st.percentage
    if intent == "set_temperature":
        return st.temperature
    if intent == "set_position":
        return st.position
    if intent == "set_volume":  # a player's volume, where its state says (Home Assistant's)
        return st.percentage
    return None


def plan(
    intent: Intent, targets: tuple[Device, ...], state: Callable[[str], DeviceState | None]
) -> tuple[list[Act], list[Device], list[str]]:
    """The messages for `intent` on `targets`, the devices they act on, and the reasons
    (as said to the user) for those that can't; `state` gives a device's known state, for
    "brighter" and "up by 2"."""
    actions: list[Act] = []
    acted: list[Device] = []
    problems: list[str] = []
    slots = intent.slots
    value = slots.media if intent.name == "play_media" else slots.value
    step: float | None = None
    if slots.direction is not None and isinstance(value, int | float):  # "up by 2"
        step, value = float(value), None
    for device in targets:
        st = state(device.id)
        if isinstance(device.command, HassEntitySpec) and st is not None and st.state in GONE:
            problems.append(replies().say("unavailable", name=the(device.name)))
            continue  # as Home Assistant's own Assist: an unavailable entity is skipped
        level = current_level(device, intent.name, st)
        cmd = Command(intent.name, value, slots.direction, level, step=step)
        try:
            actions.extend(actions_for(device, cmd))
            acted.append(device)
        except UnsupportedCommand as exc:
            problems.append(str(exc))
    return actions, acted, problems
