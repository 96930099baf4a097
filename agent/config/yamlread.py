"""Reading YAML with line numbers: every error names the file, the line and the key path.

Parsing produces PyYAML nodes (which keep their marks); `Section` walks a mapping node,
converts values on request and remembers which keys were read, so unknown keys become errors.
Problems are collected rather than raised one by one, so a user sees all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ConfigError

OCTAL = re.compile(r"[-+]?0[0-7_]+")  # YAML 1.1: 0123 is 83
SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")  # YAML 1.1: 1:30 is 90
EXPONENT = re.compile(r"[-+]?([0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE][-+]?[0-9]+")  # 1e3


class Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, node: yaml.Node | None, path: str, message: str) -> None:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        where = f" {path}:" if path else ""
        self.items.append(f"{self.file}{line}:{where} {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def parse_file(path: Path) -> tuple[yaml.Node | None, Problems, yaml.SafeLoader]:
    problems = Problems(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError([f"{path}{line}: invalid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {exc}"]) from None
    return node, problems, loader


def _as_written(node: yaml.ScalarNode, value: object) -> str:
    """A scalar (not null) for a string key, exactly as written. YAML 1.1 turns unquoted 0123
    into 83, on/yes/off/no into booleans, 1:30 into 90 and 2024-01-01 into a date; for a key
    whose value is a string those are the characters the user typed."""
    return value if isinstance(value, str) else node.value


def _number_surprise(node: yaml.Node, value: float) -> str | None:
    """The problem when YAML 1.1 reads an unquoted number otherwise than it looks, if it does."""
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return None
    text = node.value
    if OCTAL.fullmatch(text):
        return f"{text} is {value} in YAML (a leading 0 means octal); write it without the 0"
    if SEXAGESIMAL.fullmatch(text):
        return f"{text} is {value} in YAML (':' means base 60); write one decimal number"
    return None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}" if node.value != "" else "an empty value"


class Section:
    """A YAML mapping being read into typed values."""

    def __init__(
        self, node: yaml.Node, path: str, problems: Problems, loader: yaml.SafeLoader
    ) -> None:
        self.node = node
        self.path = path
        self.problems = problems
        self.loader = loader
        self.keys: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        self.asked: set[str] = set()
        if not isinstance(node, yaml.MappingNode):
            problems.add(node, path, f"expected a mapping, got {_kind(node)}")
            return
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                problems.add(key_node, path, "keys must be plain strings")
                continue
            if key in self.keys:
                problems.add(key_node, self._sub(key), "duplicate key")
                continue
            self.keys[key] = (key_node, value_node)

    # -- helpers -----------------------------------------------------------------------------
    def _sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, message: str) -> None:
        if key is not None and key in self.keys:
            self.problems.add(self.keys[key][1], self._sub(key), message)
        else:
            self.problems.add(self.node, self._sub(key) if key else self.path, message)

    def has(self, key: str) -> bool:
        return key in self.keys

    def _value(self, key: str) -> tuple[yaml.Node, Any] | None:
        self.asked.add(key)
        if key not in self.keys:
            return None
        node = self.keys[key][1]
        if isinstance(node, yaml.ScalarNode):
            return node, self.loader.construct_object(node)
        return node, node

    def _missing(self, key: str) -> None:
        self.problems.add(self.node, self._sub(key), "required key is missing")

    # -- typed getters -------------------------------------------------------------------------
    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        got = self._value(key)
        if got is None or got[1] is None:
            if required:
                self._missing(key)
            return default
        node, value = got
        if not isinstance(node, yaml.ScalarNode):
            self.problems.add(node, self._sub(key), f"expected a string, got {_kind(node)}")
            return default
        written = _as_written(node, value)
        if not written.strip() and required:
            self.problems.add(node, self._sub(key), "must not be empty")
            return default
        return written

    def req_text(self, key: str) -> str:
        return self.text(key, required=True) or ""

    def integer(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        got = self._value(key)
        if got is None or got[1] is None:
            return default
        node, value = got
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(node, self._sub(key), f"expected an integer, got {_kind(node)}")
            return default
        surprise = _number_surprise(node, value)
        if surprise is not None:
            self.problems.add(node, self._sub(key), surprise)
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.problems.add(
                node,
                self._sub(key),
                f"expected an integer from {minimum} to {maximum}, got {value}",
            )
            return default
        return value

    def number(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        got = self._value(key)
        if got is None or got[1] is None:
            return default
        node, value = got
        plain = isinstance(node, yaml.ScalarNode) and node.style is None
        if isinstance(value, str) and plain and EXPONENT.fullmatch(value):
            value = float(value.replace("_", ""))  # YAML 1.1 wants 1.0e+3; 1e3 means the same
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(node, self._sub(key), f"expected a number, got {_kind(node)}")
            return default
        surprise = _number_surprise(node, value)
        if surprise is not None:
            self.problems.add(node, self._sub(key), surprise)
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.problems.add(
                node, self._sub(key), f"expected a number from {minimum} to {maximum}, got {value}"
            )
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        got = self._value(key)
        if got is None or got[1] is None:
            return default
        node, value = got
        if not isinstance(value, bool):
            self.problems.add(node, self._sub(key), f"expected true or false, got {_kind(node)}")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in choices:
            self.error(key, f"expected one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        got = self._value(key)
        if got is None or got[1] is None:
            return ()
        node = got[0]
        if isinstance(node, yaml.ScalarNode):
            return (_as_written(node, got[1]),)
        if not isinstance(node, yaml.SequenceNode):
            self.problems.add(
                node, self._sub(key), f"expected a list of strings, got {_kind(node)}"
            )
            return ()
        out: list[str] = []
        for i, item in enumerate(node.value):
            value = (
                self.loader.construct_object(item) if isinstance(item, yaml.ScalarNode) else None
            )
            if value is not None:
                value = _as_written(item, value)
            if not isinstance(value, str) or not value.strip():
                self.problems.add(
                    item, f"{self._sub(key)}[{i}]", f"expected a string, got {_kind(item)}"
                )
                continue
            out.append(value)
        return tuple(out)

    def section(self, key: str) -> Section | None:
        got = self._value(key)
        if got is None or got[1] is None:
            return None
        return Section(got[0], self._sub(key), self.problems, self.loader)

    def sections(self, key: str) -> Iterator[Section]:
        got = self._value(key)
        if got is None or got[1] is None:
            return
        node = got[0]
        if not isinstance(node, yaml.SequenceNode):
            self.problems.add(node, self._sub(key), f"expected a list, got {_kind(node)}")
            return
        for i, item in enumerate(node.value):
            yield Section(item, f"{self._sub(key)}[{i}]", self.problems, self.loader)

    def finish(self) -> None:
        """Report keys that were never read: typos must not pass silently."""
        for key, (key_node, _) in self.keys.items():
            if key in self.asked:
                continue
            close = difflib.get_close_matches(key, sorted(self.asked), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problems.add(key_node, self._sub(key), f"unknown key{hint}")
