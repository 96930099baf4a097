"""What to send for an intent to its targets: each device's messages, the devices that can
do it, and why the others can't. Pure."""

from __future__ import annotations

from collections.abc import Callable

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.state import DeviceState
from agent.intents import IntentName
from agent.messages import Action, Intent


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
    return None


def plan(
    intent: Intent, targets: tuple[Device, ...], state: Callable[[str], DeviceState | None]
) -> tuple[list[Action], list[Device], list[str]]:
    """The messages for `intent` on `targets`, the devices they act on, and the reasons
    (as said to the user) for those that can't; `state` gives a device's known state, for
    "brighter" and "up by 2"."""
    actions: list[Action] = []
    acted: list[Device] = []
    problems: list[str] = []
    slots = intent.slots
    value = slots.media if intent.name == "play_media" else slots.value
    step: float | None = None
    if slots.direction is not None and isinstance(value, int | float):  # "up by 2"
        step, value = float(value), None
    for device in targets:
        level = current_level(device, intent.name, state(device.id))
        cmd = Command(intent.name, value, slots.direction, level, step=step)
        try:
            actions.extend(actions_for(device, cmd))
            acted.append(device)
        except UnsupportedCommand as exc:
            problems.append(str(exc))
    return actions, acted, problems
