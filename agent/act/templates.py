"""Explicit per-intent topic and payload templates, for devices no built-in protocol fits."""

from __future__ import annotations

import logging

from agent.act.command import Command, unsupported
from agent.colors import COLORS
from agent.home.inventory import Device
from agent.home.specs import TemplateSpec
from agent.messages import Action, SlotValue

log = logging.getLogger(__name__)


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
        _add_value(fields, cmd, cmd.value)
    elif cmd.relative and template.step_payload is not None:  # the device steps itself
        return [_render(device, template.topic, template.step_payload, fields)]
    try:
        return [_render(device, template.topic, template.payload, fields)]
    except KeyError as missing:
        if cmd.value is not None or not cmd.relative:
            log.warning(
                "%s: its %s template wants {%s}, which %r does not give",
                device.id, cmd.intent, missing.args[0], cmd.value,
            )  # fmt: skip
            raise unsupported(device) from None
    # "louder" with a template that wants the level: the level now and a step, if known
    low, high = (5, 35) if cmd.intent == "set_temperature" else (0, 100)
    number = cmd.number(device, low, high)  # or: "I don't know the current setting"
    _add_value(fields, cmd, int(number) if number.is_integer() else number)
    try:
        return [_render(device, template.topic, template.payload, fields)]
    except KeyError:
        raise unsupported(device) from None


def _add_value(fields: _Fields, cmd: Command, raw: SlotValue) -> None:
    value = str(raw)
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
    if isinstance(raw, str) and raw in COLORS:
        r, g, b = COLORS[raw]
        fields.update(r=str(r), g=str(g), b=str(b), hex=f"{r:02X}{g:02X}{b:02X}", color=raw)


def _render(device: Device, topic: str, payload: str, fields: _Fields) -> Action:
    try:
        return Action(device.id, topic.format_map(fields), payload.format_map(fields))
    except (ValueError, IndexError):
        raise unsupported(device) from None
