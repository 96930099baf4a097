"""Several commands in one sentence: "turn on the porch light and turn off the hall light"
are two; "switch on the porch and garden lights" is one command for two devices. Pure, and
one pass from left to right: the cost grows with the sentence, never faster."""

from __future__ import annotations

import re
from dataclasses import dataclass

_JOIN = re.compile(r" (?:and then|and also|and|then|also|plus|as well as) ")
# A part that starts like a command is a command of its own.
VERB = re.compile(
    r"^(?:please )?(?:turn|switch|put|set|make|open|close|shut|lock|unlock|dim|brighten|"
    r"raise|lower|pause|play|resume|stop|start|run|activate|deactivate|enable|disable|kill|"
    r"skip|mute|unmute|increase|decrease|lift|draw|pull|roll|bring|change|flip|flick|power|"
    r"send|dock|vacuum|clean|water|give|let|cut|boost|crank|heat|cool|warm|adjust|move|"
    r"begin|launch|trigger|secure|bolt|unbolt|silence|speed|slow)\b"
)
# A command verb inside a list of commands with no "and" before it ("turn off the fan close
# the blinds and ...").
_INNERVERB = re.compile(
    r" (?=(?:turn|switch|close|open|lock|unlock|dim|activate|deactivate|speed up|slow down|"
    r"start|stop|pause|shut|raise|lower|toggle|flip) )"
)
MAX_CLAUSES = 8  # more than this is not a request anyone speaks: the pipeline does none
MAX_DEVICES = 1000  # several requests of one text act on at most this many devices together
NAME_WORDS = 4  # a part this short with no verb is another name for the command before it


@dataclass(frozen=True)
class Clause:
    text: str
    joined: bool = False  # a bare name joined to the clause before: the same request


def split(text: str) -> list[Clause]:
    """The sentence's clauses; one clause when it holds one command. However many there
    are (each costs a look-up in the home, so the caller bounds them: `MAX_CLAUSES`)."""
    parts = _JOIN.split(text)
    if len(parts) == 1:
        return _inner(Clause(text))
    clauses: list[Clause] = []
    for part in (p.strip() for p in parts):
        if not part:
            return [Clause(text)]
        if not clauses or VERB.match(part):
            clauses.append(Clause(part))
        elif len(part.split(" ")) <= NAME_WORDS:
            clauses.append(Clause(part, joined=True))
        else:  # "and" inside a longer phrase: part of the clause before
            last = clauses[-1]
            clauses[-1] = Clause(f"{last.text} and {part}", last.joined)
    if len(clauses) == 1:
        return [Clause(text)]
    return [c for clause in clauses for c in _inner(clause)]


def _inner(clause: Clause) -> list[Clause]:
    """'turn off the fan close the blinds': two commands with no 'and' between them."""
    parts = [p for p in _INNERVERB.split(clause.text) if p]
    commands = len(parts) > 1 and VERB.match(parts[0])
    if commands and all(len(p.split(" ")) >= 3 for p in parts):
        return [Clause(parts[0], clause.joined), *(Clause(p) for p in parts[1:])]
    return [clause]
