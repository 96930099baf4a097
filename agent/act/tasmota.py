"""Tasmota: `<prefix>/<topic>/<Command>` with the command's argument as the payload."""

from __future__ import annotations

from agent.act.command import Command, unsupported
from agent.home.inventory import Device
from agent.home.specs import TasmotaSpec
from agent.messages import Action


def actions(device: Device, spec: TasmotaSpec, cmd: Command) -> list[Action]:
    i, d = cmd.intent, device.domain
    power = f"POWER{spec.relay}" if spec.relay else "POWER"
    shutter = "" if spec.shutter == 1 else str(spec.shutter)
    command: tuple[str, str] | None = None
    if d in ("light", "switch", "fan") and i in ("turn_on", "turn_off"):
        command = (power, "ON" if i == "turn_on" else "OFF")
    elif d == "light" and i == "set_brightness":
        if cmd.relative:
            command = ("Dimmer", "+" if cmd.direction == "up" else "-")
        else:
            command = ("Dimmer", str(cmd.percent(device)))
    elif d == "light" and i == "set_color":
        r, g, b = cmd.rgb()
        command = ("Color", f"{r},{g},{b}")
    elif d == "cover" and i in ("open", "close", "stop"):
        verb = {"open": "ShutterOpen", "close": "ShutterClose", "stop": "ShutterStop"}[i]
        command = (verb + shutter, "")
    elif d == "cover" and i == "set_position":
        command = ("ShutterPosition" + shutter, str(cmd.percent(device)))
    if command is None:
        raise unsupported(device)
    name, payload = command
    return [Action(device.id, f"{spec.prefix}/{spec.topic}/{name}", payload)]
