"""The home as it is now: the config's devices, then what MQTT discovery announces, filtered
by `expose`. Config devices win: one with a protocol replaces the discovered entity with its
id or its name; one without renames, aliases or places it. Rebuilt into a frozen Home when
asked for after a change (a burst of announcements costs one rebuild).

State topics are indexed as announcements arrive, not on a rebuild: a state message costs a
dictionary lookup however many entities there are. States are kept per `key` (the config
device's id, or where an entity was announced), and `state_key` maps a device id to it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from agent.home.discovery import Announcement, Entity
from agent.home.expose import Expose
from agent.home.hass_merge import Built, free_id, merge, overlaid
from agent.home.hass_registry import HassHome
from agent.home.inventory import Area, Device, Home, spoken
from agent.home.sensitive import opens_a_way_in
from agent.home.specs import HomeAssistantSpec
from agent.home.state import DeviceState, Reader, StateSource, StateStore
from agent.intents import STATE_ONLY

log = logging.getLogger(__name__)
MAX_ENTITIES = 20_000  # discovered entities kept; beyond, new ones are refused (logged once)


@dataclass(frozen=True)
class Watch:
    """A state topic and whose state it carries (`key`: see `Inventory.state_key`)."""

    key: str
    reader: Reader
    source: StateSource


def reader_for(entity: Entity) -> Reader:
    o = dict(entity.options)

    def strings(*keys: str, default: str) -> tuple[str, ...]:
        found = [o[k] for k in keys if k in o]
        return tuple(found) or (default,)

    words: list[tuple[str, str]] = []
    if entity.component in ("cover", "valve"):
        for key, word, default in (
            ("state_open", "open", "open"),
            ("state_closed", "closed", "closed"),
            ("state_opening", "opening", "opening"),
            ("state_closing", "closing", "closing"),
            ("state_stopped", "stopped", "stopped"),
        ):
            words.append((o.get(key, default), word))
    elif entity.component == "lock":
        words = [
            (o.get("state_locked", "LOCKED"), "locked"),
            (o.get("state_unlocked", "UNLOCKED"), "unlocked"),
            ("LOCKING", "locking"),
            ("UNLOCKING", "unlocking"),
            ("JAMMED", "jammed"),
        ]
    scale = entity.command.brightness_scale if entity.command else 255
    return Reader(
        domain=entity.component,
        on=strings("state_on", "payload_on", default="ON"),
        off=strings("state_off", "payload_off", default="OFF"),
        words=tuple(words),
        brightness_scale=scale,
        unit=entity.unit,
    )


def _config_watches(device: Device) -> list[Watch]:
    """Config devices with a Home Assistant state_topic: their state too."""
    spec = device.command
    if not isinstance(spec, HomeAssistantSpec) or not spec.state_topic:
        return []
    attribute = "json" if spec.schema == "json" else "state"
    reader = Reader(
        domain=device.domain,
        on=(spec.payload_on,),
        off=(spec.payload_off,),
        brightness_scale=spec.brightness_scale,
        unit=spec.unit_of_measurement,
    )
    return [Watch(_config_key(device.id), reader, StateSource(spec.state_topic, attribute))]


def _config_key(device_id: str) -> str:
    return f"config:{device_id}"


def _entity_key(entity: Entity) -> str:
    return f"{entity.key}|{entity.id}"


@dataclass(frozen=True)
class Change:
    """What one config message changed: state topics to subscribe to and to drop, and the
    state keys of entities that are gone."""

    changed: bool
    watch: tuple[str, ...] = ()
    unwatch: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()


def device_states(inventory: Inventory, states: StateStore) -> Callable[[str], DeviceState | None]:
    """A device's state by its id, as the pipeline asks for it (`Pipeline.state`)."""

    def state(device_id: str) -> DeviceState | None:
        key = inventory.state_key(device_id)
        return None if key is None else states.get(key)

    return state


@dataclass(frozen=True)
class Snapshot:
    home: Home
    entities: int  # discovered entities it was built from
    hidden: tuple[Device, ...]  # discovered locks and doors left out of the home
    unexposed: tuple[Device, ...]  # discovered devices `expose` left out
    withheld: tuple[Device, ...] = ()  # what Home Assistant does not expose to voice


