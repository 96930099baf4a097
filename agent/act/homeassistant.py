"""Home Assistant MQTT integration: the default schema (a topic per feature, with command
templates), the JSON schema and the template schema of lights."""

from __future__ import annotations

import logging
import math
from typing import Any

from agent.act.command import Command, dumps, scale, unsupported
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.specs import HomeAssistantSpec
from agent.home.template_filters import TemplateError
from agent.home.templating import render_command
from agent.language.phrases import replies
from agent.messages import Action
from agent.wording import the

log = logging.getLogger(__name__)


def actions(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action]:
    if device.domain == "light" and spec.schema == "json":
        return [_json_light(device, spec, cmd)]
    if device.domain == "light" and spec.schema == "template":
        return [_template_light(device, spec, cmd)]
    return _default(device, spec, cmd)


def _rendered(device: Device, template: str | None, value: Any, **variables: Any) -> str:
    """`value` through a command template, as Home Assistant renders it (or as it is)."""
    if template is None:
        return str(value)
    try:
        return render_command(template, value, entity_id=device.id, name=device.name, **variables)
    except TemplateError as exc:
        log.warning("%s: its command template failed: %s", device.id, exc)
        raise UnsupportedCommand(replies().say("template_failed", name=the(device.name))) from None


def _ranged(percent: float, low: int, high: int) -> float:
    """A percentage on a device's own range (low..high), as Home Assistant scales it: a
    cover's range is position_closed + 1 .. position_open, so an inverted one counts down."""
    return percent * (high - low + 1) / 100 + (low - 1)


def _template_light(device: Device, spec: HomeAssistantSpec, cmd: Command) -> Action:
    topic = _need(device, spec.command_topic, cmd)
    if cmd.intent == "turn_off":
        return Action(
            device.id, topic, _rendered(device, spec.command_off_template, None, state="off")
        )
    variables: dict[str, Any] = {"state": "on"}
    if cmd.intent == "set_brightness":
        pct = cmd.percent(device)
        if pct == 0:
            off = _rendered(device, spec.command_off_template, None, state="off")
            return Action(device.id, topic, off)
        variables["brightness"] = scale(pct, 255)
    elif cmd.intent == "set_color":
        variables.update(zip(("red", "green", "blue"), cmd.rgb(), strict=True))
    elif cmd.intent != "turn_on":
        raise unsupported(device)
    return Action(device.id, topic, _rendered(device, spec.command_on_template, None, **variables))


def _json_light(device: Device, spec: HomeAssistantSpec, cmd: Command) -> Action:
    topic = _need(device, spec.command_topic, cmd)
    if cmd.intent == "turn_on":
        body: dict[str, object] = {"state": "ON"}
    elif cmd.intent == "turn_off":
        body = {"state": "OFF"}
    elif cmd.intent == "set_brightness":
        pct = cmd.percent(device)
        body = (
            {"state": "OFF"}
            if pct == 0
            else {"state": "ON", "brightness": scale(pct, spec.brightness_scale)}
        )
    elif cmd.intent == "set_color":
        r, g, b = cmd.rgb()
        body = {"state": "ON", "color": {"r": r, "g": g, "b": b}}
    else:
        raise unsupported(device)
    return Action(device.id, topic, dumps(body))


def _default(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action]:
    d = device.domain
    if d == "climate":
        made = _climate(device, spec, cmd)
    elif d in ("cover", "valve"):
        made = _cover_or_valve(device, spec, cmd)
    elif d in ("light", "switch", "fan"):
        made = _switch_like(device, spec, cmd)
    else:
        made = _one_payload(device, spec, cmd)
    if made is None:
        raise unsupported(device)
    return made


def _send(
    device: Device, cmd: Command, topic: str | None, template: str | None, value: Any, **more: Any
) -> list[Action]:
    """One message on `topic`: `value` through `template` where the device has one."""
    _need(device, topic, cmd)  # no template is rendered for a device that can't
    assert topic is not None
    return [Action(device.id, topic, _rendered(device, template, value, **more))]


