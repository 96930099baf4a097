"""Home Assistant's registries and states, read: its areas (with aliases and floors), its
entities with their names, aliases and areas (an entity's own, else its device's), which of
them it exposes to its voice assistant, and each one's state. What its WebSocket API returns
goes in; areas and entities out. Pure: untrusted input is bounded and skipped, never raised.

Exposure is Home Assistant's own rule (homeassistant/components/homeassistant/
exposed_entities.py): an entity's setting for its `conversation` assistant where it has one;
else the default for new entities: not hidden, no entity category, and a domain exposed by
default (or a binary sensor or sensor of a class that is)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.home.inventory import Area, Device, Floor
from agent.home.specs import HassEntitySpec
from agent.home.state import DeviceState, read_number
from agent.intents import DOMAINS

MAX_NAME = 200  # characters of a name, alias or area kept
MAX_ALIASES = 20
MAX_ENTITIES = 20_000

DEFAULT_EXPOSED_DOMAINS = frozenset(
    {
        "climate",
        "cover",
        "fan",
        "humidifier",
        "light",
        "lock",
        "scene",
        "script",
        "switch",
        "todo",
        "vacuum",
        "water_heater",
    }
)
DEFAULT_EXPOSED_BINARY = frozenset(
    {"door", "garage_door", "lock", "motion", "opening", "presence", "window"}
)
DEFAULT_EXPOSED_SENSOR = frozenset(
    {
        "aqi",
        "carbon_monoxide",
        "carbon_dioxide",
        "humidity",
        "pm10",
        "pm25",
        "temperature",
        "volatile_organic_compounds",
    }
)


@dataclass(frozen=True)
class HassEntity:
    """One Home Assistant entity as the agent sees it: the device it makes, and what says
    whether it is the same as one discovered over MQTT (its integration and unique id)."""

    device: Device
    state: DeviceState = field(compare=False)  # kept live by events, not a change of the home
    platform: str | None = None
    unique_id: str | None = None


@dataclass(frozen=True)
class HassHome:
    areas: tuple[Area, ...]
    entities: tuple[HassEntity, ...]  # exposed to voice, of a kind the agent knows
    withheld: tuple[Device, ...]  # what Home Assistant does not expose to its voice assistant
    floors: tuple[Floor, ...] = ()


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:MAX_NAME] if text else None


def _texts(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        return ()
    found = (_text(v) for v in values[:MAX_ALIASES])
    return tuple(sorted({v for v in found if v}))


def _rows(rows: Any, key: str) -> dict[str, Mapping[str, Any]]:
    """Rows (dicts) by their `key`, the malformed left out."""
    if not isinstance(rows, list):
        return {}
    out: dict[str, Mapping[str, Any]] = {}
    for row in rows[:MAX_ENTITIES]:
        if isinstance(row, dict) and isinstance(row.get(key), str):
            out[row[key]] = row
    return out


def read_floors(floors: Any) -> tuple[Floor, ...]:
    """Home Assistant's floors with their aliases."""
    found = (
        (_text(f.get("name")), _texts(f.get("aliases"))) for f in _rows(floors, "floor_id").values()
    )
    return tuple(Floor(name, aliases) for name, aliases in found if name)


def read_areas(areas: Any, floors: Any) -> dict[str, Area]:
    """Home Assistant's areas by their id, each with its aliases and floor."""
    floor_names = {fid: _text(f.get("name")) for fid, f in _rows(floors, "floor_id").items()}
    out: dict[str, Area] = {}
    for area_id, row in _rows(areas, "area_id").items():
        name = _text(row.get("name"))
        if name is not None:
            floor = floor_names.get(row.get("floor_id") or "")
            out[area_id] = Area(name, _texts(row.get("aliases")), floor)
    return out


def exposed(
    entity_id: str,
    entry: Mapping[str, Any] | None,
    listed: Mapping[str, Any],
    attributes: Mapping[str, Any],
) -> bool:
    """Whether Home Assistant exposes the entity to its voice assistant (see the module)."""
    said = listed.get(entity_id)
    if isinstance(said, dict) and isinstance(said.get("conversation"), bool):
        return bool(said["conversation"])
    options = (entry or {}).get("options")
    own = options.get("conversation") if isinstance(options, dict) else None
    if isinstance(own, dict) and isinstance(own.get("should_expose"), bool):
        return bool(own["should_expose"])
    if entry is not None and (entry.get("entity_category") or entry.get("hidden_by")):
        return False
    domain = entity_id.split(".", 1)[0]
    cls = _device_class(entry, attributes)
    return (
        domain in DEFAULT_EXPOSED_DOMAINS
        or (domain == "binary_sensor" and cls in DEFAULT_EXPOSED_BINARY)
        or (domain == "sensor" and cls in DEFAULT_EXPOSED_SENSOR)
    )


