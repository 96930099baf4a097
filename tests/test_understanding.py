"""The template tier and the resolver on our own hand-written phrasings (tests/data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.config import load_config
from agent.language.normalize import normalize
from agent.pipeline import Pipeline
from agent.understand.templates import TemplateMatcher
from tests.conftest import EXAMPLE

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "phrasings.yaml").read_text()
)
TEMPLATE_CASES = [c for c in CASES if c.get("templates", True)]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    config = load_config(EXAMPLE)
    return Pipeline(config.home, [TemplateMatcher.load().match], site_area=config.site.area)


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=[c["text"] for c in TEMPLATE_CASES])
def test_template_tier_phrasing(pipeline: Pipeline, case: dict[str, Any]) -> None:
    outcome = pipeline.handle(case["text"])
    pipeline.handle("no")  # drop any pending confirmation
    assert outcome.intent.name == case["intent"], outcome.response
    if "targets" in case:
        assert list(outcome.targets) == case["targets"], outcome.response
    for slot in ("value", "direction"):
        if slot in case:
            assert getattr(outcome.intent.slots, slot) == case[slot]
    if case["intent"] != "none":
        assert outcome.intent.tier == "template"


def test_enough_phrasings_are_written() -> None:
    assert len(TEMPLATE_CASES) >= 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turn on the Kitchen Light!", "turn on the kitchen light"),
        ("set it to twenty-one point five degrees", "set it to 21.5 degrees"),
        ("dim to 50%", "dim to 50 percent"),
        ("What's the temperature?", "whats the temperature"),
        ("one hundred and twenty", "120"),
        ("a hundred percent", "100 percent"),
        ("the one in the kitchen", "the one in the kitchen"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_slots_as_heard() -> None:
    matcher = TemplateMatcher.load()
    intent = matcher.match("please set the living room lights to fifty percent")
    assert intent is not None
    assert intent.to_dict() == {
        "intent": "set_brightness",
        "slots": {"device": "living room lights", "value": 50},
        "confidence": 1.0,
        "tier": "template",
    }
    intent = matcher.match("turn on the big light in the kitchen")
    assert intent is not None and intent.slots.to_dict() == {
        "device": "big light",
        "area": "kitchen",
    }


def test_templates_are_data_a_file_can_replace(tmp_path: Path) -> None:
    custom = tmp_path / "t.yaml"
    custom.write_text('intents:\n  turn_on:\n    - "lumos [the] {device}"\n')
    matcher = TemplateMatcher.load(custom)
    intent = matcher.match("lumos the hallway light")
    assert intent is not None and (intent.name, intent.slots.device) == ("turn_on", "hallway light")
    assert matcher.match("turn on the hallway light") is None
