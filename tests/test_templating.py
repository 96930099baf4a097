"""Home Assistant's templates, rendered by Jinja2's sandbox with Home Assistant's filters:
the forms Zigbee2MQTT, Z-Wave JS UI, ESPHome and hand-written configs publish, and what a
hostile discovery message could put in one (each refused or stopped within its budget,
without taking the memory a Pi has)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from agent.home.template_filters import TemplateError
from agent.home.templating import (
    BUDGET_S,
    TemplateTimeout,
    render,
    render_command,
    render_value,
    tried,
)


@pytest.mark.parametrize(
    ("template", "payload", "expected"),
    [
        ("{{ value_json.state }}", '{"state": "ON"}', "ON"),
        ("{{ value_json['x'][1] }}", '{"x": [1, 2]}', "2"),
        ("{{ value | upper }}", "on", "ON"),
        ("{{ value_json.a.b | float | round(1) }}", '{"a": {"b": "2.345"}}', "2.3"),
        ("{{ value | float(0) }}", "not a number", "0"),
        ("{{ value | int(0, 16) }}", "ff", "255"),
        ("{{ (value_json.speed * 25) | int }}", '{"speed": 3}', "75"),
        ("{{ 'OFF' if value_json.value == 0 else 'ON' }}", '{"value": 0}', "OFF"),
        (  # Z-Wave JS UI's RGB
            "{{ value_json.value[0:2] | int(0, 16) }},{{ value_json.value[2:4] | int(0, 16) }}",
            '{"value": "ff10aa"}',
            "255,16",
        ),
        (  # Zigbee2MQTT's fan modes
            "{{ {'low': 33, 'high': 100}[value_json.fan_mode] | default('None') }}",
            '{"fan_mode": "high"}',
            "100",
        ),
        (
            "{%- set speed = value_json['s'] | int %}{%- if speed > 90 %}High"
            "{%- elif speed > 35 %}Medium{%- else %}Auto{%- endif -%}",
            '{"s": 50}',
            "Medium",
        ),
        ("{{ iif(value_json.on, 'yes', 'no') }}", '{"on": true}', "yes"),
        ("{{ value_json | to_json }}", '{"a": [1, "b"]}', '{"a":[1,"b"]}'),
        ("{{ (value | from_json).a }}", '{"a": 7}', "7"),
        ("{{ value_json.t | is_defined }}", '{"t": 21}', "21"),
        ("{{ value_json.missing }}", "{}", ""),  # Home Assistant: nothing, and a warning
        ("{{ value.split(',') | last | trim }}", "a, b", "b"),
        ("{% for k, v in value_json.items() %}{{ k }}={{ v }};{% endfor %}", '{"a": 1}', "a=1;"),
        ("  {{ value }}\n", "x", "x"),  # stripped, as Home Assistant strips
    ],
)
def test_value_templates_render_as_home_assistant_renders_them(
    template: str, payload: str, expected: str
) -> None:
    assert render_value(template, payload) == expected


def test_command_templates_get_the_value_and_their_variables() -> None:
    assert render_command('{ "position": {{ position }} }', 30, position=30) == '{ "position": 30 }'
    assert render_command('{"state": "{{ value }}"}', "LOCK") == '{"state": "LOCK"}'
    rgb = "{{ '#%02x%02x%02x' | format(red, green, blue) }}"
    assert render_command(rgb, "255,0,16", red=255, green=0, blue=16) == "#ff0010"
    assert render_command("{{ (value | int / 25) | round(0) | int }}", 75) == "3"
    assert render_command("{{ 'on' if state == 'on' else 'off' }},{{ brightness | d }}", None,
                          state="on", brightness=128) == "on,128"  # fmt: skip


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{{ value_json.missing.deeper }}", "has no attribute 'missing'"),
        ("{{ value_json.t | is_defined }}", "has no attribute 't'"),
        ("{{ value | float }}", "float got invalid input 'x' and no default"),
        ("{{ value | int }}", "int got invalid input 'x' and no default"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{% if %}", "line 1"),
        ("{{ value | nosuchfilter }}", "No filter named 'nosuchfilter'"),
    ],
)
def test_a_template_that_fails_says_why(template: str, why: str) -> None:
    with pytest.raises(TemplateError, match=why):
        render_value(template, '{"a": 1}' if "json" in template else "x")


X = "x" * 60_000
HOSTILE = [
    ("{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}", "longer than"),
    ("{{ 'x' * 1000000000 }}", "more than 131072 characters"),
    ("{{ [[value] * 1000] * 1000 }}", "more than 131072 characters"),
    ("{{ ([value] * 100000) | join }}", "more than 131072 characters"),
    ("{{ 2 ** 100000 }}", "a power of more than 4096 bits"),
    ("{{ (10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000) }}", "more than 4096 bits"),
    ("{{ '%0999999999d' | format(1) }}", "width or precision over three digits"),
    ("{{ '%0999999999d' % 1 }}", "width or precision over three digits"),
    ("{{ '%.*f' % (99999999, 1) }}", "width or precision over three digits"),
    ("{{ value | replace('', value) }}", "more than 131072 characters"),
    ("{{ value ~ value ~ value }}", "more than 131072 characters"),
    # 60 statements: on a loaded machine compiling them may run out of its time first
    (
        "{% set a = value ~ value %}" + "{% set a = a ~ a %}" * 60 + "{{ a }}",
        "more than|compiling the template took longer than",
    ),
    ("{% set a = [value, value] %}{% set b = [a, a] %}{{ b }}", "builds on 'a'"),
    ("{{ value.center(1000000000) }}", "other than the listed functions"),
    ("{{ value.replace('', value) }}", "other than the listed functions"),
    ("{{ lipsum(100000) }}", "other than the listed functions"),
    ("{{ namespace(a=1) }}", "other than the listed functions"),
    ("{{ range(1000000) | list }}", "a range of more than 10000 items"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "macro is not allowed"),
    ("{% include 'secrets.yaml' %}", "include is not allowed"),
    ("{% import 'x' as y %}", "import is not allowed"),
    ("{% for i in [1] recursive %}{{ loop(i) }}{% endfor %}", "recursive loop"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "other than the listed functions"),
    ("{{ value.__class__.__mro__ }}", "access to attribute '__class__'"),
    ("{{ cycler.__init__.__globals__ }}", "unsafe"),
    ("{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "Recursion|nested"),
    ("{{ value" + " | string" * 600 + " }}", "at most 4096 characters"),
]


@pytest.mark.parametrize(("template", "why"), HOSTILE)
def test_a_hostile_template_is_refused_or_stopped_in_its_budget(template: str, why: str) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(TemplateError, match=why):
            render_value(template, X)
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert took < 2 * BUDGET_S + 0.1  # (traced allocations make Python slower here)
    assert peak < 16 * 1024 * 1024


def test_a_template_that_ran_out_of_time_is_not_rendered_again() -> None:
    slow = "{% for a in range(100) %}{% for b in range(value | int) %}{% endfor %}{% endfor %}"
    assert render_value(slow, "1") == ""  # fast with this value
    with pytest.raises(TemplateTimeout, match="took longer than 100 ms"):
        render_value(slow, "10000")
    start = time.perf_counter()
    with pytest.raises(TemplateTimeout, match="longer than 100 ms before"):
        render_value(slow, "1")
    assert time.perf_counter() - start < 0.01


def test_a_template_is_tried_once_where_it_is_read() -> None:
    tried("{{ value_json.a.b }}")  # fails on this sample, may not on a real payload
    with pytest.raises(TemplateTimeout):
        tried("{% for a in range(9998) %}{% for b in range(9998) %}{% endfor %}{% endfor %}")
    with pytest.raises(TemplateError, match="unsafe"):
        tried("{{ value.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="line 1"):
        tried("{{ value ")


def test_rendering_leaves_the_thread_untraced() -> None:
    import sys

    before = sys.gettrace()
    render("{{ x }}", {"x": 1})
    assert sys.gettrace() is before