def _device_class(entry: Mapping[str, Any] | None, attributes: Mapping[str, Any]) -> str | None:
    e = entry or {}
    return (
        _text(e.get("device_class"))
        or _text(e.get("original_device_class"))
        or _text(attributes.get("device_class"))
    )


def read_home(
    *,
    areas: Any,
    floors: Any,
    devices: Any,
    entities: Any,
    states: Any,
    exposed_list: Any,
) -> HassHome:
    """The areas and exposed entities of a Home Assistant, from its registries (entities
    with aliases: `config/entity_registry/get_entries`), states and exposure list."""
    area_by_id = read_areas(areas, floors)
    device_area = {i: d.get("area_id") for i, d in _rows(devices, "id").items()}
    entries = _rows(entities, "entity_id")
    listed = exposed_list if isinstance(exposed_list, dict) else {}
    found: list[HassEntity] = []
    withheld: list[Device] = []
    for entity_id, row in _rows(states, "entity_id").items():
        domain, _, object_id = entity_id.partition(".")
        if domain not in DOMAINS or not object_id:
            continue
        entry = entries.get(entity_id)
        if entry is not None and entry.get("disabled_by"):
            continue
        attributes = row.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        e = entry or {}
        area_id = e.get("area_id") or device_area.get(str(e.get("device_id")))
        area = area_by_id.get(area_id) if isinstance(area_id, str) else None
        device = Device(
            id=entity_id,
            name=_name(entity_id, entry, attributes),
            area=area.name if area else None,
            aliases=_texts((entry or {}).get("aliases")),
            device_class=_device_class(entry, attributes),
            command=_spec(entity_id, entry, attributes),
        )
        if not exposed(entity_id, entry, listed, attributes):
            withheld.append(device)
            continue
        found.append(
            HassEntity(
                device,
                hass_state(domain, row.get("state"), attributes),
                _text(e.get("platform")),
                _text(e.get("unique_id")),
            )
        )
    return HassHome(tuple(area_by_id.values()), tuple(found), tuple(withheld), read_floors(floors))


def _name(entity_id: str, entry: Mapping[str, Any] | None, attributes: Mapping[str, Any]) -> str:
    """What Home Assistant calls it: its friendly name (which has the user's renaming)."""
    e = entry or {}
    for value in (attributes.get("friendly_name"), e.get("name"), e.get("original_name")):
        if (text := _text(value)) is not None:
            return text
    return entity_id.split(".", 1)[1].replace("_", " ")


def _spec(
    entity_id: str, entry: Mapping[str, Any] | None, attributes: Mapping[str, Any]
) -> HassEntitySpec:
    features = attributes.get("supported_features")
    modes = attributes.get("supported_color_modes")
    return HassEntitySpec(
        entity_id=entity_id,
        features=features if isinstance(features, int) and not isinstance(features, bool) else 0,
        color_modes=tuple(m for m in modes[:16] if isinstance(m, str))
        if isinstance(modes, list)
        else (),
        platform=_text((entry or {}).get("platform")),
    )


def hass_state(domain: str, state: Any, attributes: Mapping[str, Any]) -> DeviceState:
    """An entity's state and attributes as the agent keeps a device's state."""
    word = state if isinstance(state, str) else None
    word = word[:MAX_NAME] if word else None
    if word is None or word == "unknown":
        return DeviceState()
    brightness = read_number(attributes.get("brightness"))
    volume = read_number(attributes.get("volume_level"))
    percentage = volume * 100 if volume is not None else read_number(attributes.get("percentage"))
    unit = _text(attributes.get("unit_of_measurement"))
    value: float | str | None = None
    mode = None
    if word != "unavailable" and domain == "sensor":
        value, word = (read_number(word) if read_number(word) is not None else word), None
    elif word != "unavailable" and domain == "climate":
        mode, word = word, None
    return DeviceState(
        state=word,
        brightness=round(brightness * 100 / 255) if brightness is not None else None,
        position=read_number(attributes.get("current_position")),
        percentage=percentage,
        value=value,
        unit=unit,
        temperature=read_number(attributes.get("temperature")),
        current=read_number(attributes.get("current_temperature")),
        mode=mode,
    )
