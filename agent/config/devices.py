"""The home in a config: areas, and devices with how each is commanded (Home Assistant's
keys and templates, Zigbee2MQTT, Tasmota, or topic/payload templates)."""

from __future__ import annotations

from typing import Any

from agent.config.schema import DEVICE_ID, TOPIC_FORBIDDEN
from agent.config.yamlread import Section
from agent.home.inventory import SAFETY_POLICIES, Area, Device
from agent.home.specs import (
    STEPPING_INTENTS,
    CommandSpec,
    HomeAssistantSpec,
    TasmotaSpec,
    TemplateCommand,
    TemplateSpec,
    Zigbee2MqttSpec,
    template_problem,
)
from agent.home.template_filters import TemplateError
from agent.home.templating import tried
from agent.intents import DOMAINS, INTENTS, STATE_ONLY


def checked_topic(sec: Section, key: str, value: str | None) -> str | None:
    if value is not None and (not value or TOPIC_FORBIDDEN.search(value)):
        sec.error(key, f"{value!r} is not a valid MQTT topic to publish to")
    return value


def read_areas(root: Section) -> list[Area]:
    areas: list[Area] = []
    seen: dict[str, str] = {}
    for sec in root.sections("areas"):
        name = sec.req_text("name")
        area = Area(name=name, aliases=sec.str_list("aliases"), floor=sec.text("floor"))
        sec.finish()
        for spoken in (area.name, *area.aliases):
            key = spoken.casefold()
            if key in seen:
                sec.error("name", f"area name or alias {spoken!r} is already used by {seen[key]!r}")
            seen[key] = name
        areas.append(area)
    return areas


def read_devices(root: Section, areas: list[Area], *, overlays: bool) -> list[Device]:
    """With discovery on, a device without a protocol renames or aliases the discovered
    entity with its id."""
    devices: list[Device] = []
    ids: set[str] = set()
    area_names = {a.name for a in areas}
    for sec in root.sections("devices"):
        device_id = sec.req_text("id")
        if device_id:
            match = DEVICE_ID.match(device_id)
            if match is None:
                sec.error("id", f"expected <domain>.<object_id> in lower case, got {device_id!r}")
            elif match.group(1) not in DOMAINS:
                sec.error(
                    "id", f"unknown domain {match.group(1)!r}; expected one of {', '.join(DOMAINS)}"
                )
            if device_id in ids:
                sec.error("id", f"duplicate device id {device_id!r}")
            ids.add(device_id)
        name = sec.req_text("name")
        area = sec.text("area")
        if area is not None and area not in area_names:
            known = ", ".join(sorted(area_names)) or "none defined"
            sec.error("area", f"unknown area {area!r} (areas: {known})")
        safety = sec.choice("safety", SAFETY_POLICIES, None)
        device = Device(
            id=device_id,
            name=name,
            area=area,
            aliases=sec.str_list("aliases"),
            device_class=sec.text("device_class"),
            command=_command(sec, device_id, name, optional=overlays),
            safety=safety,
        )
        sec.finish()
        devices.append(device)
    return devices


PROTOCOLS = ("homeassistant", "zigbee2mqtt", "tasmota", "templates")


