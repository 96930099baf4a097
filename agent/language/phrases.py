"""The agent's words in one language, from data (`agent/language/<language>.yaml`): what it
replies (`replies`) and how replies are read aloud (`spoken`, agent/speak/wording.py).
Another language is another file. Pure but for reading the file once."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml


@functools.cache
def language(name: str = "en") -> dict[str, Any]:
    text = resources.files("agent.language").joinpath(f"{name}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class Replies:
    """`say(key, **values)`: the reply phrase `key` with its {placeholders} filled."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.nouns: dict[str, str] = table["nouns"]
        self.verbs: dict[str, str] = table["verbs"]
        self.doing: dict[str, str] = table["doing"]

    def say(self, key: str, **values: object) -> str:
        return str(self.table[key]).format(**values)

    def __getitem__(self, key: str) -> str:
        return str(self.table[key])

    def state(self, word: str) -> str:
        """A state word of Home Assistant's ("on", "open", "locked") as said."""
        return str(self.table["states"].get(word, word))


@functools.cache
def replies(name: str = "en") -> Replies:
    return Replies(language(name)["replies"])
