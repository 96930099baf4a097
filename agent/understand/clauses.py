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


# A command verb inside a list of commands with no "and" before it ("turn off the fan close
# the blinds and ...").
_INNER_VERB = re.compile(
    r" (?=(?:turn|switch|close|open|lock|unlock|dim|activate|deactivate|speed up|slow down|"
    r"start|stop|pause|shut|raise|lower|toggle|flip) )"
)


def split(text: str) -> list[Clause]:
    """The sentence's clauses; one clause when it holds one command."""
    out: list[Clause] = []
    for clause in _split_joined(text):
        parts = [p for p in _INNER_VERB.split(clause.text) if p]
        commands = len(parts) > 1 and _VERB.match(parts[0])
        if commands and all(len(p.split(" ")) >= 3 for p in parts):
            out.extend([Clause(parts[0], clause.joined), *(Clause(p) for p in parts[1:])])
        else:
            out.append(clause)
    return out


def _split_joined(text: str) -> list[Clause]:
    for m in _JOIN.finditer(text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if not left or not right:
            continue
        rest = _split_joined(right)
        if _VERB.match(right):
            return [Clause(left), *rest]
        if len(right.split(" ")) <= 4 and not _JOIN.search(right):
            return [Clause(left), Clause(right, joined=True)]
    return [Clause(text)]