def _command(
    sec: Section, device_id: str, name: str, *, optional: bool = False
) -> CommandSpec | None:
    given = [p for p in PROTOCOLS if sec.has(p)]
    domain = device_id.split(".", 1)[0]
    if len(given) > 1:
        sec.error(given[1], f"give one of {', '.join(PROTOCOLS)}, not {' and '.join(given)}")
    if not given:
        if domain not in STATE_ONLY and not optional:
            sec.error(None, f"missing how the device is commanded: one of {', '.join(PROTOCOLS)}")
        return None
    protocol = given[0]
    sub = sec.section(protocol)
    if sub is None:
        sec.error(protocol, "expected a mapping")
        return None
    spec: CommandSpec
    if protocol == "homeassistant":
        spec = _homeassistant(sub, domain)
    elif protocol == "zigbee2mqtt":
        defaults_z = Zigbee2MqttSpec(friendly_name=name)
        spec = Zigbee2MqttSpec(
            friendly_name=sub.text("friendly_name", name) or name,
            base_topic=sub.text("base_topic", defaults_z.base_topic) or defaults_z.base_topic,
            setpoint_key=sub.text("setpoint_key", defaults_z.setpoint_key)
            or defaults_z.setpoint_key,
        )
        checked_topic(sub, "base_topic", spec.base_topic)
    elif protocol == "tasmota":
        relay = sub.integer("relay", 0, minimum=1, maximum=32)
        spec = TasmotaSpec(
            topic=sub.req_text("topic"),
            relay=relay or None,
            shutter=sub.integer("shutter", 1, minimum=1, maximum=16),
            prefix=sub.text("prefix", "cmnd") or "cmnd",
        )
        checked_topic(sub, "topic", spec.topic)
    else:
        spec = _templates(sub)
    sub.finish()
    return spec


def _homeassistant(sub: Section, domain: str) -> HomeAssistantSpec:
    d = HomeAssistantSpec()
    schemas = ("default", "json", "template")
    values: dict[str, Any] = {"schema": sub.choice("schema", schemas, "default")}
    for key, default in d.__dict__.items():
        if key == "schema":
            continue
        if key == "brightness_scale":
            values[key] = sub.integer(key, default, minimum=1, maximum=65535)
        elif isinstance(default, int):  # position_open/closed, speed_range_min/max
            values[key] = sub.integer(key, default, minimum=0, maximum=65535)
        elif key.endswith("_topic"):
            values[key] = checked_topic(sub, key, sub.text(key))
        elif key.endswith("_template"):
            values[key] = _jinja(sub, key)
        else:
            values[key] = sub.text(key, default)
    spec = HomeAssistantSpec(**values)
    if spec.speed_range_max <= spec.speed_range_min or spec.speed_range_min < 1:
        sub.error("speed_range_max", "must be above speed_range_min, which must be 1 or more")
    if spec.schema == "template" and not (spec.command_on_template and spec.command_off_template):
        sub.error(None, "the template schema needs command_on_template and command_off_template")
    if (
        domain not in (*STATE_ONLY, "climate")
        and spec.command_topic is None
        and (spec.brightness_command_topic is None)
    ):
        sub.error(None, "command_topic is required")
    return spec


def _jinja(sub: Section, key: str) -> str | None:
    """A Home Assistant command template: compiled and tried here, so a mistake is a
    config error with its line, not a failed command later."""
    text = sub.text(key)
    if text is not None:
        try:
            tried(text)
        except TemplateError as exc:
            sub.error(key, f"template: {exc}")
    return text


def _templates(sub: Section) -> TemplateSpec:
    commands: dict[str, TemplateCommand] = {}
    for intent in list(sub.keys):
        entry = sub.section(intent)
        if intent not in INTENTS or intent == "none":
            sub.error(intent, f"unknown intent {intent!r}")
            continue
        if entry is None:
            continue
        topic = entry.req_text("topic")
        checked_topic(entry, "topic", topic)
        payload = entry.text("payload", "") or ""
        step = entry.text("step_payload")
        if step is not None and intent not in STEPPING_INTENTS:
            only = ", ".join(STEPPING_INTENTS)
            entry.error("step_payload", f"{intent} takes no direction; only {only}")
        for key, text, stepping in (
            ("topic", topic, False), ("payload", payload, False), ("step_payload", step, True)
        ):  # fmt: skip
            if text is not None and (problem := template_problem(text, intent, step=stepping)):
                entry.error(key, problem)
        commands[intent] = TemplateCommand(topic=topic, payload=payload, step_payload=step)
        entry.finish()
    return TemplateSpec(commands=commands)
