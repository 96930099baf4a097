"""Zigbee2MQTT: one JSON object on `<base_topic>/<friendly_name>/set`."""

from __future__ import annotations

from agent.act.command import Command, dumps, scale, unsupported
from agent.home.inventory import Device
from agent.home.specs import Zigbee2MqttSpec
from agent.messages import Action

BRIGHTNESS_MAX = 254
STEP = 20  # percent per "brighter" / "dimmer"


def actions(device: Device, spec: Zigbee2MqttSpec, cmd: Command) -> list[Action]:
    i, d = cmd.intent, device.domain
    body: dict[str, object] | None = None
    if d in ("light", "switch", "fan") and i in ("turn_on", "turn_off"):
        body = {"state": "ON" if i == "turn_on" else "OFF"}
    elif d == "light" and i == "set_brightness":
        if cmd.relative:
            step = scale(cmd.step or STEP, BRIGHTNESS_MAX)
            body = {"brightness_step": step if cmd.direction == "up" else -step}
        else:
            pct = cmd.percent(device)
            body = (
                {"state": "OFF"}
                if pct == 0
                else {"state": "ON", "brightness": scale(pct, BRIGHTNESS_MAX)}
            )
    elif d == "light" and i == "set_color":
        r, g, b = cmd.rgb()
        body = {"state": "ON", "color": {"r": r, "g": g, "b": b}}
    elif d == "cover" and i in ("open", "close", "stop"):
        body = {"state": {"open": "OPEN", "close": "CLOSE", "stop": "STOP"}[i]}
    elif d == "cover" and i == "set_position":
        body = {"position": cmd.percent(device)}
    elif d == "valve" and i in ("open", "close"):
        body = {"state": "ON" if i == "open" else "OFF"}
    elif d == "lock" and i in ("lock", "unlock"):
        body = {"state": "LOCK" if i == "lock" else "UNLOCK"}
    elif d == "climate" and i == "set_temperature":
        body = {spec.setpoint_key: cmd.number(device, 5, 35)}
    elif d == "climate" and i in ("turn_on", "turn_off"):
        body = {"system_mode": "heat" if i == "turn_on" else "off"}
    if body is None:
        raise unsupported(device)
    return [Action(device.id, f"{spec.base_topic}/{spec.friendly_name}/set", dumps(body))]
