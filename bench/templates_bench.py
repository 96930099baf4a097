"""Benchmark Home Assistant templates (agent/home/templating.py): what reading a discovery
config's templates costs, what a state message's value template costs, what a home of
distinct templates keeps in memory, and how soon a hostile template is stopped.

    .venv/bin/python bench/templates_bench.py [--distinct 1000]

Common: the forms Zigbee2MQTT, Tasmota, ESPHome and Z-Wave JS UI publish. Distinct: N
templates that differ (as if every entity had its own), compiled and kept. Hostile: the
slowest cases of tests/test_templating.py, each timed from the call to its TemplateError.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from agent.home.template_filters import TemplateError
from agent.home.templating import render_value, tried

COMMON = [
    ("{{ value_json.state }}", '{"state": "ON", "brightness": 200, "linkquality": 87}'),
    ("{{ value_json.temperature }}", '{"temperature": 21.4, "humidity": 40}'),
    ("{{value_json.POWER}}", '{"Time": "2024-01-01T00:00:00", "POWER": "ON"}'),
    ("{{ value_json.position }}", '{"position": 40, "state": "OPEN"}'),
    ("{{ 'OFF' if value_json.value == 0 else 'ON' }}", '{"value": 99}'),
    ("{{ value | float | round(1) }}", "21.456"),
    (
        "{%- set s = value_json['speed'] | int %}{%- if s > 90 %}High{%- elif s > 35 %}"
        "Medium{%- else %}Low{%- endif -%}",
        '{"speed": 50}',
    ),
]
HOSTILE = [
    "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
    "{% set a = value ~ value %}" + "{% set a = a ~ a %}" * 60 + "{{ a }}",
    "{{ ([value] * 100000) | join }}",
    "{{ value | replace('', value) }}",
    "{{ " + "(" * 400 + "1" + ")" * 400 + " }}",
]


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.3f} ms (max {max(seconds) * 1000:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distinct", type=int, default=1000)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []

    first = []
    for i, (template, _) in enumerate(COMMON):
        start = time.perf_counter()
        tried(template + " " * i)  # never seen before: compiled and tried
        first.append(time.perf_counter() - start)
    rows.append(("read a new template (compile + try)", _ms(first)))

    renders = []
    for template, payload in COMMON:
        render_value(template, payload)
        for _ in range(200):
            start = time.perf_counter()
            render_value(template, payload)
            renders.append(time.perf_counter() - start)
    rows.append(("value template, per state message", _ms(renders)))

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    for i in range(args.distinct):
        tried(f"{{{{ value_json.key_{i} | default('') }}}}")
    took = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    rows.append((f"{args.distinct} distinct templates read", f"{took:.2f} s"))
    rows.append((f"{args.distinct} distinct templates kept", f"+{grown:.1f} MB peak RSS"))

    payload = "x" * 60_000
    for template in HOSTILE:
        tracemalloc.start()
        start = time.perf_counter()
        try:
            render_value(template, payload)
            outcome = "rendered (!)"
        except TemplateError as exc:
            outcome = str(exc)[:40]
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        rows.append(
            (f"hostile {template[:28]!r}", f"{took * 1000:.1f} ms, {peak:.1f} MB: {outcome}")
        )
    print_table(rows)


if __name__ == "__main__":
    main()
