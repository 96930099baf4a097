"""Second-author benchmark: another project's home commands (home-llm), scored at action level.

    .venv/bin/python bench/second_author_bench.py [--style tidy|lookalike|both] [--sample N]
        [--templates-only] [--json FILE] [--corpus DIR]

Each case runs through the whole pipeline (templates, then the int8 model) in its own home
(bench/home_llm.py). Right at action level: the set of (intent, device ids) produced equals
the expected set (media_resume counts as media_play; commands of one intent are merged). For
out-of-domain cases: nothing acted on. Prints accuracy overall, per source, per expected
intent and per tier, questions that actuated, the commonest failures, and latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import home_llm
from home_llm import EvalCase
from table import print_table

from agent.messages import Intent
from agent.pipeline import Pipeline
from agent.understand.cascade import with_threshold
from agent.understand.templates import TemplateMatcher

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "home-llm"
MODEL = ROOT / "models" / "intent-minilm"
THRESHOLD = 0.6
SAME = {"media_resume": "media_play"}  # produced intent -> the intent it counts as
NOT_ACTIONS = frozenset({"none", "get_state"})

Tier = Callable[[str], Intent | None]


@dataclass(frozen=True)
class Score:
    action_right: bool
    intent_right: bool
    reason: str  # "" when right at action level
    produced: tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Result:
    case: EvalCase
    outcome: dict[str, Any]
    score: Score
    latency_ms: float


def produced(d: dict[str, Any]) -> list[tuple[str, frozenset[str]]]:
    """The commands an outcome stands for: d["commands"] where present, else its one intent."""
    commands = d.get("commands") or [{"intent": d.get("intent"), "targets": d.get("targets")}]
    return [(str(c.get("intent") or "none"), frozenset(c.get("targets") or ())) for c in commands]


def merged(pairs: Iterable[tuple[str, frozenset[str]]]) -> dict[str, frozenset[str]]:
    """intent -> all its targets; `none` without targets dropped, equivalent intents joined."""
    out: dict[str, frozenset[str]] = defaultdict(frozenset)
    for intent, targets in pairs:
        intent = SAME.get(intent, intent)
        if intent == "none" and not targets:
            continue
        out[intent] = out[intent] | targets
    return dict(out)


def score(case: EvalCase, d: dict[str, Any]) -> Score:
    pairs = produced(d)
    got = merged(pairs)
    shown = tuple(sorted(got.items()))
    if not case.expected:  # out of domain: nothing may be acted on
        acted = bool(d.get("actions")) or any(ts for i, ts in got.items() if i not in NOT_ACTIONS)
        intent_ok = all(i in NOT_ACTIONS for i in got)
        return Score(not acted, intent_ok, "acted" if acted else "", shown)
    want = merged(case.expected)
    intent_ok = set(got) == set(want)
    if got == want:
        return Score(True, True, "", shown)
    if not intent_ok:
        reason = "wrong intent"
    elif any(not got[i] for i in want):
        reason = "no targets"
    elif all(got[i] >= want[i] for i in want):
        reason = "extra targets"
    else:
        reason = "wrong targets"
    return Score(False, intent_ok, reason, shown)


def load_tiers(templates_only: bool = False, model: Path = MODEL) -> list[Tier]:
    tiers: list[Tier] = [TemplateMatcher.load().match]
    if not templates_only:
        from agent.understand.model_tier import ModelTier

        tiers.append(with_threshold(ModelTier(model).predict, THRESHOLD))
    return tiers


def run(cases: list[EvalCase], tiers: list[Tier]) -> list[Result]:
    results = []
    for case in cases:
        pipeline = Pipeline(case.home, tiers)
        start = time.perf_counter()
        try:
            d = pipeline.handle(case.text).to_dict()
        except Exception as exc:  # a crash is a wrong answer, not the end of the run
            d = {"intent": "none", "targets": [], "actions": [], "tier": "crash",
                 "response": f"{type(exc).__name__}: {exc}"}  # fmt: skip
        ms = (time.perf_counter() - start) * 1000
        if getattr(pipeline, "has_pending", True):
            pipeline.handle("no")  # drop a pending confirmation
        results.append(Result(case, d, score(case, d), ms))
    return results


def _label(pairs: Iterable[tuple[str, frozenset[str]]]) -> str:
    intents = sorted({SAME.get(i, i) for i, _ in pairs} - {"none"})
    return "+".join(intents) or "none"


def _expected_label(case: EvalCase) -> str:
    if case.source == "ood":
        return "none (ood)"
    return "(several: multi)" if len(case.expected) > 1 else _label(case.expected)


def _pct(rs: list[Result], right: Callable[[Result], bool] = lambda r: r.score.action_right) -> str:
    if not rs:
        return "-"
    n = sum(1 for r in rs if right(r))
    return f"{n / len(rs):.1%} ({n}/{len(rs)})"


def _per_style(rs: list[Result], styles: list[str], fmt: Callable[[list[Result]], str]) -> str:
    return " | ".join(f"{s} {fmt([r for r in rs if r.case.style == s])}" for s in styles)


def _count(rs: list[Result]) -> str:
    return str(len(rs))


def _intent_pct(rs: list[Result]) -> str:
    return _pct(rs, lambda r: r.score.intent_right)


BREAKDOWNS: tuple[tuple[str, Callable[[Result], str]], ...] = (
    ("source", lambda r: r.case.source),
    ("intent", lambda r: _expected_label(r.case)),
    ("tier", lambda r: str(r.outcome.get("tier"))),
)


def report_rows(results: list[Result]) -> list[tuple[str, str]]:
    styles = sorted({r.case.style for r in results}, key=home_llm.STYLES.index)
    rows = [
        ("cases", _per_style(results, styles, _count)),
        ("action-level accuracy", _per_style(results, styles, _pct)),
        ("intent-level accuracy", _per_style(results, styles, _intent_pct)),
    ]
    for title, key in BREAKDOWNS:
        buckets: dict[str, list[Result]] = defaultdict(list)
        for r in results:
            buckets[key(r)].append(r)
        keys = [s for s in home_llm.SOURCES if s in buckets] if title == "source" else buckets
        for k in keys if title == "source" else sorted(keys):
            rows.append((f"  {title} {k}", _per_style(buckets[k], styles, _pct)))
    needs_action = [r for r in results if set(merged(r.case.expected)) - NOT_ACTIONS]
    silent = [r for r in needs_action if r.score.action_right and not r.outcome.get("actions")]
    rows.append(("right, but no MQTT message", _per_style(silent, styles, _count)))
    asked = [r for r in results if any(i == "get_state" for i, _ in r.case.expected)]
    actuated = [r for r in asked if r.outcome.get("actions")]
    rows.append(("questions that actuated (must be 0)", _per_style(actuated, styles, _count)))
    for r in actuated[:20]:
        rows.append((f"  actuated [{r.case.style}]", f"{r.case.text!r} -> {r.outcome['actions']}"))
    latencies = sorted(r.latency_ms for r in results)
    if len(latencies) >= 2:
        q = statistics.quantiles(latencies, n=100)
        rows.append(("latency pipeline.handle p50 / p95", f"{q[49]:.1f} / {q[94]:.1f} ms"))
    rows.extend(_failures(results))
    return rows


def _failures(results: list[Result], top: int = 25) -> list[tuple[str, str]]:
    groups: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for r in results:
        if not r.score.action_right:
            key = (_label(r.case.expected), _label(r.score.produced), r.score.reason)
            groups[key].append(r)
    rows = []
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    for n, ((want, got, reason), rs) in enumerate(ranked, 1):
        styles = Counter(r.case.style for r in rs)
        ex = rs[0]
        rows.append((
            f"fail {n:2}: {want} -> {got} ({reason})",
            f"{len(rs)} ({', '.join(f'{s} {c}' for s, c in sorted(styles.items()))}) "
            f"e.g. {ex.case.text!r} -> {ex.outcome.get('targets')} "
            f"{str(ex.outcome.get('response', ''))[:90]!r}",
        ))  # fmt: skip
    return rows


def build(corpus: Path, styles: list[str], n: int | None) -> list[EvalCase]:
    specs, _ = home_llm.parse(corpus)
    if n is not None:
        specs = home_llm.sample(specs, n)
    pool = home_llm.distractor_pool(corpus)
    return [c for s in styles for c in home_llm.build_cases(specs, s, pool)]


def to_json(r: Result) -> dict[str, Any]:
    return {
        "index": r.case.index, "style": r.case.style, "source": r.case.source,
        "service": r.case.service, "text": r.case.text,
        "expected": [[i, sorted(ts)] for i, ts in r.case.expected],
        "produced": [[i, sorted(ts)] for i, ts in r.score.produced],
        "action_right": r.score.action_right, "intent_right": r.score.intent_right,
        "reason": r.score.reason, "tier": r.outcome.get("tier"),
        "response": r.outcome.get("response"), "actions": r.outcome.get("actions"),
        "latency_ms": round(r.latency_ms, 3),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", choices=["tidy", "lookalike", "both"], default="both")
    ap.add_argument("--sample", type=int, default=None, help="a stratified sample of N commands")
    ap.add_argument("--templates-only", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write per-case results here")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--model", type=Path, default=MODEL)
    args = ap.parse_args(argv)
    if not (args.corpus / "pile_of_specific_actions.csv").is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    styles = list(home_llm.STYLES) if args.style == "both" else [args.style]
    cases = build(args.corpus, styles, args.sample)
    results = run(cases, load_tiers(args.templates_only, args.model))
    print_table(report_rows(results))
    _, skipped = home_llm.parse(args.corpus)
    print(
        "\nskipped rows per service: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
    )
    if args.json:
        args.json.write_text(json.dumps([to_json(r) for r in results], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
