"""A home holding every device and area our dev set speaks of, with look-alikes that bite, and
what each dev-set command should act on there, so the dev set is scored at action level.

The home: a device per name the dev set says (its domain from what people call it, else from
what the command does to it), placed in the area the command names; a ceiling light in every
area; a thermostat, a robot vacuum and a speaker for the whole house; and look-alikes: a
binary sensor called "Light" and a TV and a Sonos in the living room (where the agent
stands; the Sonos is its own player), a switch called "Fan", a sensor called "Temperature"
and a switch named after another area ("Office Heater" in the bedroom).

The expected devices follow plain rules written here, not the resolver's: a name is that
device; a kind word ("lights", "blinds") or no name is every device of the kind in the area
said, else where the agent stands, else the only one in the house. A case the rules can't
settle is left out of action-level scoring (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.home.inventory import Area, Device, Home
from agent.home.specs import HomeAssistantSpec
from agent.intents import INTENT_DOMAINS
from agent.resolve.vocab import (
    CLASS_GROUPS,
    USUAL_KIND,
    Kind,
    fits,
    kind_of,
)
from tests.devset import Case

SITE = "living room"
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
QUANTIFIED = ("all the ", "all of the ", "all ", "every ", "both ")
HOUSE = ("everything", "the house", "house")
# intent -> the kind meant when only a place is named ("light up the patio")
PLACE_KIND: dict[str, tuple[Kind, ...]] = {
    "turn_on": (("light", None),),
    "turn_off": (("light", None),),
    "open": (("cover", "shade"),),
    "close": (("cover", "shade"),),
    "set_position": (("cover", "shade"),),
}


def _spec(oid: str) -> HomeAssistantSpec:
    return HomeAssistantSpec(
        command_topic=f"dev/{oid}/set",
        brightness_command_topic=f"dev/{oid}/brightness",
        rgb_command_topic=f"dev/{oid}/rgb",
        percentage_command_topic=f"dev/{oid}/pct",
        set_position_topic=f"dev/{oid}/position",
        temperature_command_topic=f"dev/{oid}/temp",
    )


def _device(domain: str, name: str, area: str | None, cls: str | None = None) -> Device:
    oid = "_".join(name.split(" "))
    oid += f"_{'_'.join(area.split(' '))}" if area else ""
    command = None if domain in ("sensor", "binary_sensor") else _spec(oid)
    return Device(f"{domain}.{oid}", name, area, device_class=cls, safety="allow", command=command)


def _domain(name: str, intent: str) -> str:
    able = INTENT_DOMAINS.get(intent) or frozenset(PREFERRED)
    words = name.split(" ")
    for n in range(len(words)):
        found = kind_of(" ".join(words[n:]))
        for domain, _ in found[1] if found else ():
            if domain in able:
                return domain
    return next(d for d in PREFERRED if d in able)


def _many(case: Case) -> bool:
    """A question over many ("which lights are on"): the whole house."""
    words = f" {case.text.lower()} "
    if any(f" {w} " in words for w in ("all", "every", "each", "everywhere")):
        return True
    return case.intent == "get_state" and any(f" {w} " in words for w in ("which", "any"))


def _bare(name: str) -> str:
    for q in QUANTIFIED:
        name = name.removeprefix(q)
    return name.removeprefix("the ")


@dataclass(frozen=True)
class DevHome:
    home: Home
    site: str
    site_player: str

    def expected(self, case: Case) -> frozenset[str] | None:
        """The devices the command should act on (empty for out-of-domain); None when the
        plain rules can't say."""
        if case.intent == "none":
            return frozenset()
        said = str(case.slots.get("device", ""))
        name = _bare(said)
        area = str(case.slots["area"]) if "area" in case.slots else None
        if name in HOUSE:
            return None
        everywhere = area is None and (said.startswith(QUANTIFIED) or _many(case))
        kind = kind_of(name) if name else None
        if name and kind is None:
            named = [d for d in self.home.devices if d.name.lower() == name]
            named = [d for d in named if d.area in (area, None)] or named
            return frozenset(d.id for d in named) if len(named) == 1 else None
        kinds = kind[1] if kind else PLACE_KIND.get(case.intent) if area else None
        kinds = kinds or USUAL_KIND.get(case.intent)
        if kinds is None:
            return None
        generic = kinds == USUAL_KIND["set_volume"]  # "the music", "the sound", or nothing
        if generic and area is None and not name.endswith("s"):
            return frozenset({self.site_player})  # the player where the agent stands
        scope = None if everywhere else area or self.site
        return self._of_kind(kinds, case.intent, scope)

    def _of_kind(
        self, kinds: tuple[Kind, ...], intent: str, area: str | None
    ) -> frozenset[str] | None:
        able = INTENT_DOMAINS[intent]

        def of(scope: str | None) -> list[Device]:
            return [
                d
                for d in self.home.devices
                if fits(d.domain, d.device_class, kinds)
                and (d.domain in able or intent == "get_state")
                and (scope is None or d.area == scope)
            ]

        here = of(area) if area is not None else []
        if here or area is None:
            return frozenset(d.id for d in here or of(None)) or None
        everywhere = of(None)
        return frozenset(d.id for d in everywhere) if len(everywhere) == 1 else None


def build(cases: list[Case]) -> DevHome:
    areas = sorted({str(c.slots["area"]) for c in cases if "area" in c.slots} | {SITE, "garage"})
    tv = _device("media_player", "TV", SITE, "tv")
    sonos = _device("media_player", "Sonos", SITE, "speaker")
    lookalikes = (
        _device("binary_sensor", "Light", SITE, "light"),
        _device("switch", "Fan", "garage"),
        _device("fan", "ceiling fan", SITE),
        _device("sensor", "Temperature", "office", "temperature"),
        _device("switch", "Office Heater", "bedroom"),
        _device("cover", "living room blinds", SITE),
        tv,
        sonos,
    )
    devices = {d.id: d for d in lookalikes}
    taken = {d.name.lower() for d in lookalikes}  # one device per name
    for case in cases:
        name = _bare(str(case.slots.get("device", "")))
        if name and case.intent != "none" and (kind := kind_of(name)) is not None:
            # a kind said ("the tv in the den"): one of it there, named after the place
            area = str(case.slots["area"]) if "area" in case.slots else None
            domain, cls = next(
                ((d, c) for d, c in kind[1] if d in INTENT_DOMAINS[case.intent]), kind[1][0]
            )
            cls = None if cls in CLASS_GROUPS else cls
            there = [d for d in devices.values() if fits(d.domain, d.device_class, kind[1])]
            # named so that no name reading finds it: only the kind does
            if area is not None and not [d for d in there if d.area == area]:
                device = _device(domain, f"{area} unit {len(devices)}", area, cls)
                devices.setdefault(device.id, device)
            continue
        if not name or case.intent == "none" or name in HOUSE:
            continue
        if name in taken:
            continue
        area = str(case.slots["area"]) if "area" in case.slots else None
        domain = _domain(name, case.intent)
        cls = "garage" if "garage" in name and domain == "cover" else None
        device = _device(domain, name, area, cls)
        devices.setdefault(device.id, device)
        taken.add(name)
    for area in areas:  # what every room has
        light = _device("light", f"{area} ceiling light", area)
        devices.setdefault(light.id, light)
    for device in (
        _device("climate", "house thermostat", None),
        _device("vacuum", "robo", None),
    ):
        devices[device.id] = device
    home = Home(areas=tuple(Area(a) for a in areas), devices=tuple(devices.values()))
    return DevHome(home, SITE, sonos.id)


__all__ = ["DevHome", "build"]
