"""Home Assistant MQTT discovery, read: config payloads in, entities out. Pure.

Per-component topics `<prefix>/<component>/[<node_id>/]<object_id>/config` and device-based
ones `<prefix>/device/<object_id>/config` (components under `cmps`, each naming its
`platform`), abbreviated keys, the `~` base topic, and the device block. An empty payload
removes; a new one replaces.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

from agent.home.abbreviations import expand
from agent.home.guard import Guard
from agent.home.specs import HomeAssistantSpec, command_topics
from agent.home.state import StateSource
from agent.home.template_filters import TemplateError
from agent.home.templating import tried
from agent.intents import DOMAINS, STATE_ONLY
from agent.topic_rules import MAX_TOPIC_BYTES

MAX_PAYLOAD = 64 * 1024
MAX_NAME = 200  # characters: names, areas, ids, classes, units (a longer one is left out)
MAX_COMMAND_PAYLOAD = 1024  # characters of a payload to send (payload_on, ...)
# Characters of topics, payloads, templates and names one entity may keep (a real one keeps a
# few hundred): with live.MAX_ENTITIES, what discovery can cost is bounded.
MAX_KEPT = 4096
MAX_COMPONENTS = 100  # per device-based config
MAX_MODES = 64  # climate modes read
# The options kept from a config once it is read (state words, for reading states): the
# rest of a config, whatever it holds, is not kept.
READER_KEYS = (
    "state_on",
    "state_off",
    "payload_on",
    "payload_off",
    "state_open",
    "state_closed",
    "state_opening",
    "state_closing",
    "state_stopped",
    "state_locked",
    "state_unlocked",
)
# Every domain of ours but media_player, which MQTT discovery has no platform for.
COMPONENTS = tuple(d for d in DOMAINS if d != "media_player")
# What a component must have to be commanded at all.
# The command templates read (see HomeAssistantSpec), each compiled and tried once.
COMMAND_TEMPLATES = (
    "command_template", "command_on_template", "command_off_template",
    "brightness_command_template", "rgb_command_template", "percentage_command_template",
    "set_position_template", "temperature_command_template", "mode_command_template",
    "power_command_template",
)  # fmt: skip
COMMAND_KEYS = {
    "climate": ("temperature_command_topic", "mode_command_topic", "power_command_topic"),
    "cover": ("command_topic", "set_position_topic"),
    "valve": ("command_topic", "set_position_topic"),
}

_TOPIC = re.compile(r"^(?P<component>[\w-]+)/(?:(?P<node>[\w-]+)/)?(?P<object>[\w-]+)/config$")
_SLUG = re.compile(r"[^a-z0-9]+")


NO_GUARD = Guard()  # nothing reserved: for reading configs apart from a broker


class DiscoveryError(ValueError):
    """A config payload that can't be used; the message says why."""


@dataclass(frozen=True)
class Entity:
    key: str  # where it was announced: the config topic (plus the component, device-based)
    component: str
    object_id: str
    name: str
    aliases: tuple[str, ...] = ()  # the entity's own name, where the device's comes first
    unique_id: str | None = None
    area: str | None = None  # the device's suggested_area
    device_class: str | None = None
    unit: str | None = None
    command: HomeAssistantSpec | None = None
    states: tuple[StateSource, ...] = ()
    # the READER_KEYS the config gave (strings), and nothing else of it
    options: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.component}.{self.object_id}"


@dataclass(frozen=True)
class Announcement:
    """What one config message says: its topic now holds these entities (none: removed).
    A new message on a topic replaces everything the last one said."""

    source: str
    entities: tuple[Entity, ...]


def slug(text: str) -> str:
    return _SLUG.sub("_", text.casefold()).strip("_")


