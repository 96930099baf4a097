"""A closed grammar for speech recognition: speech.yaml's patterns and the home's names.

The patterns' parse trees (agent/language/template_lang.py) become JSGF; {area} becomes
the home's areas and floors, values become spoken numbers and colours, and {device} the
names, aliases and kinds of only those devices that can do what the sentence says (its
`can`): a lock can be unlocked, a light without a colour can't be made blue. Words the
recogniser's dictionary lacks are reported and their paths left out.
(pocketsphinx's JSGF compiler grows faster than linearly with the grammar, so the spoken
patterns are a compact set, not all of the understanding templates.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.colors import COLORS
from agent.errors import AgentError
from agent.home.inventory import Device, Home
from agent.intents import INTENT_DOMAINS, IntentName, as_intent
from agent.language.normalize import normalize, spoken_number
from agent.language.template_lang import Node, Slot, parse
from agent.voice.recognition import UnknownWakeWord

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


# Intents a device does for a verb of another ("turn on the sprinkler", "start the movie
# scene"), as people say them; others of the resolver's (opening a lock) are not offered.
SPOKEN_ADAPT = frozenset(
    {
        ("turn_on", "scene"),
        ("turn_on", "vacuum"),
        ("turn_off", "vacuum"),
        ("turn_on", "valve"),
        ("turn_off", "valve"),
        ("stop", "media_player"),
        ("stop", "vacuum"),
        ("set_brightness", "fan"),
    }
)
# A value to try a setting with: whether the device's messages can carry it at all.
TRY_VALUE: dict[str, int | str] = {
    "set_brightness": 50,
    "set_color": "red",
    "set_temperature": 21,
    "set_position": 50,
    "set_volume": 30,
}


def spelled(word: str, vocabulary: set[str] | None) -> str:
    """`word` (normalised: no apostrophes) as the recogniser's dictionary spells it: "whats"
    is "what's", and a possessive it lacks ("jennifers") may be there as "jennifer's"."""
    word = SPOKEN.get(word, word)
    if vocabulary is None or word in vocabulary or not word.endswith("s"):
        return word
    possessive = f"{word[:-1]}'s"
    return possessive if possessive in vocabulary else word


def able(device: Device, intent: IntentName) -> bool:
    """Whether `device` can do `intent` as a sentence of the grammar would ask it."""
    if device.domain not in INTENT_DOMAINS[intent] and (intent, device.domain) not in SPOKEN_ADAPT:
        return False
    if intent in TRY_VALUE and device.domain in INTENT_DOMAINS[intent]:
        try:
            actions_for(device, Command(intent, TRY_VALUE[intent]))
        except AgentError:
            return False
    return True


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
        self.slots: dict[str, str] = {}  # slot name -> the rule it stands for, per sentence

    def word(self, w: str) -> str | None:
        w = spelled(w, self.vocabulary)
        if self.vocabulary is not None and w not in self.vocabulary:
            self.missing.add(w)
            return None
        self.used.add(w)
        return w

    def phrase(self, text: str) -> str | None:
        """Words as spoken: "lamp 2" is "lamp two"."""
        said = [spoken_number(int(w)) if w.isdecimal() and len(w) < 4 else w for w in text.split()]
        words = [self.word(w) for w in " ".join(said).split()]
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
                return f"<{self.slots.get(item.name, item.name)}>"
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


def _device_rule(b: _Builder, rule: str, devices: list[Device], home: Home) -> list[str]:
    """<rule>: one of these devices by name or by a kind of them, the kind placed or not: an
    area (or floor) that holds such a device before it ("kitchen lights"; "garage door" only
    where a garage holds a door of this sentence's kind). "in the kitchen" after it is the
    sentence's."""
    areas = {normalize(a.name): a for a in home.areas}
    plain: set[str] = set()
    placed: set[str] = set()
    for device in devices:
        kinds = set(SPOKEN_KINDS.get(device.domain, ()))
        plain |= kinds | {normalize(n) for n in (device.name, *device.aliases)}
        area = areas.get(normalize(device.area or ""))
        if area is not None:
            wheres = {normalize(n) for n in (area.name, *area.aliases, area.floor or "") if n}
            placed |= {f"{where} {kind}" for where in wheres for kind in kinds}
    return [
        f"<{rule}> = {b.alternatives(plain | placed)};",
    ]


def _number_words() -> list[str]:
    return [spoken_number(n) for n in range(101)]


def patterns() -> dict[str, Any]:
    """speech.yaml: the spoken commands' patterns, rules, prefixes and suffixes."""
    text = resources.files("agent.voice").joinpath("speech.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def build(home: Home, *, wake: str | None = None, vocabulary: set[str] | None = None) -> Grammar:
    data = patterns()
    b = _Builder(vocabulary)
    areas: set[str] = set()  # "in here" is the sentences' own
    for area in home.areas:
        areas.update(normalize(n) for n in (area.name, *area.aliases))
        if area.floor:
            areas.add(normalize(area.floor))
    bodies = []
    devices: dict[tuple[IntentName, ...], str] = {}  # a sentence's intents -> its device rule
    for entry in data["commands"]:
        sentence, can = (entry, ()) if isinstance(entry, str) else (entry["say"], entry["can"])
        intents = tuple(sorted(as_intent(name) for name in can))  # a typo: ValueError
        if intents and "{device}" in sentence:
            b.slots = {"device": devices.setdefault(intents, f"device{len(devices)}")}
        body = b.tree(parse(sentence, data.get("rules", {})))
        b.slots = {}
        if body:
            bodies.append(body)
    answers = []  # to the agent's questions: no command, and never after the wake phrase
    for answer in data.get("answers", []):
        body = b.tree(parse(answer, data.get("rules", {})))
        if body:
            answers.append(body)
    lines = [
        "#JSGF V1.0;",
        "grammar voiceagent;",
        f"<area> = {b.alternatives(areas)};",
    ]
    for intents, rule in devices.items():
        able_ones = [d for d in home.devices if any(able(d, i) for i in intents)]
        lines += _device_rule(b, rule, able_ones, home)
    lines += [
        f"<number> = {b.alternatives(_number_words())} "
        f"[ {b.word('point')} {b.alternatives(spoken_number(n) for n in range(10))} ];",
        f"<percent> = <number> [ {b.word('percent')} ];",
        f"<temperature> = <number> [ {b.word('degrees')} ];",
        f"<degrees> = <number> {b.word('degrees')};",
        f"<color> = {b.alternatives(COLORS)};",
        f"<prefix> = {b.alternatives(normalize(p) for p in data.get('prefixes', []))};",
        f"<suffix> = {b.alternatives(normalize(s) for s in data.get('suffixes', []))};",
        "<body> = " + " | ".join(f"( {body} )" for body in bodies) + ";",
        "<command> = [ <prefix> ] <body> [ <suffix> ];",
    ]
    utterance = "<command>"
    if answers:
        lines.append("<answer> = " + " | ".join(f"( {body} )" for body in answers) + ";")
        utterance = "<command> | <answer>"

    if wake:
        spoken_wake = b.phrase(normalize(wake))
        if spoken_wake is None:
            raise UnknownWakeWord(f"the wake word {wake!r} has words the recogniser does not know")
        lines.append(f"<wake> = {spoken_wake};")
        lines.append(f"public <utterance> = [ <wake> ] <command> | <wake> | {utterance};")
    else:
        lines.append(f"public <utterance> = {utterance};")
    return Grammar("\n".join(lines) + "\n", sorted(b.missing), b.used)
