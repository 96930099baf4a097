"""The second-author benchmark (home-llm's commands, bench/second_author_bench.py) on a fixed
sample of both home styles, and checks that the benchmark itself is sound: the scorer, the
expected targets, unique names and the look-alikes. The table prints with `-s` or on failure."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import pytest

from agent.home.inventory import Device, Home
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import home_llm
import second_author_bench as bench
from table import print_table

CORPUS = ROOT.parent / "shared" / "corpora" / "home-llm"
FLOOR = 0.90  # action-level accuracy the sample must reach (both styles; 95.8% when set)
SAMPLE = 60  # commands, each in a tidy and a look-alike home: 120 cases

pytestmark = pytest.mark.skipif(
    not (CORPUS / "pile_of_specific_actions.csv").is_file(),
    reason=f"the home-llm corpus is not at {CORPUS} (see bench/home_llm.py)",
)


@cache
def all_cases(style: str) -> list[home_llm.EvalCase]:
    return home_llm.load(CORPUS, style)


def test_sample_reaches_the_floor() -> None:
    cases = bench.build(CORPUS, list(home_llm.STYLES), SAMPLE)
    assert len(cases) == 2 * SAMPLE
    assert {c.source for c in cases} == set(home_llm.SOURCES)
    results = bench.run(cases, bench.load_tiers())
    print_table(bench.report_rows(results))
    right = sum(r.score.action_right for r in results)
    assert right / len(results) >= FLOOR, f"action-level {right}/{len(results)} < {FLOOR:.0%}"


def _case(expected: tuple[tuple[str, frozenset[str]], ...], source: str = "specific") -> Any:
    home = Home(devices=(Device("light.a", "A"), Device("light.b", "B")))
    return home_llm.EvalCase("turn on a", source, "light.turn_on", expected, home)


def _outcome(intent: str, targets: list[str], actions: int = 1) -> dict[str, Any]:
    acts = [{"device": t, "topic": "x", "payload": "ON"} for t in targets[:actions]]
    return {"intent": intent, "targets": targets, "actions": acts, "tier": "template"}


def test_scorer_marks_right_and_wrong() -> None:
    on_a = _case((("turn_on", frozenset({"light.a"})),))
    assert bench.score(on_a, _outcome("turn_on", ["light.a"])).action_right
    wrong = bench.score(on_a, _outcome("turn_on", ["light.b"]))
    assert (wrong.action_right, wrong.intent_right, wrong.reason) == (False, True, "wrong targets")
    extra = bench.score(on_a, _outcome("turn_on", ["light.a", "light.b"]))
    assert (extra.action_right, extra.reason) == (False, "extra targets")
    assert bench.score(on_a, _outcome("turn_off", ["light.a"])).reason == "wrong intent"
    assert bench.score(on_a, _outcome("turn_on", [], 0)).reason == "no targets"
    play = _case((("media_play", frozenset({"light.a"})),))
    assert bench.score(play, _outcome("media_resume", ["light.a"])).action_right
    both = _case((("turn_on", frozenset({"light.a"})), ("turn_off", frozenset({"light.b"}))))
    one = bench.score(both, _outcome("turn_on", ["light.a"]))
    assert not one.action_right and not one.intent_right
    multi = {"intent": "turn_on", "targets": [], "actions": [], "commands": [
        {"intent": "turn_on", "targets": ["light.a"]},
        {"intent": "turn_off", "targets": ["light.b"]},
    ]}  # fmt: skip
    assert bench.score(both, multi).action_right


def test_scorer_out_of_domain() -> None:
    ood = _case((), "ood")
    assert bench.score(ood, _outcome("none", [], 0)).action_right
    assert bench.score(ood, _outcome("get_state", ["light.a"], 0)).action_right
    acted = bench.score(ood, _outcome("turn_on", ["light.a"]))
    assert (acted.action_right, acted.reason) == (False, "acted")
    assert not bench.score(ood, _outcome("turn_on", ["light.a"], 0)).action_right


@pytest.mark.parametrize("style", home_llm.STYLES)
def test_expected_targets_exist_and_are_unique(style: str) -> None:
    for case in all_cases(style):
        ids = [d.id for d in case.home.devices]
        assert len(ids) == len(set(ids)), case.text
        names = [home_llm.norm(n) for d in case.home.devices for n in (d.name, *d.aliases)]
        for _, targets in case.expected:
            assert targets, case.text
            for target in targets:
                device = case.home.device(target)
                assert device is not None, f"{target} not in the home of {case.text!r}"
                assert device.command is not None, target
                assert names.count(home_llm.norm(device.name)) == 1, (case.text, device.name)
        assert {d.area for d in case.home.devices} - {None} <= {a.name for a in case.home.areas}


def test_lookalike_homes_have_every_lookalike() -> None:
    for case in all_cases("lookalike"):
        assert home_llm.lookalike_problems(case.home) == [], case.text
        assert len(case.home.devices) >= 30
    tidy = all_cases("tidy")
    assert all(len(c.home.devices) <= 5 + sum(len(t) for _, t in c.expected) for c in tidy)
    assert all(home_llm.lookalike_problems(c.home) for c in tidy)


def test_cases_repeat_exactly() -> None:
    again = home_llm.load(CORPUS, "lookalike", n=40)
    first = home_llm.load(CORPUS, "lookalike", n=40)
    assert [(c.text, c.home) for c in again] == [(c.text, c.home) for c in first]
    specs, skipped = home_llm.parse(CORPUS)
    assert skipped["specific:light.toggle"] > 0 and skipped["templated:climate.set_humidity"] > 0
    assert {s.source for s in specs} == set(home_llm.SOURCES)
