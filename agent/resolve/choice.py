"""The answer to "Which light, the lamp or the ceiling light?": which of the devices asked
about the next words pick. Pure.

"the kitchen one", "the lamp", "ceiling" pick by the words of a device's name, aliases and
area; "both", "all of them" pick every one; "the first one", "the last" by the order the
question named them; "cancel", "neither", "never mind" drop the question. Anything else is
no answer (the words are taken as a new command).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.home.inventory import Device, spoken
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS, FILLERS

ALL = re.compile(
    r"^(both|all|all of them|both of them|each|each of them|every one|everything|"
    r"the lot|all \w+s|both \w+s|both of those|all of those)$"
)
CANCEL = re.compile(
    r"^(no|nope|cancel|neither|none|none of them|neither of them|never mind|nevermind|"
    r"forget it|nothing|stop|abort)$"
)
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
# words that say nothing about which device: "the one in the kitchen, please"
PADDING = frozenset(
    {"one", "1", "ones", "please", "i", "mean", "meant", "in", "on", "at", "of", "that", "this",
     "is", "it", "its", "oh", "sorry", "just", "only", "thanks", "thank", "you", "then",
     "with", "by", "from"}
) | frozenset(DETERMINERS) | FILLERS  # fmt: skip

Kind = Literal["some", "all", "cancel", "none"]


@dataclass(frozen=True)
class Picked:
    kind: Kind  # some: `devices`; all: every candidate; cancel: drop it; none: no answer
    devices: tuple[Device, ...] = ()


def _words(device: Device) -> set[str]:
    names = (device.name, *device.aliases, device.area or "")
    return {w for n in names for w in spoken(n).split(" ") if w}


def pick(answer: str, candidates: tuple[Device, ...]) -> Picked:
    said = normalize(answer).strip()
    if not said or not candidates:
        return Picked("none")
    if CANCEL.match(said):
        return Picked("cancel")
    if ALL.match(said):
        return Picked("all", candidates)
    words = [w for w in said.split(" ") if w and w not in PADDING]
    if len(words) == 1 and words[0] in ORDINALS:
        index = ORDINALS[words[0]]
        if index < len(candidates):
            return Picked("some", (candidates[index],))
        return Picked("none")
    if not words:
        return Picked("none")
    # the devices whose words hold every word said ("kitchen" + the kind they share)
    found = tuple(d for d in candidates if set(words) <= _words(d))
    if not found:
        # a kind word said in the plural or singular the name isn't in ("lamps")
        bare = [w.removesuffix("s") for w in words]
        found = tuple(
            d for d in candidates if set(bare) <= {w.removesuffix("s") for w in _words(d)}
        )
    return Picked("some", found) if found else Picked("none")
