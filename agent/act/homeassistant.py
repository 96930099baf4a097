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
        raise UnsupportedCommand(
            f"Sorry, I couldn't make the message for {the(device.name)}: its template failed."
        ) from None


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
    i, d = cmd.intent, device.domain

    def send(topic: str | None, payload: str) -> list[Action]:
        return [Action(device.id, _need(device, topic, cmd), payload)]

    def with_template(
        topic: str | None, template: str | None, value: Any, **more: Any
    ) -> list[Action]:
        _need(device, topic, cmd)  # no template is rendered for a device that can't
        return send(topic, _rendered(device, template, value, **more))

    if d == "climate":
        if i == "set_temperature":
            value = _num(cmd.number(device, 5, 35))
            return with_template(
                spec.temperature_command_topic, spec.temperature_command_template, value
            )
        if i in ("turn_on", "turn_off") and spec.power_command_topic is None:
            mode = spec.mode_on if i == "turn_on" else "off"
            return with_template(spec.mode_command_topic, spec.mode_command_template, mode)
        if i in ("turn_on", "turn_off"):
            power = spec.payload_on if i == "turn_on" else spec.payload_off
            return with_template(spec.power_command_topic, spec.power_command_template, power)
    elif d == "cover" or d == "valve":
        payloads = {
            "open": spec.payload_open,
            "close": spec.payload_close,
            "stop": spec.payload_stop,
        }
        template = spec.command_template if d == "valve" else None  # a cover's are raw
        if i in payloads:
            return with_template(spec.command_topic, template, payloads[i])
        if i == "set_position":
            pct = cmd.percent(device)
            ranged = round(_ranged(pct, spec.position_closed + 1, spec.position_open))
            more = {"position": pct, "position_open": spec.position_open}
            more["position_closed"] = spec.position_closed
            if d == "cover":
                more.update(tilt_min=0, tilt_max=100)
                topic = spec.set_position_topic or spec.command_topic
                return with_template(topic, spec.set_position_template, ranged, **more)
            return with_template(spec.command_topic, template, ranged, **more)
    elif d == "lock":
        if i in ("lock", "unlock"):
            payload = spec.payload_lock if i == "lock" else spec.payload_unlock
            return with_template(spec.command_topic, spec.command_template, payload)
    elif d == "vacuum":
        payloads = {"vacuum_start": spec.payload_start, "vacuum_dock": spec.payload_return_to_base}
        if i in payloads:
            return send(spec.command_topic, payloads[i])
    elif d in ("scene", "button"):  # a button's payload_on is its payload_press
        if i in ("activate_scene", "turn_on"):
            template = spec.command_template if d == "button" else None
            return with_template(spec.command_topic, template, spec.payload_on)
    elif d in ("light", "switch", "fan"):
        if i in ("turn_on", "turn_off"):
            payload = spec.payload_on if i == "turn_on" else spec.payload_off
            template = spec.command_template if d == "fan" else None
            return with_template(spec.command_topic, template, payload)
        if i == "set_brightness" and d == "fan":
            pct = cmd.percent(device)
            speed = math.ceil(_ranged(pct, spec.speed_range_min, spec.speed_range_max))
            return with_template(
                spec.percentage_command_topic, spec.percentage_command_template, speed
            )
        if i == "set_brightness" and d == "light":
            pct = cmd.percent(device)
            if pct == 0:
                return send(spec.command_topic, spec.payload_off)
            level = max(1, scale(pct, spec.brightness_scale))
            return with_template(
                spec.brightness_command_topic, spec.brightness_command_template, level
            )
        if i == "set_color" and d == "light":
            r, g, b = cmd.rgb()
            return with_template(
                spec.rgb_command_topic, spec.rgb_command_template, f"{r},{g},{b}",
                red=r, green=g, blue=b,
            )  # fmt: skip
    raise unsupported(device)


def _need(device: Device, topic: str | None, cmd: Command) -> str:
    if topic is None:
        raise unsupported(device)
    return topic


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
