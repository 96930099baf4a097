"""Several commands in one sentence: "turn on the porch light and turn off the hall light"
are two; "switch on the porch and garden lights" is one command for two devices. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

_JOIN = re.compile(r" (?:and then|and also|and|then|also|plus|as well as) ")
# A part that starts like a command is a command of its own.
_VERB = re.compile(
    r"^(?:please )?(?:turn|switch|put|set|make|open|close|shut|lock|unlock|dim|brighten|"
    r"raise|lower|pause|play|resume|stop|start|run|activate|deactivate|enable|disable|kill|"
    r"skip|mute|unmute|increase|decrease|lift|draw|pull|roll|bring|change|flip|flick|power|"
    r"send|dock|vacuum|clean|water|give|let|cut|boost|crank|heat|cool|warm|adjust|move|"
    r"begin|launch|trigger|secure|bolt|unbolt|silence|speed|slow)\b"
)


@dataclass(frozen=True)
class Clause:
    text: str
    joined: bool = False  # a bare name joined to the clause before: the same request


def split(text: str) -> list[Clause]:
    """The sentence's clauses; one clause when it holds one command."""
    for m in _JOIN.finditer(text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if not left or not right:
            continue
        rest = split(right)
        if _VERB.match(right):
            return [Clause(left), *rest]
        if len(right.split(" ")) <= 4 and not _JOIN.search(right):
            return [Clause(left), Clause(right, joined=True)]
    return [Clause(text)]
