"""Benchmark the understanding model on our hand-written dev set (tests/data/dev.tsv).

    .venv/bin/python bench/understand_bench.py [--model models/intent-minilm]

Prints: intent accuracy and slot exact-match for fp32 and int8 (model alone, and the cascade
templates -> int8 model as the agent runs it), out-of-domain rejection, latency per command
(model + resolver) p50/p95 at 1 and 4 threads, peak RSS of `voice-agent parse` with the
model, and the model's size on disk. fp32 needs model.fp32.onnx, which the recipe writes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import dev_home
import peak_rss
from table import print_table

from agent.config import load_config
from agent.messages import Intent
from agent.pipeline import Pipeline
from agent.understand.cascade import with_threshold
from agent.understand.model_tier import ModelTier
from agent.understand.templates import TemplateMatcher
from tests import devset

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.6


def score(
    name: str, understand: Callable[[str], Intent | None], cases: list[devset.Case]
) -> list[tuple[str, str]]:
    commands = [c for c in cases if c.intent != "none"]
    ood = [c for c in cases if c.intent == "none"]
    right = slots = rejected = false_none = 0
    for case in cases:
        got = understand(case.text) or Intent("none", confidence=0.0, tier="none")
        if got.name == case.intent:
            right += 1
            if case.intent != "none" and devset.slots_match(case, got):
                slots += 1
        if case.intent == "none" and got.name == "none":
            rejected += 1
        if case.intent != "none" and got.name == "none":
            false_none += 1
    return [
        (f"{name}: intent accuracy", f"{right / len(cases):.1%} ({right}/{len(cases)})"),
        (
            f"{name}: slot exact-match (commands)",
            f"{slots / len(commands):.1%} ({slots}/{len(commands)})",
        ),
        (f"{name}: out-of-domain rejected", f"{rejected / len(ood):.1%} ({rejected}/{len(ood)})"),
        (f"{name}: commands wrongly rejected", f"{false_none}/{len(commands)}"),
    ]


def latency(model_dir: Path, threads: int, cases: list[devset.Case]) -> tuple[float, float]:
    config = load_config(ROOT / "configs" / "agent.example.yaml")
    model = ModelTier(model_dir, threads=threads)
    pipeline = Pipeline(
        config.home, [with_threshold(model.predict, THRESHOLD)], site_area=config.site.area
    )
    for case in cases[:20]:
        pipeline.handle(case.text)
    times = []
    for _ in range(3):
        for case in cases:
            start = time.perf_counter()
            pipeline.handle(case.text)
            times.append((time.perf_counter() - start) * 1000)
            pipeline.handle("no")
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def parse_rss(model_dir: Path, cases: list[devset.Case]) -> float:
    example = (ROOT / "configs" / "agent.example.yaml").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "agent.yaml"
        config.write_text(re.sub(r"(?m)^  model: .*$", f"  model: {model_dir}", example, count=1))
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "peak_rss.py"),
                "agent",
                "parse",
                "--config",
                str(config),
            ],
            input="\n".join(c.text for c in cases * 2),
            text=True,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
    return peak_rss.peak_from(done.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intent-minilm")
    args = ap.parse_args()
    model_dir = args.model.resolve()
    cases = devset.load()
    rows: list[tuple[str, str]] = [
        ("dev set", f"{len(cases)} lines, {sum(c.intent != 'none' for c in cases)} commands")
    ]
    fp32 = model_dir / "model.fp32.onnx"
    if fp32.is_file():
        tier = ModelTier(model_dir, file=fp32.name)
        rows += score("fp32 model", with_threshold(tier.predict, THRESHOLD), cases)
    else:
        rows.append(("fp32 model", "model.fp32.onnx absent: run python -m agent.train"))
    int8 = ModelTier(model_dir)
    rows += score("int8 model", with_threshold(int8.predict, THRESHOLD), cases)
    templates = TemplateMatcher.load().match
    rows += score("templates alone", templates, cases)
    home = dev_home.build(cases)
    agent = Pipeline(
        home, [templates, with_threshold(int8.predict, THRESHOLD)], confidence_threshold=THRESHOLD
    )

    def as_agent(text: str) -> Intent:
        outcome = agent.handle(text)
        agent.handle("no")
        return outcome.intent

    rows += score("agent: templates -> int8", as_agent, cases)
    for threads in (1, 4):
        p50, p95 = latency(model_dir, threads, [c for c in cases if c.intent != "none"])
        rows.append(
            (f"latency model+resolver, {threads} thread(s)", f"p50 {p50:.2f} ms, p95 {p95:.2f} ms")
        )
    rows.append(("voice-agent parse peak RSS", f"{parse_rss(model_dir, cases):.1f} MB"))
    size = (model_dir / "model.int8.onnx").stat().st_size
    rows.append(("int8 model size", f"{size / 1e6:.1f} MB"))
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