def read(prefix: str, topic: str, payload: bytes, guard: Guard = NO_GUARD) -> Announcement:
    """The entities a config message announces; DiscoveryError when it can't be used."""
    if len(topic) > MAX_TOPIC_BYTES:
        raise DiscoveryError(f"a config topic longer than {MAX_TOPIC_BYTES} characters")
    rest = topic[len(prefix) + 1 :] if topic.startswith(prefix + "/") else None
    match = _TOPIC.match(rest or "")
    if match is None:
        raise DiscoveryError(f"not a discovery config topic: {topic}")
    component, node, object_id = match["component"], match["node"], match["object"]
    device_based = component == "device" and node is None
    if not payload.strip():
        return Announcement(topic, ())
    if len(payload) > MAX_PAYLOAD:
        raise DiscoveryError(f"{len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    try:
        body = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DiscoveryError(f"not JSON: {exc}") from None
    except RecursionError:
        raise DiscoveryError("not JSON we read: nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise DiscoveryError(f"not JSON we read: {str(exc)[:80]}") from None
    if not isinstance(body, dict):
        raise DiscoveryError("expected a JSON object")
    config = expand(body)
    if device_based:
        return _device_based(topic, config, body.get("~"), guard)
    return Announcement(topic, (_entity(topic, component, object_id, config, guard),))


def _device_based(topic: str, config: dict[str, Any], base: Any, guard: Guard) -> Announcement:
    parts = config.pop("components", None)
    if not isinstance(parts, dict) or not parts:
        raise DiscoveryError("a device config needs components (cmps)")
    if len(parts) > MAX_COMPONENTS:
        raise DiscoveryError(f"more than {MAX_COMPONENTS} components in one config")
    shared = {k: v for k, v in config.items() if k not in ("device", "origin")}
    entities = []
    problems = []
    for cmp_id, raw in parts.items():
        if len(cmp_id) > MAX_NAME:
            problems.append(f"a component id longer than {MAX_NAME} characters")
            continue
        key = f"{topic}#{cmp_id}"
        if not isinstance(raw, dict):
            problems.append(f"{cmp_id}: expected an object")
            continue
        part = expand({"~": base, **raw} if isinstance(base, str) else raw)
        platform = part.pop("platform", None)
        if len(part) == 0:
            continue  # only the platform: this component is removed
        if not isinstance(platform, str):
            problems.append(f"{cmp_id}: the platform (p) must be a string")
            continue
        merged = {**shared, **part, "device": config.get("device")}
        try:
            entities.append(_entity(key, platform, cmp_id, merged, guard))
        except DiscoveryError as exc:
            problems.append(f"{cmp_id}: {exc}")
    if problems and not entities:
        raise DiscoveryError("; ".join(problems[:5]))
    return Announcement(topic, tuple(entities))


def _entity(key: str, component: str, object_id: str, c: dict[str, Any], guard: Guard) -> Entity:
    if component not in COMPONENTS:
        raise DiscoveryError(f"component {component[:40]!r} is not supported")
    device = c.get("device") if isinstance(c.get("device"), dict) else {}
    assert isinstance(device, dict)
    needed = COMMAND_KEYS.get(component, ("command_topic",))
    if component not in STATE_ONLY and not any(isinstance(c.get(k), str) for k in needed):
        raise DiscoveryError(f"a {component} needs a {' or '.join(needed)}")
    for said in (c.get("name"), device.get("name")):
        if isinstance(said, str) and len(said) > MAX_NAME:
            raise DiscoveryError(f"a name longer than {MAX_NAME} characters")
    full = _name(c, device, object_id)
    own = _text(c.get("name"))
    # Spoken, a name of its own ("Garage Door") beats "Garage Controller Garage Door"; a bare
    # word ("Temperature") needs its device's name.
    name = own if own and len(own.split()) > 1 else full
    oid = _object_id(c, object_id, full, component)
    if len(full) > MAX_NAME:
        raise DiscoveryError(f"a name longer than {MAX_NAME} characters")
    area = _text(device.get("suggested_area"))
    command = _spec(component, c)
    for topic in command_topics(command):
        why = guard.command_problem(topic)
        if why is not None:
            raise DiscoveryError(f"command topic {topic[:80]!r} refused: {why}")
    states = _states(component, c)
    for source in states:
        why = guard.state_problem(source.topic)
        if why is not None:
            raise DiscoveryError(f"state topic {source.topic[:80]!r} refused: {why}")
    entity = Entity(
        key=key,
        component=component,
        object_id=oid,
        name=name,
        aliases=(full,) if name != full else (),
        unique_id=_text(c.get("unique_id")),
        area=area,
        device_class=_text(c.get("device_class")),
        unit=_text(c.get("unit_of_measurement")),
        command=command,
        states=states,
        options=tuple((k, v) for k in READER_KEYS if (v := _scalar(c.get(k))) is not None),
    )
    if _kept(entity) > MAX_KEPT:
        raise DiscoveryError(f"more than {MAX_KEPT} characters of topics, payloads and names")
    return entity


def _kept(entity: Entity) -> int:
    """The characters an entity keeps: what MAX_ENTITIES of them can cost at most."""
    texts: list[str | None] = [entity.key, entity.name, *entity.aliases, entity.unique_id]
    texts += [entity.area, entity.device_class, entity.unit, *(v for _, v in entity.options)]
    texts += [t for s in entity.states for t in (s.topic, s.template)]
    if entity.command is not None:
        texts += [
            v
            for f in fields(entity.command)
            if isinstance(v := getattr(entity.command, f.name), str)
        ]
    return sum(len(t) for t in texts if t)


def _text(value: Any) -> str | None:
    """A string of at most MAX_NAME characters; None for anything else."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_NAME else None


def _scalar(value: Any) -> str | None:
    """A string or a number as text, of at most MAX_NAME characters; None for anything
    else (a list or an object is never turned into text: a deep one costs)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if len(text) <= MAX_NAME else None


def _name(c: dict[str, Any], device: dict[str, Any], object_id: str) -> str:
    """As Home Assistant names it: the device's name, then the entity's, if any."""
    own = _text(c.get("name"))
    device_name = _text(device.get("name"))
    if own and device_name and not own.casefold().startswith(device_name.casefold()):
        return f"{device_name} {own}"
    return own or device_name or object_id.replace("_", " ")


def _object_id(c: dict[str, Any], from_topic: str, name: str, component: str) -> str:
    wanted = _text(c.get("default_entity_id")) or _text(c.get("object_id"))
    if wanted and "." in wanted:
        wanted = wanted.split(".", 1)[1]
    return slug(wanted or name or from_topic) or slug(from_topic) or component


def _spec(component: str, c: dict[str, Any]) -> HomeAssistantSpec | None:
    if component in STATE_ONLY:
        return None

    def topic(key: str) -> str | None:
        value = c.get(key)
        return value if isinstance(value, str) and value else None

    def payload(key: str, default: str) -> str:
        value = c.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return default
        text = str(value)
        if len(text) > MAX_COMMAND_PAYLOAD:
            raise DiscoveryError(f"{key}: longer than {MAX_COMMAND_PAYLOAD} characters")
        return text

    scale = c.get("brightness_scale", 255)
    on_default = "PRESS" if component == "button" else "ON"
    schema = str(c["schema"]) if c.get("schema") in ("json", "template") else "default"
    if schema == "template" and component == "light":
        for key in ("command_on_template", "command_off_template"):
            if not isinstance(c.get(key), str):
                raise DiscoveryError(f"a light of the template schema needs a {key}")
    speeds = (_whole(c, "speed_range_min", 1), _whole(c, "speed_range_max", 100))
    if speeds[0] < 1 or speeds[1] <= speeds[0]:
        raise DiscoveryError("speed_range_min must be > 0 and speed_range_max above it")
    templates = {key: _template(c, key) for key in COMMAND_TEMPLATES}
    return HomeAssistantSpec(
        schema=schema,
        **templates,
        speed_range_min=speeds[0],
        speed_range_max=speeds[1],
        position_open=_whole(c, "position_open", 100),
        position_closed=_whole(c, "position_closed", 0),
        command_topic=topic("command_topic"),
        state_topic=topic("state_topic"),
        payload_on=payload("payload_press" if component == "button" else "payload_on", on_default),
        payload_off=payload("payload_off", "OFF"),
        brightness_command_topic=topic("brightness_command_topic"),
        brightness_scale=int(scale)
        if isinstance(scale, int | float) and 1 <= scale <= 1_000_000
        else 255,
        rgb_command_topic=topic("rgb_command_topic"),
        percentage_command_topic=topic("percentage_command_topic"),
        set_position_topic=topic("set_position_topic"),
        payload_open=payload("payload_open", "OPEN"),
        payload_close=payload("payload_close", "CLOSE"),
        payload_stop=payload("payload_stop", "STOP"),
        payload_lock=payload("payload_lock", "LOCK"),
        payload_unlock=payload("payload_unlock", "UNLOCK"),
        temperature_command_topic=topic("temperature_command_topic"),
        power_command_topic=topic("power_command_topic"),
        mode_command_topic=topic("mode_command_topic"),
        mode_on=_mode_on(c.get("modes")),
        payload_start=payload("payload_start", "start"),
        payload_pause=payload("payload_pause", "pause"),
        payload_return_to_base=payload("payload_return_to_base", "return_to_base"),
    )


def _template(c: dict[str, Any], key: str) -> str | None:
    """A template the config gives, compiled and tried once (a hostile one is refused
    here, not where a state or a command needs it); None where there is none."""
    text = c.get(key)
    if not isinstance(text, str):
        return None
    try:
        tried(text)
    except TemplateError as exc:
        raise DiscoveryError(f"{key}: {exc}") from None
    return text


def _whole(c: dict[str, Any], key: str, default: int) -> int:
    value = c.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 1_000_000:
        raise DiscoveryError(f"{key}: expected a whole number")
    return value


def _mode_on(modes: Any) -> str:
    """The climate mode that "turn on" picks: heat where offered, else the first not off."""
    if not isinstance(modes, list) or not modes:
        return "heat"
    offered = [m for m in modes[:MAX_MODES] if isinstance(m, str) and m and m != "off"]
    return "heat" if "heat" in offered else (offered[0] if offered else "heat")


def _states(component: str, c: dict[str, Any]) -> tuple[StateSource, ...]:
    out = []

    def add(topic_key: str, attribute: str, template_key: str | None = None) -> None:
        topic = c.get(topic_key)
        if isinstance(topic, str) and topic:
            template = _template(c, template_key) if template_key else None
            out.append(StateSource(topic, attribute, template))

    if c.get("schema") == "json":
        add("state_topic", "json")
    elif c.get("schema") == "template":
        add("state_topic", "state", "state_template")
    elif component == "climate":
        add("current_temperature_topic", "current", "current_temperature_template")
        add("temperature_state_topic", "temperature", "temperature_state_template")
        add("mode_state_topic", "mode", "mode_state_template")
    else:
        template = "state_value_template" if "state_value_template" in c else "value_template"
        add("state_topic", "state", template)
        add("brightness_state_topic", "brightness", "brightness_value_template")
        add("percentage_state_topic", "percentage", "percentage_value_template")
        add("position_topic", "position", "position_template")
    return tuple(out)
