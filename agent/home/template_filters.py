"""The functions, filters and size checks of agent.home.templating: Home Assistant's
template filters as it defines them (`float`, `int`, `round`, `iif`, `is_defined`,
`to_json`...) and Jinja's own text filters, each made to measure what it builds first. Pure."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, ItemsView, KeysView, ValuesView
from typing import Any

import jinja2

MAX_SIZE = 128 * 1024  # characters any value made while rendering may print to
MAX_RANGE = 10_000  # items of range()
# A %-format field with a width or precision over three digits, or one taken from the
# arguments (`*`): what turns a short format into a huge string.
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:\d{4,}|\*|\d*\.(?:\d{4,}|\*))")


class TemplateError(ValueError):
    """A template that can't be used, or a render that failed; the message says why."""


_SENTINEL: Any = object()


def size(value: Any, limit: int = MAX_SIZE) -> int:
    """About how many characters `str(value)` would be, counting shared items each time
    they print; TemplateError past `limit` (the walk stops there, so it is cheap)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 32  # an Undefined, a range, a loop: they print short
        if total > limit:
            raise TemplateError(f"a value of more than {limit} characters")
    return total


def number_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


# --- filters and functions, as Home Assistant defines them --------------------------------


def _no_default(name: str, value: Any) -> TemplateError:
    return TemplateError(f"{name} got invalid input {str(value)[:40]!r} and no default")


def _float(value: Any, default: Any = _SENTINEL) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        if default is _SENTINEL:
            raise _no_default("float", value) from None
        return default


def _int(value: Any, default: Any = _SENTINEL, base: int = 10) -> Any:
    if isinstance(value, str) and len(value) > 100:
        raise _no_default("int", value)
    result = jinja2.filters.do_int(value, default=_SENTINEL, base=base)
    if result is _SENTINEL:
        if default is _SENTINEL:
            raise _no_default("int", value)
        return default
    return result


def _round(value: Any, precision: int = 0, method: str = "common", default: Any = _SENTINEL) -> Any:
    try:
        number = float(value)
        digits = max(-15, min(15, int(precision)))
        if method == "ceil":
            number = math.ceil(number * 10**digits) / 10**digits
        elif method == "floor":
            number = math.floor(number * 10**digits) / 10**digits
        elif method == "half":
            number = round(number * 2) / 2
        else:
            number = round(number, digits)
        return int(number) if digits == 0 else number
    except (TypeError, ValueError, OverflowError):
        if default is _SENTINEL:
            raise _no_default("round", value) from None
        return default


def _bool(value: Any, default: Any = _SENTINEL) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("1", "true", "yes", "on", "enable"):
            return True
        if word in ("0", "false", "no", "off", "disable"):
            return False
    if default is _SENTINEL:
        raise _no_default("bool", value)
    return default


def _iif(value: Any, if_true: Any = True, if_false: Any = False, if_none: Any = _SENTINEL) -> Any:
    if value is None and if_none is not _SENTINEL:
        return if_none
    return if_true if value else if_false


def _is_defined(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return value


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number)


def _to_json(value: Any, ensure_ascii: bool = False, pretty_print: bool = False) -> str:
    size(value)
    indent = 2 if pretty_print else None
    separators = None if pretty_print else (",", ":")
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"to_json: {exc}") from None


def _from_json(value: Any) -> Any:
    text = str(value) if size(value) else ""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise TemplateError(f"from_json: {str(exc)[:60]}") from None


def _join(value: Any, separator: str = "", attribute: Any = None) -> str:
    if attribute is not None:
        raise TemplateError("join by attribute is not supported")
    items = list(value) if not isinstance(value, str) else [value]
    size([*items, separator * len(items)])
    return str(separator).join(str(item) for item in items)


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value) if size(value) else "", str(old), str(new)
    hits = len(text) + 1 if old == "" else text.count(old)
    if count is not None:
        hits = min(hits, max(0, int(count)))
    if len(text) + hits * max(0, len(new) - len(old)) > MAX_SIZE:
        raise TemplateError(f"a value of more than {MAX_SIZE} characters")
    return text.replace(old, new) if count is None else text.replace(old, new, int(count))


def format_percent(value: Any, *args: Any, **kwargs: Any) -> str:
    if args and kwargs:
        raise TemplateError("format takes positional or keyword arguments, not both")
    text = str(value) if size(value) else ""
    if _WIDE_FORMAT.search(text):
        raise TemplateError("a format with a width or precision over three digits")
    size([text, list(args), kwargs])
    try:
        return text % (kwargs or args)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise TemplateError(f"format: {exc}") from None


def _measured(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A text filter that first checks what its value would print."""

    @functools.wraps(fn)
    def wrapped(value: Any, *args: Any) -> Any:
        size(value)
        return fn(value, *args)

    return wrapped


def _range(*args: int) -> range:
    made = range(*args)
    if len(made) > MAX_RANGE:
        raise TemplateError(f"a range of more than {MAX_RANGE} items")
    return made


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "float": _float,
    "int": _int,
    "bool": _bool,
    "iif": _iif,
    "is_number": _is_number,
    "min": min,
    "max": max,
    "range": _range,
}
_BUILTIN = jinja2.filters.FILTERS
FILTERS: dict[str, Callable[..., Any]] = {
    "float": _float,
    "int": _int,
    "round": _round,
    "bool": _bool,
    "iif": _iif,
    "is_defined": _is_defined,
    "is_number": _is_number,
    "to_json": _to_json,
    "tojson": _to_json,
    "from_json": _from_json,
    "join": _join,
    "replace": _replace,
    "format": format_percent,
    "default": _BUILTIN["default"],
    "d": _BUILTIN["default"],
    "abs": _BUILTIN["abs"],
    "length": _BUILTIN["length"],
    "count": _BUILTIN["length"],
    "first": _BUILTIN["first"],
    "last": _BUILTIN["last"],
    "min": _BUILTIN["min"],
    "max": _BUILTIN["max"],
    "list": _measured(_BUILTIN["list"]),
    "string": _measured(_BUILTIN["string"]),
    "lower": _measured(_BUILTIN["lower"]),
    "upper": _measured(_BUILTIN["upper"]),
    "capitalize": _measured(_BUILTIN["capitalize"]),
    "title": _measured(_BUILTIN["title"]),
    "trim": _measured(_BUILTIN["trim"]),
}
