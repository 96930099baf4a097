"""A home holding every device and area the dev set speaks of, so the whole pipeline
(templates -> model, with the resolver's say on which tier's names are real) can be scored.
A device's domain comes from what people call it, else from what the command does to it."""

from __future__ import annotations

from agent.home.inventory import Area, Device, Home
from agent.home.specs import HomeAssistantSpec
from agent.intents import INTENT_DOMAINS
from agent.resolve import KIND_WORDS
from tests.devset import Case

PREFERRED = (
    "light",
    "switch",
    "cover",
    "lock",
    "climate",
    "media_player",
    "vacuum",
    "valve",
    "scene",
    "fan",
    "sensor",
    "binary_sensor",
)


def _domain(name: str, intent: str) -> str:
    able = INTENT_DOMAINS.get(intent) or frozenset(PREFERRED)
    words = name.split(" ")
    for n in range(len(words)):
        tail = " ".join(words[n:])
        for candidate in (tail, tail.rstrip("s")):
            for domain, _ in KIND_WORDS.get(candidate, ()):
                if domain in able:
                    return domain
    return next(d for d in PREFERRED if d in able)


def build(cases: list[Case]) -> Home:
    areas = sorted({str(c.slots["area"]) for c in cases if "area" in c.slots})
    devices: dict[str, Device] = {}
    for case in cases:
        name = case.slots.get("device")
        if not isinstance(name, str) or case.intent == "none":
            continue
        domain = _domain(name, case.intent)
        object_id = "_".join(name.split(" ")) + f"_{len(devices)}"
        key = f"{domain}:{name}"
        if key not in devices:
            cls = "garage" if "garage" in name and domain == "cover" else None
            devices[key] = Device(
                f"{domain}.{object_id}",
                name,
                device_class=cls,
                safety="allow",
                command=HomeAssistantSpec(command_topic=f"bench/{object_id}"),
            )
    # what every home has: a light in each room; a thermostat, a speaker and a vacuum
    for area in areas:
        oid = "_".join(area.split(" "))
        devices[f"light:{area}"] = Device(
            f"light.{oid}_ceiling",
            f"{area} ceiling light",
            area,
            command=HomeAssistantSpec(command_topic=f"b/{oid}"),
        )
    for domain, name in (
        ("climate", "house thermostat"),
        ("media_player", "living room speaker"),
        ("vacuum", "robot vacuum"),
    ):
        devices[domain] = Device(
            f"{domain}.house",
            name,
            safety="allow",
            command=HomeAssistantSpec(command_topic=f"b/{domain}", temperature_command_topic="b/t"),
        )
    return Home(areas=tuple(Area(a) for a in areas), devices=tuple(devices.values()))
