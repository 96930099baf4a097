"""Home Assistant's own service calls for an entity it holds (over its WebSocket API):
`light.turn_on` with `brightness_pct`, `cover.set_cover_position`, `lock.unlock`... What an
entity can do is read from its `supported_features` and a light's colour modes. Pure."""

from __future__ import annotations

from typing import Any

from agent.act.command import Command, unsupported
from agent.home.inventory import Device
from agent.home.specs import HassEntitySpec
from agent.messages import ServiceCall

# Home Assistant's feature bits (homeassistant.components.<domain>.<Domain>EntityFeature);
# a valve's position and stop bits are a cover's
COVER_SET_POSITION = 4
COVER_STOP = 8
FAN_SET_SPEED = 1
CLIMATE_TARGET_TEMPERATURE = 1
MEDIA_VOLUME_SET = 4
# a light's colour modes that take a colour, and those that take a brightness
COLOR_MODES = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
ON_OFF_ONLY = frozenset({"onoff"})

# (domain, intent) -> service, for what takes no value
_PLAIN: dict[tuple[str, str], str] = {
    **{(d, "turn_on"): "turn_on" for d in ("light", "switch", "fan", "media_player", "climate")},
    **{(d, "turn_off"): "turn_off" for d in ("light", "switch", "fan", "media_player", "climate")},
    ("button", "turn_on"): "press",
    ("button", "activate_scene"): "press",
    ("scene", "activate_scene"): "turn_on",
    ("scene", "turn_on"): "turn_on",
    ("lock", "lock"): "lock",
    ("lock", "unlock"): "unlock",
    ("cover", "open"): "open_cover",
    ("cover", "close"): "close_cover",
    ("valve", "open"): "open_valve",
    ("valve", "close"): "close_valve",
    ("vacuum", "vacuum_start"): "start",
    ("vacuum", "vacuum_dock"): "return_to_base",
    ("media_player", "media_play"): "media_play",
    ("media_player", "media_resume"): "media_play",
    ("media_player", "media_pause"): "media_pause",
    ("media_player", "media_next"): "media_next_track",
    ("media_player", "media_previous"): "media_previous_track",
}


def actions(device: Device, spec: HassEntitySpec, cmd: Command) -> list[ServiceCall]:
    """The one service call that makes the entity do `cmd`; UnsupportedCommand if it can't."""
    d, i = device.domain, cmd.intent

    def call(service: str, **data: Any) -> list[ServiceCall]:
        return [ServiceCall(device.id, spec.entity_id, d, service, tuple(data.items()))]

    if (d, i) in _PLAIN:
        return call(_PLAIN[(d, i)])
    if i == "stop" and d in ("cover", "valve") and _has(spec, COVER_STOP):
        return call(f"stop_{d}")
    if i == "set_position" and d in ("cover", "valve") and _has(spec, COVER_SET_POSITION):
        return call(f"set_{d}_position", position=cmd.percent(device))
    if i == "set_brightness" and d == "light" and _dims(spec):
        pct = cmd.percent(device)
        return call("turn_off") if pct == 0 else call("turn_on", brightness_pct=pct)
    if i == "set_brightness" and d == "fan" and _has(spec, FAN_SET_SPEED):
        return call("set_percentage", percentage=cmd.percent(device))
    if i == "set_color" and d == "light" and _colours(spec):
        return call("turn_on", rgb_color=list(cmd.rgb()))
    if i == "set_temperature" and d == "climate" and _has(spec, CLIMATE_TARGET_TEMPERATURE):
        value = cmd.number(device, 5, 35)
        return call("set_temperature", temperature=int(value) if value.is_integer() else value)
    if i == "set_volume" and d == "media_player" and _has(spec, MEDIA_VOLUME_SET):
        return call("volume_set", volume_level=round(cmd.number(device, 0, 100) / 100, 2))
    raise unsupported(device)


def _has(spec: HassEntitySpec, bit: int) -> bool:
    return bool(spec.features & bit)


def _dims(spec: HassEntitySpec) -> bool:
    return bool(spec.color_modes) and not set(spec.color_modes) <= ON_OFF_ONLY


def _colours(spec: HassEntitySpec) -> bool:
    return bool(COLOR_MODES.intersection(spec.color_modes))
