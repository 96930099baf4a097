"""How a device is commanded: one spec per protocol. Pure data, read from the config."""

from __future__ import annotations

import string
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HomeAssistantSpec:
    """Home Assistant's MQTT integration, default or JSON schema; keys as in its docs."""

    schema: str = "default"  # "default", "json" or "template" (lights)
    command_topic: str | None = None
    state_topic: str | None = None
    payload_on: str = "ON"
    payload_off: str = "OFF"
    # Command templates (Jinja, rendered by agent.home.templating): each gets `value`, what
    # would be sent without it, and the variables Home Assistant gives it.
    command_template: str | None = None  # fan on/off, lock, valve, button
    command_on_template: str | None = None  # a light of the template schema
    command_off_template: str | None = None
    brightness_command_topic: str | None = None
    brightness_command_template: str | None = None
    brightness_scale: int = 255
    rgb_command_topic: str | None = None
    rgb_command_template: str | None = None
    percentage_command_topic: str | None = None
    percentage_command_template: str | None = None
    speed_range_min: int = 1
    speed_range_max: int = 100
    set_position_topic: str | None = None
    set_position_template: str | None = None
    position_open: int = 100
    position_closed: int = 0
    payload_open: str = "OPEN"
    payload_close: str = "CLOSE"
    payload_stop: str = "STOP"
    payload_lock: str = "LOCK"
    payload_unlock: str = "UNLOCK"
    temperature_command_topic: str | None = None
    temperature_command_template: str | None = None
    power_command_topic: str | None = None
    power_command_template: str | None = None
    mode_command_topic: str | None = None  # climate without a power topic: on = mode_on
    mode_command_template: str | None = None
    mode_on: str = "heat"
    payload_start: str = "start"
    payload_pause: str = "pause"
    payload_return_to_base: str = "return_to_base"
    unit_of_measurement: str | None = None  # a sensor's, said after its value


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
    # for "louder", "turn the volume down" (a direction, no value): sent with {direction}
    # filled in, where the device steps by itself (an IR blaster's volume_up/volume_down)
    step_payload: str | None = None


# what a template's {placeholders} may name, by intent (agent/act/templates.py fills them)
ALWAYS_FIELDS = ("state", "direction")
VALUE_FIELDS = ("value", "percent", "brightness", "temperature", "position", "volume")
COLOR_FIELDS = ("r", "g", "b", "hex", "color")
VALUE_INTENTS = frozenset(
    {"set_brightness", "set_color", "set_temperature", "set_position", "set_volume", "play_media"}
)
# those a step_payload may be given for ("louder", "turn it down")
STEPPING_INTENTS = ("set_brightness", "set_temperature", "set_position", "set_volume")


def template_fields(intent: str, *, step: bool = False) -> tuple[str, ...]:
    """The placeholders a template for `intent` gets (`step`: its step_payload). Pure."""
    if step:
        return ALWAYS_FIELDS
    fields = ALWAYS_FIELDS + (VALUE_FIELDS if intent in VALUE_INTENTS else ())
    if intent == "set_color":
        fields += COLOR_FIELDS
    if intent == "play_media":
        fields += ("media",)
    return fields


def template_problem(text: str, intent: str, *, step: bool = False) -> str | None:
    """What is wrong with a topic or payload template for `intent` (None: nothing): braces
    that don't pair, or a placeholder it never gets. Pure."""
    known = template_fields(intent, step=step)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"{text!r}: {exc} (write {{{{ and }}}} for literal braces)"
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name not in known:
            return (
                f"{text!r}: unknown placeholder {{{name}}} for {intent}; it can use "
                + ", ".join(f"{{{f}}}" for f in known)
                + " (write {{ and }} for literal braces)"
            )
    try:  # values are filled in as text: "{value:.1f}" can never render
        text.format_map(dict.fromkeys(known, "50"))
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        return f"{text!r} cannot be filled in ({exc}); placeholders are replaced by text"
    return None


@dataclass(frozen=True)
class TemplateSpec:
    """Explicit topic and payload per intent; payloads may use {value}, {percent}, {r}..."""

    commands: dict[str, TemplateCommand] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.commands)))


@dataclass(frozen=True)
class HassEntitySpec:
    """An entity commanded through Home Assistant's own API (its service calls), as its
    WebSocket link reads it: what the entity supports, from its state's attributes."""

    entity_id: str
    features: int = 0  # supported_features
    color_modes: tuple[str, ...] = ()  # a light's supported_color_modes
    platform: str | None = None  # the integration behind it (mqtt, hue, zwave_js, ...)


CommandSpec = HomeAssistantSpec | Zigbee2MqttSpec | TasmotaSpec | TemplateSpec | HassEntitySpec


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
