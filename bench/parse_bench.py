"""Benchmark `voice-agent parse`: latency per command (p50/p95), peak RSS, template coverage.

    .venv/bin/python bench/parse_bench.py [--lines 600] [--config configs/agent.example.yaml]

Commands are our own hand-written phrasings (tests/data/phrasings.yaml), repeated with
politeness and wake-word variations up to --lines. Runs the real CLI as a child process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peak_rss
from table import print_table

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = ["", "please ", "hey computer ", "could you ", "can you please "]
SUFFIXES = ["", " please", " thanks", " now"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=600)
    ap.add_argument("--config", default=str(ROOT / "configs" / "agent.example.yaml"))
    args = ap.parse_args()
    cases = yaml.safe_load((ROOT / "tests" / "data" / "phrasings.yaml").read_text())
    lines: list[str] = []
    i = 0
    while len(lines) < args.lines:
        case = cases[i % len(cases)]
        variant = i // len(cases)
        text = PREFIXES[variant % len(PREFIXES)] + case["text"] + SUFFIXES[variant % len(SUFFIXES)]
        lines.append(text)
        i += 1
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "peak_rss.py"),
            "agent",
            "parse",
            "--config",
            args.config,
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    peak_mb = peak_rss.peak_from(proc.stderr)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    latencies = [e["latency_ms"] for e in events]
    assert len(events) == len(lines), (len(events), len(lines))

    # Coverage: the first pass over the phrasings, checked against what we wrote down.
    tiers: dict[str, int] = {}
    for event in events:
        tiers[event["tier"]] = tiers.get(event["tier"], 0) + 1
    right = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for case, event in zip(cases, events, strict=False):
        expected_by_templates = case.get("templates", True)
        total[expected_by_templates] += 1
        ok = event["intent"] == case["intent"] and (
            "targets" not in case or event["targets"] == case["targets"]
        )
        right[expected_by_templates] += ok

    rows = [
        ("commands", f"{len(events)}"),
        ("latency p50 (ms)", f"{statistics.median(latencies):.3f}"),
        ("latency p95 (ms)", f"{percentile(latencies, 0.95):.3f}"),
        ("latency max (ms)", f"{max(latencies):.3f}"),
        ("throughput (cmd/s)", f"{len(events) / sum(latencies) * 1000:.0f}"),
        ("process wall time (s)", f"{wall:.2f}"),
        ("startup + I/O (s)", f"{wall - sum(latencies) / 1000:.2f}"),
        ("peak RSS (MB)", f"{peak_mb:.1f}"),
        ("phrasings written for the templates", f"{right[True]}/{total[True]} right"),
        ("paraphrases beyond the templates", f"{right[False]}/{total[False]} right"),
        ("answered by tier", ", ".join(f"{t} {n}" for t, n in sorted(tiers.items()))),
    ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
