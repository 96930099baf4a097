"""Pick the protocol module for a device."""

from __future__ import annotations

from collections.abc import Sequence

from agent.act import hass_services, homeassistant, tasmota, templates, zigbee2mqtt
from agent.act.command import Command, unsupported
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.specs import (
    HassEntitySpec,
    HomeAssistantSpec,
    TasmotaSpec,
    TemplateSpec,
    Zigbee2MqttSpec,
)
from agent.language.phrases import replies
from agent.messages import Act
from agent.wording import the


def actions_for(device: Device, cmd: Command) -> Sequence[Act]:
    """The MQTT messages (or Home Assistant service calls) that make `device` do `cmd`;
    UnsupportedCommand if it can't."""
    if cmd.intent == "play_media" and not (
        isinstance(device.command, TemplateSpec) and "play_media" in device.command.commands
    ):
        raise UnsupportedCommand(replies().say("cannot_play_by_name", name=the(device.name)))
    spec = device.command
    if isinstance(spec, HomeAssistantSpec):
        return homeassistant.actions(device, spec, cmd)
    if isinstance(spec, Zigbee2MqttSpec):
        return zigbee2mqtt.actions(device, spec, cmd)
    if isinstance(spec, TasmotaSpec):
        return tasmota.actions(device, spec, cmd)
    if isinstance(spec, TemplateSpec):
        return templates.actions(device, spec, cmd)
    if isinstance(spec, HassEntitySpec):
        return hass_services.actions(device, spec, cmd)
    raise unsupported(device)
