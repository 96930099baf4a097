"""Random sentences from the template syntax of agent/understand/template_lang.py.

`(a|b)` picks one, `[a]` keeps it half the time, `<rule>` expands, `{slot}` becomes a
placeholder the generator fills from a vocabulary. The result is a list of segments, each a
piece of text with the slot it belongs to ("" for plain words).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    name: str


Node = list["Node"] | tuple[str, list[list["Node"]]] | str | Slot
# A parsed template: a sequence whose items are words, slots, or ("alt"/"opt", options).


class _Parser:
    def __init__(self, text: str, rules: Mapping[str, str]) -> None:
        self.text = text
        self.rules = rules
        self.pos = 0

    def parse(self) -> list[Node]:
        options = self._alternatives(None)
        return [("alt", options)] if len(options) > 1 else options[0]

    def _alternatives(self, end: str | None) -> list[list[Node]]:
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
            elif ch in "([":
                close = ")" if ch == "(" else "]"
                self.pos += 1
                options = self._alternatives(close)
                if self.pos >= len(self.text) or self.text[self.pos] != close:
                    raise ValueError(f"missing {close!r} in {self.text!r}")
                self.pos += 1
                items.append(("alt" if ch == "(" else "opt", options))
            elif ch == "<":
                end_at = self.text.index(">", self.pos)
                name = self.text[self.pos + 1 : end_at]
                self.pos = end_at + 1
                items.append(("alt", _Parser(self.rules[name], self.rules)._alternatives(None)))
            elif ch == "{":
                end_at = self.text.index("}", self.pos)
                items.append(Slot(self.text[self.pos + 1 : end_at]))
                self.pos = end_at + 1
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in " |()[]<>{}":
                    self.pos += 1
                items.append(self.text[start : self.pos])
        return items


def parse(template: str, rules: Mapping[str, str]) -> list[Node]:
    return _Parser(template, rules).parse()


def sample(tree: list[Node], rng: random.Random, p_optional: float = 0.5) -> list[str | Slot]:
    out: list[str | Slot] = []
    for item in tree:
        if isinstance(item, str | Slot):
            out.append(item)
        elif isinstance(item, tuple):
            kind, options = item
            if kind == "opt" and rng.random() >= p_optional:
                continue
            out.extend(sample(rng.choice(options), rng, p_optional))
        else:
            out.extend(sample(item, rng, p_optional))
    return out
