"""Hostile command payloads: deep JSON nesting, huge integers and oversized messages are
one short log line each, never a traceback, and the agent goes on taking commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.inputs import BadInput, parse_text
from tests.conftest import EXAMPLE, Agent, Broker, Recorder, example_config, free_port, run_cli
from tests.test_service import COMMAND, started

DEEP = '{"text": ' + "[" * 100_000  # 100,009 bytes
NESTED = '{"text": "turn on the coffee machine", "x": ' + "[" * 5000 + "]" * 5000 + "}"
HUGE_INT = '{"text": "turn on the coffee machine", "n": 1' + "0" * 4999 + "}"  # 5,000 digits


def bad(payload: str | bytes) -> str:
    with pytest.raises(BadInput) as err:
        parse_text(payload, "test")
    return str(err.value)


def test_100000_brackets_are_refused_by_size() -> None:
    assert bad(DEEP) == "payload longer than 16384 bytes (100009)"
    assert bad(DEEP.encode()) == "payload longer than 16384 bytes (100009)"


def test_deep_nesting_within_the_size_is_refused_before_parsing() -> None:
    assert len(NESTED) < 16384
    assert bad(NESTED) == "JSON nested deeper than 32 levels"


def test_a_5000_digit_integer_is_refused() -> None:
    assert bad(HUGE_INT) == "JSON number longer than 100 digits"
    assert bad(HUGE_INT.replace('"n": 1', '"n": -1')) == "JSON number longer than 100 digits"


def test_brackets_in_strings_and_ordinary_json_still_parse() -> None:
    payload = {"text": "turn on [the] {lamp}", "meta": [[1, 2], {"a": "[[[[" * 20}], "n": 10**50}
    assert parse_text(json.dumps(payload), "test").text == "turn on [the] {lamp}"


def test_parse_command_reports_each_bad_line_and_goes_on(tmp_path: Path) -> None:
    config = example_config(tmp_path, free_port())
    lines = [DEEP, NESTED, HUGE_INT, "turn on the coffee machine"]
    result = run_cli("parse", "--config", str(config), stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("error") for o in out] == [
        "payload longer than 16384 bytes (100010)",  # the line with its newline
        "JSON nested deeper than 32 levels",
        "JSON number longer than 100 digits",
        None,
    ]
    assert out[3]["intent"] == "turn_on"
    assert "line 2 skipped: JSON nested deeper than 32 levels" in result.stderr


def test_agent_logs_one_line_per_hostile_message(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    agent = started(agent_factory, example_config(tmp_path, broker.port), recorder)
    for payload in (DEEP, NESTED, HUGE_INT):
        recorder.publish(COMMAND, payload)
    recorder.publish(COMMAND, "turn on the coffee machine")
    assert recorder.on("cmnd/coffee/POWER").payload == "ON"
    log = agent.output()
    skip = f"skipping a message on {COMMAND}: "
    assert f"{skip}payload longer than 16384 bytes (100009)" in log
    assert f"{skip}JSON nested deeper than 32 levels" in log
    assert f"{skip}JSON number longer than 100 digits" in log
    assert "Traceback" not in log
    assert agent.proc.poll() is None


@pytest.mark.parametrize("said", ["Kitchen", "kitchen", "KITCHEN", "cooking area"])
def test_the_area_is_taken_as_a_person_writes_it(said: str) -> None:
    """`--area` in any case, or an area's alias, is that area: "the light" is its lights."""
    done = run_cli("parse", "--config", str(EXAMPLE), "--area", said, stdin="turn on the light\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["targets"] == ["light.kitchen_ceiling", "light.kitchen_counter"]


def test_an_unknown_area_is_an_error_that_lists_the_areas() -> None:
    done = run_cli("say", "--config", str(EXAMPLE), "--area", "attic", "lights on")
    assert done.returncode == 2
    assert done.stderr == (
        "voice-agent: unknown area 'attic' (the home's areas: Kitchen, Living Room, Hallway, "
        "Garage, Bedroom, Office)\n"
    )
