"""A small sentence-template language: one parser, two uses.

    (a|b)    one of the alternatives      [a|b]   optional alternatives
    <rule>   a named expansion             {slot}  a slot: device, area, percent, number,
                                                    temperature, degrees or color
    {device:a|<rule>}  a device (or area) slot limited to the given alternatives

`compile_template` turns a template into a regular expression for the template tier; the
training recipe samples sentences from the same parse tree (agent/train/sampler.py). Words
are matched on normalised text (see normalize.py) with every word followed by a single
space, so optional parts need no special spacing rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


class TemplateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    name: str
    options: list[list[Node]] | None = field(default=None, compare=False)


# A parsed template is a sequence; an item is a word, a slot, or ("alt"|"opt", options).
Node = list["Node"] | tuple[str, list[list["Node"]]] | str | Slot

NUMBER = r"\d+(?:\.\d+)?"
# A free-text name never holds these words: "could the reading lamp come on" has no device
# called "could the reading lamp come", and "turn it up" names none.
NEVER_IN_NAME = (
    "could should would can will need needs has have had been is are was were it its and but "
    "so because please me you we i im if whether again any open closed next previous behind near "
    "beside while when then than also too very really just"
)
# ... and these only as its last word ("the switch", but not "switch the lamp").
NOT_BEFORE_END = (
    "on off in at to into for from with by up down a an drop take bring make put set turn "
    "switch get give let start stop keep go come leave check tell show paint bump crank knock "
    "raise lower dim increase decrease brightness volume level want like"
)


# Those words get a marker character in front (in the text and in the templates' own words),
# so a name is simply a run of words without the marker.
NEVER_MARK = "\x01"
INNER_MARK = "\x02"
_MARKS = {w: NEVER_MARK for w in NEVER_IN_NAME.split()} | {
    w: INNER_MARK for w in NOT_BEFORE_END.split()
}
NAME = rf"(?:[^\s{NEVER_MARK}{INNER_MARK}]\S* ){{0,5}}?[^\s{NEVER_MARK}]\S*"


def mark(text: str) -> str:
    """Normalised text with the marker before each word a name may not hold."""
    return " ".join(_MARKS.get(w, "") + w for w in text.split(" "))


def unmark(text: str) -> str:
    return text.replace(NEVER_MARK, "").replace(INNER_MARK, "")


SLOT_PATTERNS: dict[str, str] = {
    "device": NAME,
    "media": NAME,
    "area": NAME,
    "number": NUMBER,
    "percent": NUMBER + r"(?: percent| per cent)?",
    "temperature": NUMBER + r"(?: degrees?)?(?: celsius| centigrade| fahrenheit| c| f)?",
    "degrees": NUMBER
    + r" degrees?(?: celsius| centigrade| fahrenheit| c| f)?"
    + "|"
    + NUMBER
    + r" (?:celsius|centigrade|fahrenheit)",
}
# Slots whose text is free (names as heard); the rest are values.
WILDCARD_SLOTS = frozenset({"device", "area", "media"})
MAX_DEPTH = 10


class _Parser:
    def __init__(self, text: str, rules: Mapping[str, str], depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise TemplateSyntaxError(f"rules expand too deep in {text!r}")
        self.text = text
        self.rules = rules
        self.depth = depth
        self.pos = 0

    def parse(self) -> list[Node]:
        options = self.alternatives(None)
        if self.pos != len(self.text):
            raise TemplateSyntaxError(f"unexpected {self.text[self.pos]!r} in {self.text!r}")
        return [("alt", options)] if len(options) > 1 else options[0]

    def alternatives(self, end: str | None) -> list[list[Node]]:
        options = [self._sequence(end)]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self._sequence(end))
        return options

    def _sequence(self, end: str | None) -> list[Node]:
        items: list[Node] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == " ":
                self.pos += 1
            elif ch == "|" or ch == end:
                break
            elif ch in ")]":
                raise TemplateSyntaxError(f"unbalanced {ch!r} in {self.text!r}")
            elif ch in "([":
                close = ")" if ch == "(" else "]"
                self.pos += 1
                options = self.alternatives(close)
                if self.pos >= len(self.text) or self.text[self.pos] != close:
                    raise TemplateSyntaxError(f"missing {close!r} in {self.text!r}")
                self.pos += 1
                items.append(("alt" if ch == "(" else "opt", options))
            elif ch == "<":
                name = self._until(">")
                if name not in self.rules:
                    raise TemplateSyntaxError(f"unknown rule <{name}> in {self.text!r}")
                rule = _Parser(self.rules[name], self.rules, self.depth + 1)
                items.append(("alt", rule.alternatives(None)))
            elif ch == "{":
                items.append(self._slot(self._until("}")))
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in " |()[]<>{}":
                    self.pos += 1
                items.append(self.text[start : self.pos])
        return items

    def _until(self, close: str) -> str:
        end = self.text.find(close, self.pos)
        if end < 0:
            raise TemplateSyntaxError(f"missing {close!r} in {self.text!r}")
        name = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return name

    def _slot(self, body: str) -> Slot:
        if ":" not in body:
            return Slot(body)
        name, alternatives = body.split(":", 1)
        if name not in WILDCARD_SLOTS:
            raise TemplateSyntaxError(f"only device and area slots take alternatives: {name}")
        return Slot(name, _Parser(alternatives, self.rules, self.depth + 1).alternatives(None))


def parse(template: str, rules: Mapping[str, str]) -> list[Node]:
    return _Parser(template, rules).parse()


class _Compiler:
    def __init__(self, colors: list[str]) -> None:
        self.colors = sorted(colors, key=len, reverse=True)
        self.groups: dict[str, str] = {}  # regex group name -> slot name
        self.constrained: set[str] = set()

    def sequence(self, items: list[Node]) -> str:
        return "".join(self.item(item) for item in items)

    def options(self, options: list[list[Node]]) -> str:
        if len(options) == 1:
            return self.sequence(options[0])
        return "(?:" + "|".join(self.sequence(o) for o in options) + ")"

    def item(self, item: Node) -> str:
        if isinstance(item, str):
            return re.escape(_MARKS.get(item, "") + item) + " "
        if isinstance(item, Slot):
            return self.slot(item)
        if isinstance(item, tuple):
            kind, options = item
            return f"(?:{self.options(options)})" + ("?" if kind == "opt" else "")
        return self.sequence(item)

    def slot(self, slot: Slot) -> str:
        group = f"{slot.name}_{len(self.groups)}"
        self.groups[group] = slot.name
        if slot.options is not None:
            self.constrained.add(group)
            return f"(?P<{group}>(?:{self.options(slot.options)}))"
        if slot.name == "color":
            pattern = "|".join(re.escape(c) for c in self.colors)
        elif slot.name in SLOT_PATTERNS:
            pattern = SLOT_PATTERNS[slot.name]
        else:
            raise TemplateSyntaxError(f"unknown slot {{{slot.name}}}")
        return f"(?P<{group}>{pattern}) "


@dataclass(frozen=True)
class Compiled:
    pattern: re.Pattern[str]
    groups: dict[str, str]  # regex group -> slot name
    constrained: frozenset[str]  # groups limited to listed alternatives


def compile_template(template: str, rules: Mapping[str, str], colors: list[str]) -> Compiled:
    """The regex to fullmatch normalised text plus a trailing space, and its slot groups."""
    compiler = _Compiler(colors)
    regex = compiler.sequence(parse(template, rules))
    return Compiled(re.compile(regex), compiler.groups, frozenset(compiler.constrained))
