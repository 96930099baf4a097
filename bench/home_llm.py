"""The home-llm piles (github.com/acon96/home-llm, MIT) as evaluation cases with homes.

A second author's commands, scored at action level: every case carries the home it runs in
and the (intent, device ids) it must produce. Pure: the only I/O is reading the CSVs.

    cases = load(Path("../shared/corpora/home-llm"), style="lookalike")

Homes come in two styles: "tidy" (the targets and ~5 other devices) and "lookalike" (the
targets, ~30 others and fixed look-alikes: a binary sensor "Light", a switch "Fan", a sensor
"Temperature", two media players in one area, a device named after another area, a door
sensor named like a lock). No other device may make the expected answer ambiguous (see
`_conflicts`). Everything is seeded, so runs repeat exactly.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from agent.home.inventory import Area, Device, Home
from agent.home.specs import CommandSpec, HomeAssistantSpec, TemplateCommand, TemplateSpec
from agent.intents import INTENT_DOMAINS

STYLES = ("tidy", "lookalike")
SOURCES = ("specific", "templated", "status", "multi", "ood")
# corpus service (its own device type) -> our intent; None: left out, counted as skipped
SERVICES: dict[str, str | None] = {
    "turn_on": "turn_on",
    "turn_off": "turn_off",
    "lock": "lock",
    "unlock": "unlock",
    "open_cover": "open",
    "close_cover": "close",
    "increase_speed": "set_brightness",
    "decrease_speed": "set_brightness",
    "volume_up": "set_volume",
    "volume_down": "set_volume",
    "volume_mute": "set_volume",
    "media_play": "media_play",
    "media_pause": "media_pause",
    "media_stop": "media_pause",
    "media_next_track": "media_next",
    "media_previous_track": "media_previous",
    "start": "vacuum_start",
    "stop": "vacuum_dock",
    "pause": "vacuum_dock",
    "return_to_base": "vacuum_dock",
    "set_temperature": "set_temperature",
    "toggle": None,
    "stop_cover": None,
    "set_humidity": None,
    "set_fan_mode": None,
    "set_hvac_mode": None,
}
OOD_TYPES = frozenset({"todo", "timer"})
# Specific rows whose wording contradicts their label ("Toggle the porch light" filed under
# light.turn_off, "dim the hallway lights" under switch.turn_on): skipped as mislabelled.
CONTRADICTS = re.compile(r"\b(toggle|dim|turn down|brighten|closed|nighttime mode)\b", re.I)
COLOURS = (
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "warm white",
    "cyan", "magenta", "teal", "lavender", "turquoise", "gold", "violet",
)  # fmt: skip
TODO_ITEMS = ("milk", "eggs", "call the plumber", "dog food", "pay the water bill", "batteries")


def _words(text: str) -> list[str]:
    return text.split("|") if "|" in text else text.split()


# Room words (longest first wins) -> floor. A device is put in the area its name or id names.
_DOWNSTAIRS = (
    "kitchen|kitchenette|living room|dining room|dining area|hallway|office|home office|den|"
    "pantry|study|study room|library|entryway|entrance hall|foyer|lounge|mudroom|mud room|"
    "laundry room|laundry area|sunroom|conservatory|playroom|game room|family room|tv room|gym|"
    "home gym|music room|utility room|powder room|corridor|stairway|staircase|man cave|"
    "morning room|cinema room|craft room|art studio|theater room|hobby room"
)
_UPSTAIRS = (
    "bedroom|master bedroom|guest room|guest bedroom|kids room|nursery|bathroom|guest bathroom|"
    "master bathroom|loft|attic|closet|walk in closet|master suite"
)
_OUTSIDE = (
    "garage|patio|porch|front porch|garden|driveway|deck|roof deck|shed|tool shed|balcony|"
    "backyard|front yard|back yard|terrace|veranda|walkway|greenhouse|pool area|poolside|"
    "boathouse|boat house|barn|workshop|carport|treehouse|rooftop deck"
)
FLOORS: dict[str, str] = {
    **dict.fromkeys(_words(_DOWNSTAIRS), "downstairs"),
    **dict.fromkeys(_words(_UPSTAIRS), "upstairs"),
    **dict.fromkeys(_words("basement|cellar|wine cellar|storage room"), "basement"),
    **dict.fromkeys(_words(_OUTSIDE), "outside"),
}
_DIGITS = re.compile(r"(?<=[a-z]{4})(?=\d+\b)")  # bedroom1 -> bedroom 1; r2d2 stays
_ROOMS = sorted(FLOORS, key=lambda r: -len(r.split()))
# What to append to a name derived from an id made only of room and qualifier words.
KIND_NAME = {
    "light": "Light", "switch": "Switch", "fan": "Fan", "blinds": "Blinds",
    "garage_door": "Garage Door", "lock": "Lock", "media_player": "Media Player",
    "vacuum": "Vacuum", "climate": "Thermostat",
}  # fmt: skip
KIND_WORDS = {
    kind: frozenset(_words(text))
    for kind, text in {
        "light": "light lights lamp lighting chandelier sconces lanterns floodlight worklight "
        "spots spotlights nightlight strip track dimmer",
        "switch": "switch lights light lighting lamp fan heater dimmer pump floodlight lanterns "
        "spots sconces system thermostat blinds nightlight ceiling",
        "fan": "fan fans",
        "blinds": "blinds",
        "garage_door": "garage door",
        "lock": "lock door gate",
        "media_player": "tv radio speaker speakers stereo player audio jukebox echo soundbar "
        "system media music intercom storyteller lullaby entertainment",
        "vacuum": "vacuum roomba robot",
    }.items()
}
# Words that name a kind of device, not a particular one (for refusals' distinctive words).
GENERIC = frozenset(
    _words(
        "the a an my light lights lamp lamps lighting fan fans lock door doors blinds blind "
        "switch vacuum player media speaker speakers tv television thermostat climate control "
        "system smart room area cover timer list tracker planner scheduler organizer reminder "
        "reminders countdown of and in on to for"
    )
)


def norm(text: str) -> str:
    """Lower case, apostrophes dropped, other punctuation to spaces."""
    text = re.sub(r"['\u2019`]", "", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def words(text: str) -> frozenset[str]:
    return frozenset(norm(text).split())


@dataclass(frozen=True)
class EvalCase:
    text: str
    source: str  # specific | templated | status | multi | ood
    service: str  # the corpus service, e.g. "media_player.volume_up"
    expected: tuple[tuple[str, frozenset[str]], ...]  # (intent, device ids); () for ood
    home: Home
    style: str = "tidy"
    index: int = 0


@dataclass(frozen=True)
class PileDevice:
    kind: str  # the corpus type: light, blinds, garage_door, media_player, ...
    device: Device


@dataclass(frozen=True)
class Spec:
    """A case before its home is built: the targets, and what else must stay out."""

    index: int
    text: str
    source: str
    service: str
    expected: tuple[tuple[str, tuple[Device, ...]], ...]
    unnamed: bool = False  # the command names no device ("set the temperature to 21")
    avoid: frozenset[str] = frozenset()  # ood: no device or area may use these words


# --- devices -------------------------------------------------------------------------------


def domain_of(kind: str) -> str:
    return "cover" if kind in ("blinds", "garage_door") else kind


def command_spec(device_id: str, domain: str) -> CommandSpec | None:
    topic = "bench/" + device_id.replace(".", "/")
    if domain == "light":
        return HomeAssistantSpec(
            command_topic=f"{topic}/set",
            brightness_command_topic=f"{topic}/brightness",
            rgb_command_topic=f"{topic}/rgb",
        )
    if domain == "fan":
        return HomeAssistantSpec(
            command_topic=f"{topic}/set", percentage_command_topic=f"{topic}/percentage"
        )
    if domain == "climate":
        return HomeAssistantSpec(
            temperature_command_topic=f"{topic}/temperature",
            mode_command_topic=f"{topic}/mode",
        )
    if domain == "cover":
        return HomeAssistantSpec(command_topic=f"{topic}/set", set_position_topic=f"{topic}/pos")
    if domain in ("switch", "lock", "vacuum"):
        return HomeAssistantSpec(command_topic=f"{topic}/set")
    if domain == "media_player":  # Home Assistant's MQTT integration has no media players
        payloads = {
            "turn_on": "ON", "turn_off": "OFF", "set_volume": "{direction}", "media_play": "play",
            "media_pause": "pause", "media_resume": "play", "media_next": "next",
            "media_previous": "previous",
        }  # fmt: skip
        return TemplateSpec({i: TemplateCommand(f"{topic}/{i}", p) for i, p in payloads.items()})
    return None


def area_of(*texts: str) -> str | None:
    for text in texts:
        spaced = norm(_DIGITS.sub(" ", text.replace("_", " "))).replace("livingroom", "living room")
        padded = f" {spaced} "
        for room in _ROOMS:
            for level in ("upstairs ", "downstairs ", ""):  # "Upstairs TV Room Light"
                if f" {level}{room} " in padded:
                    return f"{level}{room}".title()
    return None


def floor_of(area: str) -> str | None:
    level, _, rest = area.lower().partition(" ")
    return level if level in ("upstairs", "downstairs") and rest else FLOORS.get(area.lower())


def make_device(
    kind: str, object_id: str, name: str, aliases: tuple[str, ...] = (), area: str | None = None
) -> Device:
    domain = domain_of(kind)
    device_id = f"{domain}.{object_id.lower()}"
    cls = {"blinds": "blind", "garage_door": "garage"}.get(kind)
    return Device(
        device_id,
        name,
        area=area if area is not None else area_of(name, object_id),
        aliases=aliases,
        device_class=cls,
        command=command_spec(device_id, domain),
        safety="allow" if domain in ("lock", "cover") else None,
    )


def derived_name(kind: str, object_id: str) -> str:
    """sams_lamp -> "Sams Lamp"; kitchen (a fan) -> "Kitchen Fan"; bedroom1 -> "Bedroom 1
    Vacuum"; hal -> "Hal". The kind is added unless the id has a kind word or is a nickname."""
    parts = _DIGITS.sub(" ", object_id.replace("_", " ")).lower().split()
    name = " ".join(p.capitalize() for p in parts)
    short = len(parts) == 1 and parts[0] not in FLOORS and len(parts[0]) <= 4
    nickname = short and (kind == "vacuum" or any(c.isdigit() for c in parts[0]))
    if nickname or set(parts) & KIND_WORDS.get(kind, frozenset()):
        return name
    return f"{name} {KIND_NAME[kind]}"


