"""Home Assistant's entities (its WebSocket link) merged into the home the config and MQTT
discovery made. Pure.

The rule, one device commanded by one path:
- the config's own device (one with a protocol) with the entity's id wins;
- an entity of Home Assistant's MQTT integration that discovery also announced (the same
  unique id) is that one device: commanded over MQTT (it still works while Home Assistant is
  away), named, aliased and placed as Home Assistant has it, unless the config renames it;
- any other entity is commanded through Home Assistant; a config device without a protocol
  with its id renames, aliases, places it and sets its safety, as it does a discovered one;
- the config's `expose` filter applies on top of Home Assistant's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from agent.home.expose import Expose
from agent.home.hass_registry import HassHome
from agent.home.inventory import Area, Device, Floor, spoken
from agent.home.sensitive import opens_a_way_in


def state_key(entity_id: str) -> str:
    """Where an entity's state is kept (the state store's key)."""
    return f"hass:{entity_id}"


@dataclass
class Built:
    """The home being built (agent/home/live.py's rebuild), handed through each source."""

    areas: list[Area]
    floors: list[Floor]
    area_names: dict[str, str]  # each area's names as heard -> the area
    devices: list[Device]
    keys: dict[str, str]  # device id -> state key
    taken: set[str]
    commanded: set[str]  # ids of the config's own devices
    overlays: dict[str, Device]  # config devices without a protocol, not yet used
    config_names: dict[str, str]  # the config's device names as heard -> its id
    by_unique_id: dict[str, tuple[int, bool]] = field(default_factory=dict)  # (index, renamed)
    hidden: list[Device] = field(default_factory=list)
    unexposed: list[Device] = field(default_factory=list)
    withheld: list[Device] = field(default_factory=list)


def merge(hass: HassHome, built: Built, expose: Expose) -> None:
    """Add Home Assistant's areas and exposed entities to `built` (see the module)."""
    for area in hass.areas:
        names = [spoken(n) for n in (area.name, *area.aliases)]
        if any(n in built.area_names for n in names) or names[0] in built.config_names:
            continue
        built.areas.append(area)
        for n in names:
            built.area_names.setdefault(n, area.name)
    named = {spoken(f.name) for f in built.floors}
    built.floors.extend(f for f in hass.floors if spoken(f.name) not in named)
    for device in hass.withheld:
        built.withheld.append(_placed(device, built))
        if opens_a_way_in(device):
            built.hidden.append(device)
    for entity in hass.entities:
        device = _placed(entity.device, built)
        same = built.by_unique_id.get(entity.unique_id or "") if entity.platform == "mqtt" else None
        if same is not None:
            index, renamed = same
            if not renamed:
                mqtt = built.devices[index]
                built.devices[index] = replace(
                    mqtt, name=device.name, aliases=device.aliases, area=device.area or mqtt.area
                )
            continue
        if device.id in built.commanded:
            continue
        overlay = built.overlays.pop(device.id, None)
        if overlay is not None:
            device = overlaid(device, overlay)
        elif not expose.allows(device.domain, device.name, device.area) or _clashes(device, built):
            built.unexposed.append(device)
            if opens_a_way_in(device):
                built.hidden.append(device)
            continue
        entity_id = device.id
        device = replace(device, id=free_id(device.id, built.taken))
        built.taken.add(device.id)
        built.keys[device.id] = state_key(entity_id)
        built.devices.append(device)


def overlaid(device: Device, overlay: Device) -> Device:
    """A device as a config device without a protocol (same id) renames, aliases, places it
    and sets its safety."""
    return replace(
        device,
        name=overlay.name,
        aliases=overlay.aliases,
        area=overlay.area or device.area,
        device_class=overlay.device_class or device.device_class,
        safety=overlay.safety,
    )


def _placed(device: Device, built: Built) -> Device:
    """The device in the home's own area of that name (the config's "Kitchen" for Home
    Assistant's "kitchen")."""
    if device.area is None:
        return device
    return replace(device, area=built.area_names.get(spoken(device.area), device.area))


def _clashes(device: Device, built: Built) -> bool:
    """A name the config gave another device, or one read the same."""
    return any(
        built.config_names.get(spoken(n), device.id) != device.id
        for n in (device.name, *device.aliases)
    )


def free_id(device_id: str, taken: set[str]) -> str:
    if device_id not in taken:
        return device_id
    n = 2
    while f"{device_id}_{n}" in taken:
        n += 1
    return f"{device_id}_{n}"
