"""Reading our hand-written TSV command lists (tests/data/*.tsv) and scoring predictions.

A line: text <TAB> intent <TAB> slots as key=value;key=value (device, area, value, direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.language.normalize import normalize, to_number
from agent.messages import Intent, SlotValue

DATA = Path(__file__).resolve().parent / "data"
DEV = DATA / "dev.tsv"


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    slots: dict[str, SlotValue]


def load(path: Path = DEV) -> list[Case]:
    cases = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, intent, *rest = line.split("\t")
        slots: dict[str, SlotValue] = {}
        for pair in filter(None, (rest[0] if rest else "").split(";")):
            key, value = pair.split("=", 1)
            if key == "value":
                try:
                    slots[key] = to_number(value)
                except ValueError:
                    slots[key] = value
            elif key == "direction":
                slots[key] = value
            else:
                slots[key] = normalize(value)
        cases.append(Case(text, intent, slots))
    return cases


def slots_match(case: Case, intent: Intent) -> bool:
    got = {
        k: v
        for k, v in intent.slots.to_dict().items()
        if k in ("device", "area", "value", "direction")
    }
    if "device" in got:
        got["device"] = normalize(str(got["device"]))
    if "area" in got:
        got["area"] = normalize(str(got["area"]))
    return got == case.slots
