"""First understanding tier: deterministic sentence templates (the data is templates.yaml).

Every template of every intent is tried; among the matches the one that leaves the fewest
characters to its free-text slots wins (the most specific), ties going to the earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from agent.colors import COLORS
from agent.errors import ConfigError
from agent.intents import INTENTS, IntentName, as_intent
from agent.language.normalize import normalize, to_number
from agent.language.template_lang import (
    WILDCARD_SLOTS,
    TemplateSyntaxError,
    compile_template,
    mark,
    unmark,
)
from agent.messages import Intent, Slots, SlotValue

# Prefix and suffix words are stripped before matching, repeatedly.
_VALUE_SLOTS = {"number", "percent", "temperature", "degrees"}
_FILLER = re.compile(r"um+|uh+|er+m?|hmm+")
_NUMBER_IN = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Template:
    intent: IntentName
    source: str
    pattern: re.Pattern[str]
    groups: dict[str, str]
    fixed: dict[str, SlotValue]
    constrained: frozenset[str] = frozenset()


class TemplateMatcher:
    def __init__(
        self, templates: list[Template], prefixes: re.Pattern[str], suffixes: re.Pattern[str]
    ):
        self.templates = templates
        self._prefixes = prefixes
        self._suffixes = suffixes

    @classmethod
    def load(cls, path: Path | None = None) -> TemplateMatcher:
        if path is None:
            text = resources.files("agent.understand").joinpath("templates.yaml").read_text("utf-8")
            name = "templates.yaml"
        else:
            text = path.read_text(encoding="utf-8")
            name = str(path)
        data = yaml.safe_load(text)
        return cls.from_data(data, name)

    @classmethod
    def from_data(cls, data: dict[str, Any], name: str = "templates") -> TemplateMatcher:
        rules: dict[str, str] = data.get("rules", {})
        colors = list(COLORS)
        templates: list[Template] = []
        for key, entries in data["intents"].items():
            if key not in INTENTS:
                raise ConfigError([f"{name}: unknown intent {key!r}"])
            intent = as_intent(key)
            for entry in entries:
                if isinstance(entry, str):
                    entry = {"sentences": [entry]}
                fixed = dict(entry.get("slots", {}))
                for sentence in entry["sentences"]:
                    try:
                        c = compile_template(sentence, rules, colors)
                    except TemplateSyntaxError as exc:
                        raise ConfigError([f"{name}: {intent}: {exc}"]) from None
                    templates.append(
                        Template(intent, sentence, c.pattern, c.groups, fixed, c.constrained)
                    )
        prefixes = _affix_pattern(data.get("prefixes", []), start=True)
        suffixes = _affix_pattern(data.get("suffixes", []), start=False)
        return cls(templates, prefixes, suffixes)

    def strip_affixes(self, text: str) -> str:
        previous = None
        while previous != text:
            previous = text
            text = self._prefixes.sub("", text, count=1)
            text = self._suffixes.sub("", text, count=1)
        return text

    def match(self, text: str) -> Intent | None:
        words = [w for w in normalize(text).split(" ") if w and not _FILLER.fullmatch(w)]
        core = self.strip_affixes(" ".join(words))
        if not core:
            return None
        subject = mark(core) + " "
        best: tuple[tuple[int, int, int], Template, re.Match[str]] | None = None
        for index, template in enumerate(self.templates):
            m = template.pattern.fullmatch(subject)
            if m is None:
                continue
            free = sum(
                len(m.group(g) or "")
                for g, slot in template.groups.items()
                if slot in WILDCARD_SLOTS and g not in template.constrained
            )
            named = sum(1 for g in template.constrained if m.group(g))
            key = (free, -named, index)
            if best is None or key < best[0]:
                best = (key, template, m)
        if best is None:
            return None
        _, template, m = best
        return Intent(template.intent, _slots(template, m), confidence=1.0, tier="template")


def _affix_pattern(words: list[str], *, start: bool) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!x)x")
    alts = "|".join(re.escape(normalize(w)) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"^(?:{alts}) " if start else rf" (?:{alts})$")


def _slots(template: Template, m: re.Match[str]) -> Slots:
    values: dict[str, SlotValue] = dict(template.fixed)
    for group, slot in template.groups.items():
        text = m.group(group)
        if text is None:
            continue
        text = unmark(text)
        if slot in WILDCARD_SLOTS:
            values[slot] = text.strip()
        elif slot in _VALUE_SLOTS:
            number = _NUMBER_IN.search(text)
            if number:
                values["value"] = to_number(number.group())
        else:  # color
            values["value"] = text
    value = values.get("value")
    return Slots(
        device=_str_or_none(values.get("device")),
        area=_str_or_none(values.get("area")),
        value=value,
        direction=_str_or_none(values.get("direction")),
        media=_str_or_none(values.get("media")),
    )


def _str_or_none(value: SlotValue | None) -> str | None:
    return None if value is None else str(value)
