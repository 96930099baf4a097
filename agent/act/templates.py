"""Explicit per-intent topic and payload templates, for devices no built-in protocol fits."""

from __future__ import annotations

from agent.act.command import Command, unsupported
from agent.colors import COLORS
from agent.home.inventory import Device
from agent.home.specs import TemplateSpec
from agent.messages import Action


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def actions(device: Device, spec: TemplateSpec, cmd: Command) -> list[Action]:
    template = spec.commands.get(cmd.intent)
    if template is None:
        raise unsupported(device)
    fields = _Fields(
        state="ON" if cmd.intent != "turn_off" else "OFF",
        direction=cmd.direction or "",
    )
    if cmd.value is not None:
        value = str(cmd.value)
        fields.update(
            value=value,
            percent=value,
            brightness=value,
            temperature=value,
            position=value,
            volume=value,
        )
        if cmd.intent == "play_media":
            fields.update(media=value)
        if isinstance(cmd.value, str) and cmd.value in COLORS:
            r, g, b = COLORS[cmd.value]
            fields.update(
                r=str(r), g=str(g), b=str(b), hex=f"{r:02X}{g:02X}{b:02X}", color=cmd.value
            )
    try:
        topic = template.topic.format_map(fields)
        payload = template.payload.format_map(fields)
    except (KeyError, ValueError, IndexError):
        raise unsupported(device) from None
    return [Action(device.id, topic, payload)]