class Inventory:
    def __init__(self, base: Home, expose: Expose, max_entities: int = MAX_ENTITIES) -> None:
        self._base = base
        self._expose = expose
        self._announced: dict[str, tuple[Entity, ...]] = {}
        self._count = 0  # entities in _announced
        self._max = max_entities
        self._full = False  # the cap was hit (said once, until well under it again)
        self._lock = threading.Lock()
        self._home = base
        # discovered locks and doors left out of the home (not exposed, or named like a config
        # device): what unlocks or opens them still needs a "yes", whoever sends it
        self._hidden: tuple[Device, ...] = ()
        self._unexposed: tuple[Device, ...] = ()  # discovered, not exposed to voice
        self._withheld: tuple[Device, ...] = ()  # Home Assistant's, not exposed to voice
        self._hass: HassHome | None = None  # what the Home Assistant link last read
        self._keys: dict[str, str] = {}  # device id -> state key
        self._watches: dict[str, dict[str, list[Watch]]] = {}  # topic -> key -> watches
        for device in base.devices:
            self._keys[device.id] = _config_key(device.id)
            for w in _config_watches(device):
                self._watches.setdefault(w.source.topic, {}).setdefault(w.key, []).append(w)
        # a discovered entity may not take a name the config gave (an overlay, same id, may),
        # nor one that reads the same (see `spoken`): a Cyrillic o in "Coffee Machine",
        # "Coffee-Machine", "The Coffee Machine"; nor may a discovered area
        self._config_names = {spoken(n): d.id for d in base.devices for n in (d.name, *d.aliases)}
        self._dirty = True
        self._skipped: set[str] = set()
        self.version = 0

    def announce(self, announcement: Announcement) -> Change:
        """Take one config message into account."""
        with self._lock:
            before = self._announced.get(announcement.source, ())
            entities = self._room_for(announcement, len(before))
            if before == entities:
                return Change(False)
            self._count += len(entities) - len(before)
            if entities:
                self._announced[announcement.source] = entities
            else:
                self._announced.pop(announcement.source, None)
            dropped: list[str] = []
            for entity in before:
                key = _entity_key(entity)
                for source in entity.states:
                    by_key = self._watches.get(source.topic, {})
                    by_key.pop(key, None)
                    if not by_key:
                        self._watches.pop(source.topic, None)
                        dropped.append(source.topic)
            added: list[str] = []
            for entity in entities:
                key = _entity_key(entity)
                reader = reader_for(entity)
                for source in entity.states:
                    by_key = self._watches.setdefault(source.topic, {})
                    if not by_key:
                        added.append(source.topic)
                    by_key.setdefault(key, []).append(Watch(key, reader, source))
            self._dirty = True
            self.version += 1
            now = {_entity_key(e) for e in entities}
            return Change(
                True,
                watch=tuple(added),
                unwatch=tuple(t for t in dict.fromkeys(dropped) if t not in self._watches),
                forget=tuple(k for k in map(_entity_key, before) if k not in now),
            )

    def set_hass(self, hass: HassHome | None) -> bool:
        """What the Home Assistant link read (None: nothing); whether the home changed."""
        with self._lock:
            if hass == self._hass:
                return False
            self._hass = hass
            self._dirty = True
            self.version += 1
            return True

    def _room_for(self, announcement: Announcement, before: int) -> tuple[Entity, ...]:
        """The announced entities that fit under the cap (a source keeps its own room)."""
        entities = announcement.entities
        room = self._max - (self._count - before)
        if len(entities) <= room:
            if self._full and self._count - before + len(entities) < self._max * 9 // 10:
                self._full = False
            return entities
        if not self._full:
            self._full = True
            log.warning(
                "%d discovered entities: refusing new ones (from %s on) until some are removed",
                self._max,
                announcement.source[:200],
            )
        return entities[: max(0, room)]

    @property
    def home(self) -> Home:
        with self._lock:
            self._fresh()
            return self._home

    def snapshot(self) -> Snapshot:
        """The home, how many discovered entities it was built from, the discovered locks
        and doors left out of it, and the names of what `expose` left out, together."""
        with self._lock:
            self._fresh()
            return Snapshot(self._home, self._count, self._hidden, self._unexposed, self._withheld)

    def watches(self, topic: str) -> list[Watch]:
        with self._lock:
            return [w for ws in self._watches.get(topic, {}).values() for w in ws]

    def state_topics(self) -> list[str]:
        with self._lock:
            return sorted(self._watches)

    def state_key(self, device_id: str) -> str | None:
        """Lock-free: the map is replaced whole by a rebuild, never changed in place."""
        return self._keys.get(device_id)

    def _fresh(self) -> None:
        if self._dirty:
            self._dirty = False
            self._rebuild()

    def _rebuild(self) -> None:
        base = self._base
        built = Built(
            areas=list(base.areas),
            floors=list(base.floors),
            area_names={spoken(n): a.name for a in base.areas for n in (a.name, *a.aliases)},
            devices=[d for d in base.devices if d.command is not None],
            keys={d.id: _config_key(d.id) for d in base.devices},
            taken={d.id for d in base.devices if d.command is not None},
            commanded={d.id for d in base.devices if d.command is not None},
            overlays={d.id: d for d in base.devices if d.command is None},
            config_names=self._config_names,
        )
        for entities in self._announced.values():
            for entity in entities:
                self._add_discovered(entity, built)
        if self._hass is not None:
            merge(self._hass, built, self._expose)
        # config devices nothing was discovered for: sensors stay (named, if stateless)
        built.devices.extend(d for d in built.overlays.values() if d.domain in STATE_ONLY)
        self._home = Home(
            areas=tuple(built.areas), devices=tuple(built.devices), floors=tuple(built.floors)
        )
        self._hidden = tuple(built.hidden)
        self._unexposed = tuple(built.unexposed)
        self._withheld = tuple(built.withheld)
        self._keys = built.keys

    def _add_discovered(self, entity: Entity, built: Built) -> None:
        device = self._device(entity, built.areas, built.area_names)
        if device.id in built.commanded:
            return  # the config's own device with that id wins
        overlay = built.overlays.pop(device.id, None)
        if overlay is not None:
            device = overlaid(device, overlay)
        elif not self._expose.allows(device.domain, device.name, device.area):
            built.unexposed.append(device)
            if opens_a_way_in(device):
                built.hidden.append(device)
            return
        else:
            clash = next(
                (
                    self._config_names[spoken(n)]
                    for n in (device.name, *device.aliases)
                    if spoken(n) in self._config_names
                ),
                None,
            )
            if clash is not None:
                self._skip(entity, f"{clash} of the config has that name, or one read so")
                if opens_a_way_in(device):
                    built.hidden.append(device)
                return
        device = replace(device, id=free_id(device.id, built.taken))
        built.taken.add(device.id)
        built.keys[device.id] = _entity_key(entity)
        if entity.unique_id:
            built.by_unique_id[entity.unique_id] = (len(built.devices), overlay is not None)
        built.devices.append(device)

    def _skip(self, entity: Entity, why: str, *, used: bool = False) -> None:
        """Said once per entity (`used`: the entity is kept, what it said is not)."""
        seen = f"{entity.key}|{why}"
        if len(self._skipped) < 10_000 and seen not in self._skipped:
            self._skipped.add(seen)
            what = "the area of" if used else "the discovered"
            log.warning("not using %s %s (%s): %s", what, entity.id, entity.key, why)

    def _device(self, entity: Entity, areas: list[Area], area_names: dict[str, str]) -> Device:
        """`area_names`: each area's names as heard -> the area; a new area is added to both.
        A suggested area that reads as a known one is that one ("Kitchen" with a Cyrillic e
        is the Kitchen); one that reads as a device of the config is left out."""
        area = None
        if entity.area:
            heard = spoken(entity.area)
            area = area_names.get(heard)
            if area is None and heard in self._config_names:
                self._skip(entity, "its area is named as a device of the config", used=True)
            elif area is None:
                areas.append(Area(entity.area))
                area = area_names[heard] = entity.area
        return Device(
            id=entity.id,
            name=entity.name,
            aliases=entity.aliases,
            area=area,
            device_class=entity.device_class,
            command=entity.command,
        )