def read_pile(corpus: Path) -> dict[str, PileDevice]:
    """Entity id (corpus spelling, e.g. blinds.kitchen) -> device; later names are aliases."""
    names: dict[str, list[str]] = defaultdict(list)
    for row in _rows(corpus / "pile_of_device_names.csv"):
        if norm(row["description"]) not in map(norm, names[row["device_name"]]):
            names[row["device_name"]].append(row["description"].strip())
    pile: dict[str, PileDevice] = {}
    for entity, (name, *aliases) in names.items():
        kind, object_id = entity.split(".", 1)
        if kind in OOD_TYPES:
            pile[entity] = PileDevice(kind, Device(entity, name))
            continue
        pile[entity] = PileDevice(kind, make_device(kind, object_id, name, tuple(aliases)))
    return pile


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: (v or "") for k, v in row.items() if k} for row in csv.DictReader(f)]


# --- parsing the piles into specs ----------------------------------------------------------


class _Parser:
    def __init__(self, corpus: Path, seed: int) -> None:
        self.corpus = corpus
        self.seed = seed
        self.pile = read_pile(corpus)
        self.by_kind: dict[str, list[PileDevice]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        for p in self.pile.values():  # one device per (kind, name): names stay unique
            if (p.kind, norm(p.device.name)) not in seen:
                seen.add((p.kind, norm(p.device.name)))
                self.by_kind[p.kind].append(p)
        self.durations = [r["name"].lower() for r in _rows(corpus / "pile_of_durations.csv")]
        self.specs: list[Spec] = []
        self.skipped: Counter[str] = Counter()

    def add(self, text: str, source: str, service: str, expected: list[tuple[str, Device]],
            unnamed: bool = False, avoid: Iterable[str] = ()) -> None:  # fmt: skip
        grouped: dict[str, list[Device]] = defaultdict(list)
        for intent, device in expected:
            grouped[intent].append(device)
        exp = tuple((i, tuple(ds)) for i, ds in grouped.items())
        spec = Spec(len(self.specs), text, source, service, exp, unnamed, frozenset(avoid))
        self.specs.append(spec)

    def pick(self, rng: random.Random, kind: str, taken: list[Device]) -> Device:
        """A pile device of this kind that neither shares a name with nor shadows `taken`."""
        pool = self.by_kind[kind]
        for _ in range(200):
            d = rng.choice(pool).device
            if not any(_clash(d, t) or _clash(t, d) for t in taken):
                return d
        raise ValueError(f"no distinct {kind} left")

    def specific(self) -> None:
        for row in _rows(self.corpus / "pile_of_specific_actions.csv"):
            kind, service = row["service_name"].split(".", 1)
            intent = SERVICES.get(service)
            if intent is None:
                self.skipped[f"specific:{row['service_name']}"] += 1
                continue
            if service in ("turn_on", "turn_off") and CONTRADICTS.search(row["phrase"]):
                self.skipped[f"specific:{row['service_name']} (wording contradicts label)"] += 1
                continue
            entity = f"{kind}.{row['device_name']}"
            found = self.pile.get(entity)
            if found is not None:
                device = found.device
            else:
                name = derived_name(kind, row["device_name"])
                device = make_device(kind, row["device_name"], name)
            self.add(row["phrase"], "specific", row["service_name"], [(intent, device)])

    def templated(self) -> None:
        for n, row in enumerate(_rows(self.corpus / "pile_of_templated_actions.csv")):
            kinds, services = row["device_type"].split("|"), row["service"].split("|")
            phrase = row["phrase"].lstrip('"')
            multi = len(kinds) > 1
            source = "multi" if multi else "templated"
            full = "|".join(f"{k}.{s}" for k, s in zip(kinds, services, strict=True))
            left_out = [f"{k}.{s}" for k, s in zip(kinds, services, strict=True)
                        if k not in OOD_TYPES and SERVICES.get(s) is None]  # fmt: skip
            copies = max(1, int(row.get("multiplier") or 1))
            if left_out:
                for ks in left_out:
                    self.skipped[f"{source}:{ks}"] += copies
                continue
            for copy in range(copies):
                rng = random.Random(f"{self.seed}:templated:{n}:{copy}")
                if kinds[0] in OOD_TYPES:
                    self._ood_fill(rng, kinds[0], phrase, f"{kinds[0]}.{services[0]}")
                    continue
                text, taken = phrase, list[Device]()
                expected: list[tuple[str, Device]] = []
                unnamed = "<device_name" not in phrase
                for i, (kind, service) in enumerate(zip(kinds, services, strict=True)):
                    device = self.pick(rng, kind, taken)
                    taken.append(device)
                    slot = f"<device_name{i + 1}>" if multi else "<device_name>"
                    text = text.replace(slot, device.name)
                    expected.append((self._intent(service, phrase), device))
                self.add(self._values(rng, text), source, full, expected, unnamed=unnamed)

    def _intent(self, service: str, phrase: str) -> str:
        if service == "turn_on" and "<brightness>" in phrase:
            return "set_brightness"
        if service == "turn_on" and "<color>" in phrase:
            return "set_color"
        return SERVICES[service] or "none"

    def _values(self, rng: random.Random, text: str) -> str:
        fills: dict[str, Callable[[], str]] = {
            "<brightness>": lambda: str(rng.randrange(5, 100, 5)),
            "<color>": lambda: rng.choice(COLOURS),
            "<temp_f>": lambda: str(rng.randint(62, 78)),
            "<temp_c>": lambda: str(rng.randint(17, 25)),
            "<duration>": lambda: rng.choice(self.durations),
            "<todo>": lambda: rng.choice(TODO_ITEMS),
        }
        for slot, fill in fills.items():
            while slot in text:
                text = text.replace(slot, fill(), 1)
        return text

    def _ood_fill(self, rng: random.Random, kind: str, phrase: str, service: str) -> None:
        device = rng.choice(self.by_kind[kind]).device
        text = self._values(rng, phrase.replace("<device_name>", device.name))
        self.add(text, "ood", service, [], avoid=_distinctive(device.name))

    def status(self) -> None:
        for n, row in enumerate(_rows(self.corpus / "pile_of_status_requests.csv")):
            kind = row["device_type"]
            service = f"{kind}.status:{row['state'].split(';')[0]}"
            rng = random.Random(f"{self.seed}:status:{n}")
            if kind in OOD_TYPES:
                self._ood_fill(rng, kind, row["phrase"], service)
                continue
            device = self.pick(rng, kind, [])
            text = row["phrase"].replace("<device_name>", device.name)
            self.add(text, "status", service, [("get_state", device)])

    def refusals(self) -> None:
        for row in _rows(self.corpus / "pile_of_refusals.csv"):
            if row["reason_type"] != "not_available":  # depends on state we don't model
                self.skipped[f"refusal:{row['reason_type']}"] += 1
                continue
            text = row["phrase"].replace("<device_name>", row["friendly_name"])
            avoid = _distinctive(row["friendly_name"]) | _distinctive(row["device_name"])
            kind = row["service_name"].split(".")[0]
            if kind in ("climate", "vacuum"):  # "the thermostat" would fit the only one there
                avoid |= {f"domain:{kind}"}
            self.add(text, "ood", f"refusal:{row['service_name']}", [], avoid=avoid)


def _distinctive(name: str) -> frozenset[str]:
    return frozenset(w for w in norm(name.replace("_", " ")).split() if w not in GENERIC)


def parse(corpus: Path, seed: int = 0) -> tuple[list[Spec], Counter[str]]:
    """Every usable row as a spec (targets, no home yet), and the skipped rows per service."""
    parser = _Parser(corpus, seed)
    parser.specific()
    parser.templated()
    parser.status()
    parser.refusals()
    return parser.specs, parser.skipped


# --- homes ---------------------------------------------------------------------------------


def can(device: Device, intent: str, target: Device) -> bool:
    """Could `device` plausibly be what a command with this intent meant instead of target?"""
    if intent == "get_state":
        return device.domain == target.domain
    return device.domain in INTENT_DOMAINS.get(intent, frozenset())


def _names(device: Device) -> set[str]:
    return {norm(device.name), *(norm(a) for a in device.aliases)}


def _clash(a: Device, b: Device) -> bool:
    """Two targets of one sentence that could be mistaken for each other."""
    same_area = a.area is not None and a.area == b.area and a.domain == b.domain
    return a.id == b.id or bool(_names(a) & _names(b)) or same_area or words(a.name) < words(b.name)


def _conflicts(d: Device, spec: Spec, home_devices: list[Device], *, lookalike: bool) -> bool:
    """True if adding `d` would make the expected answer ambiguous (or wrong, for ood)."""
    text_words = words(spec.text)
    if any(d.id == o.id or _names(d) & _names(o) for o in home_devices):
        return True
    if spec.source == "ood":
        own = words(d.name) | words(d.area or "")
        return (
            bool(own & spec.avoid)
            or f"domain:{d.domain}" in spec.avoid
            or (not lookalike and words(d.name) <= text_words)
        )
    for intent, targets in spec.expected:
        for t in targets:
            if not can(d, intent, t):
                continue
            if spec.unnamed or (t.area is not None and d.area == t.area):
                return True
            if not lookalike and (words(d.name) <= words(t.name) or words(d.name) <= text_words):
                return True
            # a look-alike may share only kind words ("Fan") with what the command names
            said = text_words | words(t.name) | words(t.area or "")
            if lookalike and (words(d.name) - GENERIC) & said:
                return True
            if d.area is not None and words(d.area) <= text_words:
                return True
    return False


# The fixed look-alikes; each slot takes the first variant that makes nothing ambiguous.
_Variant = tuple[tuple[str, str, str | None, str], ...]  # (id, name, device_class, area)...
LOOKALIKES: dict[str, tuple[_Variant, ...]] = {
    "light sensor": tuple(
        (("binary_sensor.light", "Light", "light", a),) for a in ("Hallway", "Office", "Garage")
    ),
    "fan switch": tuple(
        (("switch.fan", "Fan", None, a),) for a in ("Office", "Garage", "Hallway", "Bathroom")
    ),
    "temperature sensor": tuple(
        (("sensor.temperature", "Temperature", "temperature", a),)
        for a in ("Living Room", "Hallway", "Bedroom")
    ),
    "two media players": tuple(
        (
            (f"media_player.{norm(one).replace(' ', '_')}", one, None, a),
            (f"media_player.{norm(two).replace(' ', '_')}", two, None, a),
        )
        for one, two in (("Smart TV", "Soundbar"), ("Projector", "Turntable"))
        for a in ("Living Room", "Den", "Bedroom", "Guest Room")
    ),
    "named after another area": (
        (("media_player.kitchen_radio", "Kitchen Radio", None, "Living Room"),),
        (("vacuum.bedroom_vacuum", "Bedroom Vacuum", None, "Hallway"),),
        (("switch.office_heater", "Office Heater", None, "Bedroom"),),
        (("media_player.bathroom_speaker", "Bathroom Speaker", None, "Guest Room"),),
    ),
    "door sensor like a lock": tuple(
        (
            (f"lock.{n.lower()}_door", f"{n} Door", None, a),
            (f"binary_sensor.{n.lower()}_door", f"{n} Door Sensor", "door", a),
        )
        for n, a in (("Front", "Hallway"), ("Back", "Kitchen"), ("Patio", "Living Room"))
    ),
}
LOOKALIKE_AREAS = ("Kitchen", "Living Room", "Dining Room", "Hallway", "Office", "Den",
                   "Bedroom", "Guest Room", "Bathroom", "Garage", "Basement")  # fmt: skip


def _lookalike(entity: str, name: str, cls: str | None, area: str) -> Device:
    domain = entity.split(".")[0]
    return Device(entity, name, area=area, device_class=cls, command=command_spec(entity, domain))


def build_home(spec: Spec, style: str, pile: list[Device], seed: int = 0) -> Home:
    """Targets, then (look-alike style) the fixed look-alikes, then pile distractors."""
    rng = random.Random(f"{seed}:{style}:{spec.index}")
    devices = [t for _, ts in spec.expected for t in ts]
    devices = list(dict.fromkeys(devices))
    lookalike = style == "lookalike"
    if lookalike:
        for slot, variants in LOOKALIKES.items():
            for variant in variants:
                extra = [_lookalike(*v) for v in variant]
                if not any(_conflicts(d, spec, devices, lookalike=True) for d in extra):
                    devices.extend(extra)
                    break
            else:
                raise ValueError(f"case {spec.index}: no variant of {slot!r} fits {spec.text!r}")
    want = len(devices) + (30 if lookalike else 5)
    for d in rng.sample(pile, len(pile)):
        if len(devices) >= want:
            break
        if not _conflicts(d, spec, devices, lookalike=False):
            devices.append(d)
    rng.shuffle(devices)  # where the target sits in the list must not matter
    names = {d.area for d in devices if d.area} | (set(LOOKALIKE_AREAS) if lookalike else set())
    areas = tuple(Area(n, floor=floor_of(n)) for n in sorted(names))
    return Home(areas, tuple(devices))


def build_cases(specs: list[Spec], style: str, pile: list[Device], seed: int = 0) -> list[EvalCase]:
    cases = []
    for s in specs:
        expected = tuple((i, frozenset(d.id for d in ds)) for i, ds in s.expected)
        home = build_home(s, style, pile, seed)
        cases.append(EvalCase(s.text, s.source, s.service, expected, home, style, s.index))
    return cases


def distractor_pool(corpus: Path) -> list[Device]:
    return [p.device for p in read_pile(corpus).values() if p.kind not in OOD_TYPES]


def _round_robin(groups: list[list[Spec]]) -> list[Spec]:
    queues = [list(reversed(g)) for g in groups]
    out: list[Spec] = []
    while any(queues):
        out.extend(q.pop() for q in queues if q)
    return out


def _stratum(s: Spec) -> str:
    """The service, coarser where rows are one of a kind (multi) or state-level (status)."""
    if s.source == "multi":
        return ""
    return s.service.split(":")[0].split(".status")[0]


def sample(specs: list[Spec], n: int, seed: int = 0) -> list[Spec]:
    """A deterministic sample stratified by source, then by service within each source."""
    strata: dict[str, dict[str, list[Spec]]] = defaultdict(lambda: defaultdict(list))
    for s in specs:
        strata[s.source][_stratum(s)].append(s)
    per_source = []
    for source in SOURCES:
        groups = []
        for key in sorted(strata[source]):
            group = list(strata[source][key])
            random.Random(f"{seed}:{source}:{key}").shuffle(group)
            groups.append(group)
        per_source.append(_round_robin(groups))
    picked = _round_robin(per_source)[:n]
    return sorted(picked, key=lambda s: s.index)


def load(
    corpus_dir: Path, style: str = "tidy", *, n: int | None = None, seed: int = 0
) -> list[EvalCase]:
    """The cases with homes of one style (all of them, or a stratified sample of n)."""
    specs, _ = parse(corpus_dir, seed)
    if n is not None:
        specs = sample(specs, n, seed)
    return build_cases(specs, style, distractor_pool(corpus_dir), seed)


def lookalike_problems(home: Home) -> list[str]:
    """What a look-alike home lacks of the required look-alikes (empty: all there)."""
    ds = home.devices
    floors = {a.name: a.floor for a in home.areas}
    area_names = {norm(a.name) for a in home.areas}
    media_areas = Counter(d.area for d in ds if d.domain == "media_player" and d.area)
    locks = [norm(d.name) for d in ds if d.domain == "lock"]
    checks = {
        'binary_sensor "Light"': any(d.domain == "binary_sensor" and d.name == "Light" for d in ds),
        'switch "Fan" in an area': any(d.id == "switch.fan" and d.area for d in ds),
        'sensor "Temperature"': any(d.domain == "sensor" and d.name == "Temperature" for d in ds),
        "two media players in one area": any(n >= 2 for n in media_areas.values()),
        "areas with floors": len({f for f in floors.values() if f}) >= 2,
        "a device named after another area": any(
            d.area
            and any(r != norm(d.area) and f" {r} " in f" {norm(d.name)} " for r in area_names)
            for d in ds
        ),
        "a door sensor named like a lock": any(
            d.domain == "binary_sensor"
            and d.device_class == "door"
            and any(norm(d.name).startswith(lock.removesuffix(" lock")) for lock in locks)
            for d in ds
        ),
    }
    return [what for what, ok in checks.items() if not ok]
