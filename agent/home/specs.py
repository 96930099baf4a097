"""How a device is commanded: one spec per protocol. Pure data, read from the config."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HomeAssistantSpec:
    """Home Assistant's MQTT integration, default or JSON schema; keys as in its docs."""

    schema: str = "default"  # "default" or "json"
    command_topic: str | None = None
    state_topic: str | None = None
    payload_on: str = "ON"
    payload_off: str = "OFF"
    brightness_command_topic: str | None = None
    brightness_scale: int = 255
    rgb_command_topic: str | None = None
    percentage_command_topic: str | None = None
    set_position_topic: str | None = None
    payload_open: str = "OPEN"
    payload_close: str = "CLOSE"
    payload_stop: str = "STOP"
    payload_lock: str = "LOCK"
    payload_unlock: str = "UNLOCK"
    temperature_command_topic: str | None = None
    power_command_topic: str | None = None
    mode_command_topic: str | None = None  # climate without a power topic: on = mode_on
    mode_on: str = "heat"
    payload_start: str = "start"
    payload_pause: str = "pause"
    payload_return_to_base: str = "return_to_base"


@dataclass(frozen=True)
class Zigbee2MqttSpec:
    """Zigbee2MQTT: JSON on `<base_topic>/<friendly_name>/set`."""

    friendly_name: str
    base_topic: str = "zigbee2mqtt"
    setpoint_key: str = "occupied_heating_setpoint"


@dataclass(frozen=True)
class TasmotaSpec:
    """Tasmota: `cmnd/<topic>/POWER`, `Dimmer`, `Color`, `ShutterPosition`..."""

    topic: str
    relay: int | None = None  # POWER<n>; None means plain POWER
    shutter: int = 1
    prefix: str = "cmnd"


@dataclass(frozen=True)
class TemplateCommand:
    topic: str
    payload: str


@dataclass(frozen=True)
class TemplateSpec:
    """Explicit topic and payload per intent; payloads may use {value}, {percent}, {r}..."""

    commands: dict[str, TemplateCommand] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.commands)))


CommandSpec = HomeAssistantSpec | Zigbee2MqttSpec | TasmotaSpec | TemplateSpec


def command_topics(spec: CommandSpec | None) -> tuple[str, ...]:
    """The topics (MQTT filters) a device's commands go to: nothing discovered may use them."""
    if isinstance(spec, HomeAssistantSpec):
        return tuple(
            t
            for t in (
                spec.command_topic,
                spec.brightness_command_topic,
                spec.rgb_command_topic,
                spec.percentage_command_topic,
                spec.set_position_topic,
                spec.temperature_command_topic,
                spec.power_command_topic,
                spec.mode_command_topic,
            )
            if t
        )
    if isinstance(spec, Zigbee2MqttSpec):
        # the device's own set topics, its attributes' (`set/state`) and its endpoints'
        # (`l1/set`): Zigbee2MQTT acts on every one of them
        device = f"{spec.base_topic}/{spec.friendly_name}"
        return (f"{device}/set", f"{device}/set/#", f"{device}/+/set")
    if isinstance(spec, TasmotaSpec):
        # every command of the device, however deep (`cmnd/<topic>/Backlog`, grouped topics)
        return (f"{spec.prefix}/{spec.topic}/#",)
    if isinstance(spec, TemplateSpec):
        return tuple(dict.fromkeys(c.topic for c in spec.commands.values()))
    return ()
