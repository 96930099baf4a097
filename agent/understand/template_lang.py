"""A small sentence-template language compiled to regular expressions.

    (a|b)    one of the alternatives      [a|b]   optional alternatives
    <rule>   a named expansion             {slot}  a slot: device, area, percent, number,
                                                    temperature, degrees or color
    {device:a|<rule>}  a device (or area) slot limited to the given alternatives

Words are matched on normalised text (see normalize.py) with every word followed by a single
space, so optional parts need no special spacing rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


class TemplateSyntaxError(ValueError):
    pass


NUMBER = r"\d+(?:\.\d+)?"
SLOT_PATTERNS: dict[str, str] = {
    "device": r"\S.*?",
    "area": r"\S.*?",
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
WILDCARD_SLOTS = frozenset({"device", "area"})


class _Compiler:
    def __init__(self, rules: Mapping[str, str], colors: list[str]) -> None:
        self.rules = rules
        self.colors = sorted(colors, key=len, reverse=True)
        self.groups: dict[str, str] = {}  # regex group name -> slot name
        self.depth = 0

    def compile(self, template: str) -> str:
        self.text = template
        self.pos = 0
        out = self._alternatives(end=None)
        if self.pos != len(self.text):
            raise TemplateSyntaxError(f"unexpected {self.text[self.pos]!r} in {template!r}")
        return out

    def _alternatives(self, end: str | None) -> str:
        options = [self._sequence(end)]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self._sequence(end))
        if len(options) == 1:
            return options[0]
        return "(?:" + "|".join(options) + ")"

    def _sequence(self, end: str | None) -> str:
        parts: list[str] = []
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
                inner = self._alternatives(close)
                if self.pos >= len(self.text) or self.text[self.pos] != close:
                    raise TemplateSyntaxError(f"missing {close!r} in {self.text!r}")
                self.pos += 1
                parts.append(f"(?:{inner})" + ("?" if ch == "[" else ""))
            elif ch == "<":
                name = self._until(">")
                if name not in self.rules:
                    raise TemplateSyntaxError(f"unknown rule <{name}> in {self.text!r}")
                if self.depth > 10:
                    raise TemplateSyntaxError(f"rule <{name}> expands too deep")
                saved = (self.text, self.pos)
                self.depth += 1
                sub = self.compile(self.rules[name])
                self.depth -= 1
                self.text, self.pos = saved
                parts.append(f"(?:{sub})")
            elif ch == "{":
                parts.append(self._slot(self._until("}")))
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in " |()[]<>{}":
                    self.pos += 1
                parts.append(re.escape(self.text[start : self.pos]) + " ")
        return "".join(parts)

    def _until(self, close: str) -> str:
        end = self.text.find(close, self.pos)
        if end < 0:
            raise TemplateSyntaxError(f"missing {close!r} in {self.text!r}")
        name = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return name

    def _slot(self, slot: str) -> str:
        if ":" in slot:  # {device:a|b}: a slot limited to these alternatives
            slot, body = slot.split(":", 1)
            if slot not in WILDCARD_SLOTS:
                raise TemplateSyntaxError(f"only device and area slots take alternatives: {slot}")
            saved = (self.text, self.pos)
            inner = self.compile(body)
            self.text, self.pos = saved
            group = f"{slot}_{len(self.groups)}"
            self.groups[group] = slot
            return f"(?P<{group}>(?:{inner}))"
        if slot == "color":
            pattern = "|".join(re.escape(c) for c in self.colors)
        elif slot in SLOT_PATTERNS:
            pattern = SLOT_PATTERNS[slot]
        else:
            raise TemplateSyntaxError(f"unknown slot {{{slot}}} in {self.text!r}")
        group = f"{slot}_{len(self.groups)}"
        self.groups[group] = slot
        return f"(?P<{group}>{pattern}) "


def compile_template(
    template: str, rules: Mapping[str, str], colors: list[str]
) -> tuple[re.Pattern[str], dict[str, str]]:
    """Return the regex (to fullmatch normalised text plus a trailing space) and its groups."""
    compiler = _Compiler(rules, colors)
    regex = compiler.compile(template)
    return re.compile(regex), compiler.groups