def _climate(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action] | None:
    i = cmd.intent
    if i == "set_temperature":
        value = _num(cmd.number(device, 5, 35))
        topic, template = spec.temperature_command_topic, spec.temperature_command_template
        return _send(device, cmd, topic, template, value)
    if i in ("turn_on", "turn_off") and spec.power_command_topic is None:
        mode = spec.mode_on if i == "turn_on" else "off"
        return _send(device, cmd, spec.mode_command_topic, spec.mode_command_template, mode)
    if i in ("turn_on", "turn_off"):
        power = spec.payload_on if i == "turn_on" else spec.payload_off
        return _send(device, cmd, spec.power_command_topic, spec.power_command_template, power)
    return None


def _cover_or_valve(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action] | None:
    payloads = {"open": spec.payload_open, "close": spec.payload_close, "stop": spec.payload_stop}
    template = spec.command_template if device.domain == "valve" else None  # a cover's: raw
    if cmd.intent in payloads:
        return _send(device, cmd, spec.command_topic, template, payloads[cmd.intent])
    if cmd.intent != "set_position":
        return None
    pct = cmd.percent(device)
    ranged = round(_ranged(pct, spec.position_closed + 1, spec.position_open))
    more: dict[str, Any] = {"position": pct, "position_open": spec.position_open}
    more["position_closed"] = spec.position_closed
    if device.domain == "valve":
        return _send(device, cmd, spec.command_topic, template, ranged, **more)
    topic = spec.set_position_topic or spec.command_topic
    more.update(tilt_min=0, tilt_max=100)
    return _send(device, cmd, topic, spec.set_position_template, ranged, **more)


def _switch_like(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action] | None:
    i, d = cmd.intent, device.domain
    if i in ("turn_on", "turn_off"):
        payload = spec.payload_on if i == "turn_on" else spec.payload_off
        template = spec.command_template if d == "fan" else None
        return _send(device, cmd, spec.command_topic, template, payload)
    if i == "set_brightness" and d == "fan":
        speed = math.ceil(_ranged(cmd.percent(device), spec.speed_range_min, spec.speed_range_max))
        topic, template = spec.percentage_command_topic, spec.percentage_command_template
        return _send(device, cmd, topic, template, speed)
    if i == "set_brightness" and d == "light":
        pct = cmd.percent(device)
        if pct == 0:
            return _send(device, cmd, spec.command_topic, None, spec.payload_off)
        level = max(1, scale(pct, spec.brightness_scale))
        topic, template = spec.brightness_command_topic, spec.brightness_command_template
        return _send(device, cmd, topic, template, level)
    if i == "set_color" and d == "light":
        r, g, b = cmd.rgb()
        topic, template = spec.rgb_command_topic, spec.rgb_command_template
        return _send(device, cmd, topic, template, f"{r},{g},{b}", red=r, green=g, blue=b)
    return None


def _one_payload(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action] | None:
    """Locks, vacuums, scenes and buttons: one payload per intent (a button's payload_on is
    its payload_press)."""
    i, d = cmd.intent, device.domain
    if d == "lock" and i in ("lock", "unlock"):
        payload = spec.payload_lock if i == "lock" else spec.payload_unlock
        return _send(device, cmd, spec.command_topic, spec.command_template, payload)
    vacuum = {"vacuum_start": spec.payload_start, "vacuum_dock": spec.payload_return_to_base}
    if d == "vacuum" and i in vacuum:
        return _send(device, cmd, spec.command_topic, None, vacuum[i])
    if d in ("scene", "button") and i in ("activate_scene", "turn_on"):
        template = spec.command_template if d == "button" else None
        return _send(device, cmd, spec.command_topic, template, spec.payload_on)
    return None


def _need(device: Device, topic: str | None, cmd: Command) -> str:
    if topic is None:
        raise unsupported(device)
    return topic


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
