"""Benchmark understanding as a user feels it: did the right devices get the right command.

    .venv/bin/python bench/understand_bench.py [--model models/intent-minilm] [--sample N]

First, action level (the intent and the exact set of devices), with intent level beside it:
on the second-author evaluation (home-llm's commands in its homes, bench/home_llm.py), and on
our dev set (tests/data/dev.tsv) in a home with look-alikes (bench/dev_home.py); each per
tier, and our pattern sentences (tests/test_patterns.py) per pattern. Then the model alone:
intent accuracy and slot exact-match for fp32 and int8, out-of-domain rejection, latency per
command (model + resolver) p50/p95 at 1 and 4 threads, peak RSS of `voice-agent parse` with
the model, and the model's size on disk. fp32 needs model.fp32.onnx, which the recipe writes.
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
import second_author_bench
from table import print_table

from agent.config import load_config
from agent.messages import Intent
from agent.pipeline import Pipeline
from agent.understand.cascade import Tier, with_threshold
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


def second_author(sample: int | None, model_dir: Path) -> list[tuple[str, str]]:
    corpus = second_author_bench.CORPUS
    if not (corpus / "pile_of_specific_actions.csv").is_file():
        return [("second-author evaluation", f"corpus not found at {corpus}")]
    cases = second_author_bench.build(corpus, ["tidy", "lookalike"], sample)
    results = second_author_bench.run(cases, second_author_bench.load_tiers(model=model_dir))
    rows = second_author_bench.report_rows(results)
    keep = ("action-level", "intent-level", "  source", "  tier", "questions that actuated")
    return [(f"second-author: {k.strip()}", v) for k, v in rows if k.startswith(keep)]


def dev_action_level(cases: list[devset.Case], tiers: list[Tier]) -> list[tuple[str, str]]:
    """Our dev set at action level, in a home with look-alikes, where the agent stands."""
    dev = dev_home.build(cases)
    agent = Pipeline(
        dev.home, tiers, site_area=dev.site, site_player=dev.site_player
    )  # fmt: skip
    right: dict[str, list[bool]] = {}
    intents = unscored = actuated = 0
    for case in cases:
        want = dev.expected(case)
        outcome = agent.handle(case.text)
        agent.handle("no")
        intents += outcome.intent.name == case.intent or (
            case.intent == "none" and not outcome.actions
        )
        if case.intent == "get_state" and outcome.actions:
            actuated += 1
        if want is None:
            unscored += 1
            continue
        if case.intent == "none":
            ok = not outcome.actions
        else:
            ok = outcome.intent.name == case.intent and set(outcome.targets) == want
        right.setdefault(outcome.intent.tier, []).append(ok)
    scored = [ok for oks in right.values() for ok in oks]
    action = f"{sum(scored) / len(scored):.1%} ({sum(scored)}/{len(scored)})"
    rows = [
        ("dev set, look-alike home: action level", f"{action}; {unscored} left unscored"),
        ("dev set, look-alike home: intent level", f"{intents / len(cases):.1%}"),
    ]
    for tier, oks in sorted(right.items()):
        rows.append(
            (f"  dev set tier {tier}", f"{sum(oks) / len(oks):.1%} ({sum(oks)}/{len(oks)})")
        )
    rows.append(("  dev set questions that actuated (must be 0)", str(actuated)))
    return rows


def patterns(tiers: list[Tier]) -> list[tuple[str, str]]:
    """Our sentences per pattern of the look-alike issue, in tests/data/lookalike_home.yaml."""
    from tests import test_patterns as tp

    pipeline = Pipeline(tp.load_config(tp.HOME).home, tiers, site_area="Living Room")
    rows = []
    for name, cases in tp.PATTERNS:
        passed = 0
        for case in cases:
            try:
                tp.check(pipeline, case)
                passed += 1
            except AssertionError:
                pass
            pipeline.handle("no")
        rows.append((f"  pattern {name}", f"{passed}/{len(cases)}"))
    return [("our pattern sentences (look-alike home)", ""), *rows]


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
    ap.add_argument("--sample", type=int, default=None, help="second-author: a sample of N")
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
    tiers: list[Tier] = [templates, with_threshold(int8.predict, THRESHOLD)]
    agent = Pipeline(dev_home.build(cases).home, tiers)

    def as_agent(text: str) -> Intent:
        outcome = agent.handle(text)
        agent.handle("no")
        return outcome.intent

    rows += score("agent: templates -> int8", as_agent, cases)
    first = second_author(args.sample, model_dir) + dev_action_level(cases, tiers)
    first += patterns(tiers)
    rows = first + rows
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
