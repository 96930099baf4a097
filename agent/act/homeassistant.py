"""Home Assistant MQTT integration: the default schema (a topic per feature) and the JSON schema."""

from __future__ import annotations

from agent.act.command import Command, dumps, scale, unsupported
from agent.home.inventory import Device
from agent.home.specs import HomeAssistantSpec
from agent.messages import Action


def actions(device: Device, spec: HomeAssistantSpec, cmd: Command) -> list[Action]:
    if device.domain == "light" and spec.schema == "json":
        return [_json_light(device, spec, cmd)]
    return _default(device, spec, cmd)


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

    if d == "climate":
        if i == "set_temperature":
            return send(spec.temperature_command_topic, _num(cmd.number(device, 5, 35)))
        if i in ("turn_on", "turn_off") and spec.power_command_topic is None:
            return send(spec.mode_command_topic, spec.mode_on if i == "turn_on" else "off")
        if i in ("turn_on", "turn_off"):
            return send(
                spec.power_command_topic, spec.payload_on if i == "turn_on" else spec.payload_off
            )
    elif d == "cover" or d == "valve":
        payloads = {
            "open": spec.payload_open,
            "close": spec.payload_close,
            "stop": spec.payload_stop,
        }
        if i in payloads:
            return send(spec.command_topic, payloads[i])
        if i == "set_position":
            return send(spec.set_position_topic or spec.command_topic, str(cmd.percent(device)))
    elif d == "lock":
        if i in ("lock", "unlock"):
            return send(
                spec.command_topic, spec.payload_lock if i == "lock" else spec.payload_unlock
            )
    elif d == "vacuum":
        payloads = {"vacuum_start": spec.payload_start, "vacuum_dock": spec.payload_return_to_base}
        if i in payloads:
            return send(spec.command_topic, payloads[i])
    elif d in ("scene", "button"):  # a button's payload_on is its payload_press
        if i in ("activate_scene", "turn_on"):
            return send(spec.command_topic, spec.payload_on)
    elif d in ("light", "switch", "fan"):
        if i in ("turn_on", "turn_off"):
            return send(spec.command_topic, spec.payload_on if i == "turn_on" else spec.payload_off)
        if i == "set_brightness" and d == "fan":
            return send(spec.percentage_command_topic, str(cmd.percent(device)))
        if i == "set_brightness" and d == "light":
            pct = cmd.percent(device)
            if pct == 0:
                return send(spec.command_topic, spec.payload_off)
            return send(spec.brightness_command_topic, str(scale(pct, spec.brightness_scale)))
        if i == "set_color" and d == "light":
            r, g, b = cmd.rgb()
            return send(spec.rgb_command_topic, f"{r},{g},{b}")
    raise unsupported(device)


def _need(device: Device, topic: str | None, cmd: Command) -> str:
    if topic is None:
        raise unsupported(device)
    return topic


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
