"""The shipped understanding model (models/intent-minilm), and the training recipe itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.config import load_config
from agent.understand.cascade import tiers_for
from agent.understand.model_tier import ModelError, ModelTier
from tests import devset
from tests.conftest import EXAMPLE, ROOT, run_cli

MODEL = ROOT / "models" / "intent-minilm"


PARAPHRASES = devset.load(devset.DATA / "paraphrases.tsv")


@pytest.fixture(scope="module")
def model() -> ModelTier:
    return ModelTier(MODEL)


def test_enough_paraphrases() -> None:
    assert len([c for c in PARAPHRASES if c.intent != "none"]) >= 50


@pytest.mark.parametrize("case", PARAPHRASES, ids=[c.text for c in PARAPHRASES])
def test_paraphrase(model: ModelTier, case: devset.Case) -> None:
    got = model.predict(case.text)
    assert got.name == case.intent, got
    assert got.tier == "model"
    if case.intent != "none":
        assert devset.slots_match(case, got), got


def test_model_answers_what_templates_miss_through_the_agent(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(
        EXAMPLE.read_text().replace("  model: ../models/intent-minilm", f"  model: {MODEL}", 1)
    )
    result = run_cli(
        "parse",
        "--config",
        str(config),
        stdin="could you give the counter lights a bit more oomph\nhow do magnets work\n",
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["intent"], first["tier"], first["targets"]) == (
        "set_brightness",
        "model",
        ["light.kitchen_counter"],
    )
    assert (second["intent"], second["tier"]) == ("none", "model")


def test_example_config_uses_the_shipped_model() -> None:
    config = load_config(EXAMPLE)
    assert config.understanding.model == str(MODEL)
    assert len(tiers_for(config.understanding)) == 2


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"missing .*model\.int8\.onnx"):
        ModelTier(tmp_path)
    config = tmp_path / "agent.yaml"
    config.write_text(
        EXAMPLE.read_text().replace("  model: ../models/intent-minilm", "  model: nowhere", 1)
    )
    result = run_cli("parse", "--config", str(config), stdin="hi\n")
    assert result.returncode == 2
    assert f"understanding.model: no model.int8.onnx in {tmp_path}/nowhere" in result.stderr


def test_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    for name in ("tokenizer.json", "labels.json"):
        (tmp_path / name).write_bytes((MODEL / name).read_bytes())
    (tmp_path / "model.int8.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load the understanding model"):
        ModelTier(tmp_path)


def test_short_training_run_exports_a_working_model(tmp_path: Path) -> None:
    """The recipe end to end on a small sample (in the fast suite: a change to training
    shows up there)."""
    from agent.train.train import main as train

    out = tmp_path / "model"
    assert (
        train(
            [
                "--out",
                str(out),
                "--examples",
                "200",
                "--validation",
                "30",
                "--max-steps",
                "10",
                "--batch",
                "16",
            ]
        )
        == 0
    )
    for name in (
        "model.int8.onnx",
        "model.fp32.onnx",
        "tokenizer.json",
        "labels.json",
        "metrics.json",
    ):
        assert (out / name).is_file(), name
    tier = ModelTier(out)
    intent = tier.predict("turn on the kitchen light")
    assert intent.name in tier.intents
    assert 0.0 < intent.confidence <= 1.0


UNSEEN_HOME = """\
site: {id: t, area: Study}
areas: [{name: Study}, {name: Snug}]
devices:
  - {id: light.zephyr_orb, name: Zephyr Orb, area: Study, zigbee2mqtt: {friendly_name: orb}}
  - {id: switch.tea_warmer, name: "Nana's Tea Warmer", area: Snug, tasmota: {topic: tea}}
  - id: light.kraken
    name: The Kraken
    area: Snug
    homeassistant: {command_topic: kraken/set, brightness_command_topic: kraken/b}
understanding: {model: MODEL}
"""


def test_names_never_seen_in_training_need_no_retraining(tmp_path: Path) -> None:
    """None of these names is in the training vocabularies; templates match none of these."""
    config = tmp_path / "home.yaml"
    config.write_text(UNSEEN_HOME.replace("MODEL", str(MODEL)))
    lines = (
        "could you get the zephyr orb going\n"
        "nana's tea warmer needs to come on\n"
        "I'd like the kraken at 40 percent\n"
    )
    result = run_cli("parse", "--config", str(config), stdin=lines)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["intent"], e["tier"], e["targets"]) for e in events] == [
        ("turn_on", "model", ["light.zephyr_orb"]),
        ("turn_on", "model", ["switch.tea_warmer"]),
        ("set_brightness", "model", ["light.kraken"]),
    ]
    assert [e["response"] for e in events] == [
        "Turning on the zephyr orb.",
        "Turning on Nana's tea warmer.",
        "Setting the kraken to 40%.",
    ]
