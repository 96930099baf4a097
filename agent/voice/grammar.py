"""A closed grammar for speech recognition: speech.yaml's patterns and the home's names.

The patterns' parse trees (agent/understand/template_lang.py) become JSGF; {device} and
{area} become the home's names, aliases and kinds of device, values become spoken numbers
and colours. Words the recogniser's dictionary lacks are reported and their paths left out.
(pocketsphinx's JSGF compiler grows faster than linearly with the grammar, so the spoken
patterns are a compact set, not all of the understanding templates.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

import yaml

from agent.colors import COLORS
from agent.home.inventory import Home
from agent.understand.normalize import normalize, spoken_number
from agent.understand.template_lang import Node, Slot, parse

# Templates spell words without apostrophes; dictionaries keep them.
SPOKEN = {
    "whats": "what's",
    "its": "it's",
    "dont": "don't",
    "cant": "can't",
    "im": "i'm",
    "id": "i'd",
    "thats": "that's",
    "isnt": "isn't",
    "arent": "aren't",
    "lets": "let's",
}
# What people call each kind of device, as the recogniser should hear it (kept short: every
# word here is a branch at every {device}).
SPOKEN_KINDS = {
    "light": ("light", "lights", "lamp", "lamps"),
    "switch": ("switch", "plug", "socket"),
    "fan": ("fan",),
    "cover": ("blinds", "curtains", "shades", "garage door", "gate"),
    "lock": ("lock", "locks", "door", "doors"),
    "climate": ("thermostat", "heating", "heat"),
    "media_player": ("tv", "speaker", "music"),
    "vacuum": ("vacuum",),
    "valve": ("sprinkler", "water"),
    "scene": ("scene",),
    "button": ("button",),
}


@dataclass
class Grammar:
    jsgf: str
    missing: list[str] = field(default_factory=list)  # words the dictionary lacks
    words: set[str] = field(default_factory=set)


class _Builder:
    """JSGF text from parse trees. A word the dictionary lacks makes its path impossible:
    that path is left out (None), and so is every alternative that needs it."""

    def __init__(self, vocabulary: set[str] | None) -> None:
        self.vocabulary = vocabulary
        self.missing: set[str] = set()
        self.used: set[str] = set()

    def word(self, w: str) -> str | None:
        w = SPOKEN.get(w, w)
        if self.vocabulary is not None and w not in self.vocabulary:
            self.missing.add(w)
            return None
        self.used.add(w)
        return w

    def phrase(self, text: str) -> str | None:
        words = [self.word(w) for w in text.split()]
        return None if None in words else " ".join(w for w in words if w)

    def alternatives(self, phrases: Iterable[str]) -> str:
        options = [p for p in (self.phrase(x) for x in sorted(set(phrases)) if x) if p]
        return "( " + " | ".join(options or ["<NULL>"]) + " )"

    def tree(self, items: list[Node]) -> str | None:
        parts = [self.item(i) for i in items]
        if None in parts:
            return None
        return " ".join(p for p in parts if p)

    def options(self, options: list[list[Node]]) -> list[str] | None:
        built = [self.tree(o) for o in options]
        usable = [b or "<NULL>" for b in built if b is not None]
        return usable or None

    def item(self, item: Node) -> str | None:
        if isinstance(item, str):
            return self.word(item)
        if isinstance(item, Slot):
            if item.options is None:
                return f"<{item.name}>"
            usable = self.options(item.options)
            return None if usable is None else "( " + " | ".join(usable) + " )"
        if isinstance(item, tuple):
            kind, options = item
            usable = self.options(options)
            if usable is None:
                return "" if kind == "opt" else None
            inner = " | ".join(usable)
            return f"[ {inner} ]" if kind == "opt" else f"( {inner} )"
        return self.tree(item)


def _number_words() -> list[str]:
    return [spoken_number(n) for n in range(101)]


def build(home: Home, *, wake: str | None = None, vocabulary: set[str] | None = None) -> Grammar:
    data = yaml.safe_load(resources.files("agent.voice").joinpath("speech.yaml").read_text("utf-8"))
    b = _Builder(vocabulary)
    names: set[str] = set()
    for device in home.devices:
        names.update(normalize(n) for n in (device.name, *device.aliases))
    present = {d.domain for d in home.devices}
    kinds = {w for domain, words in SPOKEN_KINDS.items() if domain in present for w in words}
    areas: set[str] = {"here"}
    for area in home.areas:
        areas.update(normalize(n) for n in (area.name, *area.aliases))
        if area.floor:
            areas.add(normalize(area.floor))
    bodies = []
    for sentence in data["commands"]:
        body = b.tree(parse(sentence, data.get("rules", {})))
        if body:
            bodies.append(body)
    lines = [
        "#JSGF V1.0;",
        "grammar voiceagent;",
        f"<name> = {b.alternatives(names)};",
        f"<kind> = {b.alternatives(kinds)};",
        f"<area> = {b.alternatives(areas)};",
        "<device> = [ <area> ] ( <name> | <kind> ) [ <area> ];",
        f"<number> = {b.alternatives(_number_words())} "
        f"[ point {b.alternatives(spoken_number(n) for n in range(10))} ];",
        "<percent> = <number> [ percent ];",
        "<temperature> = <number> [ degrees ];",
        "<degrees> = <number> degrees;",
        f"<color> = {b.alternatives(COLORS)};",
        f"<prefix> = {b.alternatives(normalize(p) for p in data.get('prefixes', []))};",
        f"<suffix> = {b.alternatives(normalize(s) for s in data.get('suffixes', []))};",
        "<body> = " + " | ".join(f"( {body} )" for body in bodies) + ";",
        "<command> = [ <prefix> ] <body> [ <suffix> ];",
    ]
    if wake:
        spoken_wake = b.phrase(normalize(wake))
        if spoken_wake is None:
            raise ValueError(f"the wake word {wake!r} has words the recogniser does not know")
        lines.append(f"<wake> = {spoken_wake};")
        lines.append("public <utterance> = [ <wake> ] <command> | <wake>;")
    else:
        lines.append("public <utterance> = <command>;")
    return Grammar("\n".join(lines) + "\n", sorted(b.missing), b.used)
