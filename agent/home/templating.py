"""Home Assistant's MQTT templates, rendered as Home Assistant renders them: Jinja2's
sandboxed environment, with the filters and functions discovery payloads use.

A template arrives from the broker, so it is untrusted. Besides the sandbox (no private
attributes, no changing lists and dicts), a template here:
- may use only the statements and calls a value or command template needs: no macros,
  imports, includes, call or filter blocks, recursive loops, and no `set` of a list, tuple
  or dict built from another `set` (what lets a few lines double a value a hundred times);
- calls only the functions and methods listed below, and only the filters and tests listed;
- builds no value that would print longer than MAX_SIZE characters (`*`, `+`, `~`, `%`,
  joins, replacements and what each `{{ }}` prints are measured before they are made);
- is compiled and rendered within BUDGET_S seconds (a trace on the rendering thread stops
  it), and renders at most MAX_OUTPUT characters.
A template that breaks a rule or runs out of time raises TemplateError, and one that ran out
of time once is not rendered again. Pure, but for the compiled-template cache.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agent.home.template_filters import (
    FILTERS,
    FUNCTIONS,
    MAX_SIZE,
    TemplateError,
    format_percent,
    number_bits,
    size,
)

MAX_TEMPLATE = 4096  # characters of one template (an entity keeps 4096 of everything)
MAX_OUTPUT = 64 * 1024  # characters a template renders
MAX_PAYLOAD = 64 * 1024  # characters of a state payload handed to a value template
MAX_INT_BITS = 4096  # bits of a number made by * or **
BUDGET_S = 0.1  # seconds to compile, and again to render, one template (a Pi is slow)
CACHE = 2048  # compiled templates kept (a real home shares a few dozen texts)


class _OutOfTime(Exception):
    pass


class TemplateTimeout(TemplateError):
    """A template that ran out of time (now or before)."""


class TemplateRefused(TemplateError):
    """A template that reached for what the sandbox keeps from it."""


TESTS = (
    "defined", "undefined", "none", "boolean", "false", "true", "integer", "float",
    "number", "string", "mapping", "sequence", "iterable", "eq", "ne", "lt", "le", "gt",
    "ge", "in", "even", "odd", "divisibleby", "sameas", "lower", "upper",
)  # fmt: skip
# Methods a template may call on a string, a dict or a list: none makes a value longer.
METHODS = frozenset((
    "get", "items", "keys", "values", "lower", "upper", "strip", "lstrip", "rstrip",
    "split", "rsplit", "startswith", "endswith", "title", "capitalize", "casefold",
    "isdigit", "isnumeric", "isalpha", "count", "index", "find",
))  # fmt: skip
_LITERALS = (nodes.List, nodes.Tuple, nodes.Dict)
_FORBIDDEN = (
    nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.Extends, nodes.Include,
    nodes.Import, nodes.FromImport, nodes.Block, nodes.AssignBlock, nodes.ExprStmt,
    nodes.NSRef, nodes.EvalContextModifier,
)  # fmt: skip


class _Generator(CodeGenerator):
    """`a ~ b` measured before it is joined (Jinja otherwise joins in C, unmeasured)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.measured_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = _Generator
    intercepted_binops = frozenset(("*", "**", "+", "%", "//", "/"))

    def __init__(self) -> None:
        super().__init__(autoescape=False, finalize=_finalize, keep_trailing_newline=False)
        self.filters = dict(FILTERS)
        self.tests = {name: jinja2.tests.TESTS[name] for name in TESTS}
        self.globals = dict(FUNCTIONS)

    @staticmethod
    def measured_concat(parts: tuple[Any, ...]) -> str:
        size(list(parts))
        return "".join(str(part) for part in parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if number_bits(left) * abs(right if isinstance(right, int) else 0) > MAX_INT_BITS:
                raise TemplateError(f"a power of more than {MAX_INT_BITS} bits")
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                if number_bits(left) + number_bits(right) > MAX_INT_BITS:
                    raise TemplateError(f"a product of more than {MAX_INT_BITS} bits")
            else:
                seq, times = (right, left) if isinstance(left, int) else (left, right)
                if (
                    isinstance(times, int)
                    and not isinstance(seq, int | float)
                    and size(seq) * max(times, 0) > MAX_SIZE
                ):
                    raise TemplateError(f"a value of more than {MAX_SIZE} characters")
        elif operator == "+" and not isinstance(left, int | float):
            size([left, right])
        elif operator == "%" and isinstance(left, str):
            return format_percent(left, *(right if isinstance(right, tuple) else (right,)))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        method = isinstance(owner, str | dict | list) and __obj.__name__ in METHODS
        if not method and not any(__obj is fn for fn in FUNCTIONS.values()):
            raise TemplateError(f"calling {getattr(__obj, '__name__', 'this')!r} is not allowed")
        return super().call(__context, __obj, *args, **kwargs)


def _finalize(value: Any) -> Any:
    size(value)
    return value


_ENV = _Environment()
MAX_TIMED_OUT = 1024  # templates remembered as too slow (the oldest are forgotten)
_timed_out: dict[str, None] = {}
_timed_out_lock = threading.Lock()


def _within(node: nodes.Node, kind: type | tuple[type, ...]) -> list[Any]:
    """`node` and the nodes under it that are of `kind`."""
    return [node, *node.find_all(kind)] if isinstance(node, kind) else list(node.find_all(kind))


def _check(tree: nodes.Template) -> None:
    """The statements and calls a template may use (see the module's docstring)."""
    assigned = {n.name for a in tree.find_all(nodes.Assign) for n in _within(a.target, nodes.Name)}
    for node in tree.find_all(nodes.Node):
        if isinstance(node, _FORBIDDEN):
            raise TemplateError(f"{type(node).__name__.lower()} is not allowed in a template")
        if isinstance(node, nodes.For) and node.recursive:
            raise TemplateError("a recursive loop is not allowed in a template")
        if isinstance(node, nodes.Call):
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                raise TemplateError("*args and **kwargs are not allowed in a template")
            callee = node.node
            if isinstance(callee, nodes.Name) and callee.name in FUNCTIONS:
                continue
            if isinstance(callee, nodes.Getattr) and callee.attr in METHODS:
                continue
            raise TemplateError("a call to something other than the listed functions")
        if isinstance(node, nodes.Assign) and _within(node.node, _LITERALS):
            for name in _within(node.node, nodes.Name):
                if name.name in assigned:
                    raise TemplateError(f"a list or dict in a set that builds on {name.name!r}")


def _bounded(work: Callable[[], Any], what: str, text: str) -> Any:
    """`work()` stopped after BUDGET_S seconds of Python on this thread."""
    deadline = time.monotonic() + BUDGET_S

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _OutOfTime
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        return work()
    except _OutOfTime:
        with _timed_out_lock:
            _timed_out[text] = None
            while len(_timed_out) > MAX_TIMED_OUT:
                del _timed_out[next(iter(_timed_out))]
        raise TemplateTimeout(f"{what} took longer than {BUDGET_S * 1000:.0f} ms") from None
    finally:
        sys.settrace(previous)


@functools.lru_cache(maxsize=CACHE)
def _compiled(text: str) -> jinja2.Template:
    def compile_it() -> jinja2.Template:
        tree = _ENV.parse(text)
        _check(tree)
        return _ENV.from_string(tree)

    try:
        return _bounded(compile_it, "compiling the template", text)  # type: ignore[no-any-return]
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # a hostile template fails in any way it can
        raise TemplateError(f"{type(exc).__name__}: {str(exc)[:80]}") from None


def compiled(text: str) -> jinja2.Template:
    """The compiled template; TemplateError if it is too long, unreadable or breaks a rule."""
    if not isinstance(text, str) or len(text) > MAX_TEMPLATE:
        raise TemplateError(f"a template must be text of at most {MAX_TEMPLATE} characters")
    return _compiled(text)


def render(text: str, variables: Mapping[str, Any]) -> str:
    """The template rendered with `variables`, stripped (as Home Assistant strips it)."""
    with _timed_out_lock:
        if text in _timed_out:
            raise TemplateTimeout(f"it took longer than {BUDGET_S * 1000:.0f} ms before")
    template = compiled(text)

    def render_it() -> str:
        out: list[str] = []
        length = 0
        chunks: Iterator[str] = template.generate(dict(variables))
        for chunk in chunks:
            length += len(chunk)
            if length > MAX_OUTPUT:
                raise TemplateError(f"it renders more than {MAX_OUTPUT} characters")
            out.append(chunk)
        return "".join(out).strip()

    try:
        return _bounded(render_it, "rendering", text)  # type: ignore[no-any-return]
    except TemplateError:
        raise
    except jinja2.UndefinedError as exc:
        raise TemplateError(str(exc)[:120]) from None
    except SecurityError as exc:
        raise TemplateRefused(str(exc)[:120]) from None
    except Exception as exc:  # as above
        raise TemplateError(f"{type(exc).__name__}: {str(exc)[:80]}") from None


def render_value(text: str, payload: str) -> str:
    """A value template on a state payload: `value`, and `value_json` where it is JSON."""
    if len(payload) > MAX_PAYLOAD:
        raise TemplateError(f"a payload of more than {MAX_PAYLOAD} characters")
    variables: dict[str, Any] = {"value": payload}
    with contextlib.suppress(ValueError, RecursionError):
        variables["value_json"] = json.loads(payload)
    return render(text, variables)


def render_command(text: str, value: Any, **variables: Any) -> str:
    """A command template: `value` is what would be sent without it."""
    return render(text, {**variables, "value": value})


def tried(text: str) -> None:
    """Compile a template and render it once on a sample value: TemplateError where it can't
    be read, runs out of time or reaches past the sandbox (other failures may depend on the
    value, and are left to the render that meets them)."""
    compiled(text)
    try:
        render(text, {"value": "0", "value_json": {}})
    except (TemplateTimeout, TemplateRefused):
        raise
    except TemplateError:
        pass
