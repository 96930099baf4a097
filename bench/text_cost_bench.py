"""What one pathological text costs in a very large home: milliseconds per text, in-process.

    .venv/bin/python bench/text_cost_bench.py [--devices 30000] [--runs 5]

The example home (configs/agent.example.yaml, with the int8 model) plus N switches called
"Gizmo <i> Widget". Each text is at most the input limit (agent/inputs.py MAX_TEXT) and names
unknown or nearly-known devices, so each of its requests costs a fuzzy look-up among all the
names. The agent handles one text at a time: what one costs delays every text behind it.
Prints the median of --runs per text (after one warm-up), the actions and the reply.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.cli import _pipeline
from agent.config import load_config
from agent.home.inventory import Device, Home
from agent.home.specs import HomeAssistantSpec
from agent.inputs import MAX_TEXT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "configs" / "agent.example.yaml"


def _fill(first: str, part: str, sep: str, last: str = "") -> str:
    """`first`, then `part` as many times as fit in the input limit, whole."""
    text = first
    while len((text + sep + part + last).replace("{r}", "r")) <= MAX_TEXT:
        text += sep + part
    return text + last


# Each run hears its own names ("{r}": a letter per run), so nothing is remembered from before.
TEXTS = {
    "known device": "turn on the coffee machine",
    "unknown device": "turn on the qwerty{r} lamp",
    "near miss (1 of 30k)": "turn on the gizmo 12 widg{r}t",
    "near miss (10 of 30k)": "turn on the gizmo widg{r}t",
    "45 x unknown, commas": _fill("switch on qwerty{r} lamp", "switch on qwerty{r} lamp", ", "),
    "45 x near miss, commas": _fill("switch on gizmo widg{r}t", "switch on gizmo widg{r}t", ", "),
    "8 distinct unknown": " and ".join(f"turn on the qwerty{{r}} lamp {w}" for w in "abcdefgh"),
    "8 distinct near misses": " and ".join(f"turn on the gizmo {i}7 widg{{r}}t" for i in range(8)),
    "8 known devices": " and ".join(["turn on the coffee machine"] * 8),
    "120 names joined": _fill("turn on zyx{r}", "zyx{r}", " and "),
    "one long name": _fill("turn on the qwerty{r}", "qwerty{r}", " "),
    "8 x all the switches": " and ".join(["turn off all the switches"] * 8),
    "question, 70 names": _fill("is the light on", "the light on", " and ", "?"),
    "question, 70 unknown": _fill("is the qwerty{r} on", "the qwerty{r} on", " and ", "?"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=30000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    config = load_config(EXAMPLE)
    pipeline = _pipeline(config)
    extra = tuple(
        Device(
            f"switch.gizmo_{i}",
            f"Gizmo {i} Widget",
            command=HomeAssistantSpec(command_topic=f"g/{i}/set"),
        )
        for i in range(args.devices)
    )
    start = time.perf_counter()
    pipeline.set_home(Home(config.home.areas, config.home.devices + extra))
    prepared = (time.perf_counter() - start) * 1000
    print(f"home: {len(config.home.devices) + args.devices} devices, prepared in {prepared:.0f} ms")
    print(f"{'text':24} {'chars':>5} {'ms':>8}  actions  reply")
    for n, (name, text) in enumerate(TEXTS.items()):
        times = []
        for run in range(args.runs + 1):
            said = text.replace("{r}", "abcdefghijklmnopqrstuvwxyz"[run % 26])
            t0 = time.perf_counter()
            outcome = pipeline.handle(said, who=f"bench{n}.{run}")
            if run:  # the first warms up
                times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{name:24} {len(said):5} {statistics.median(times):8.1f}  {len(outcome.actions):7}"
            f"  {outcome.response[:60]!r}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
