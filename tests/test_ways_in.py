"""Every way in behaves the same: `say`, `parse`, `listen` and `run`, on the same broker state
(the example home and a device known only from a retained discovery config), give the same
intent and targets for the same command, and the three that act send the device the same
message (`parse` never publishes)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import speech
from tests.conftest import Agent, Broker, Recorder, example_config, run_cli

BLINDS = (
    "homeassistant/cover/0x00158d0004a1b2c3/cover/config",
    {
        "name": None,
        "device": {"identifiers": ["zigbee2mqtt_0x00158d0004a1b2c3"], "name": "Study Blinds"},
        "command_topic": "zigbee2mqtt/Study Blinds/set",
        "position_topic": "zigbee2mqtt/Study Blinds",
        "position_template": "{{ value_json.position }}",
        "set_position_topic": "zigbee2mqtt/Study Blinds/set",
        "set_position_template": '{ "position": {{ position }} }',
        "object_id": "study_blinds",
        "unique_id": "0x00158d0004a1b2c3_cover_zigbee2mqtt",
    },
)
TEXT = "set the study blinds to forty percent"
EXPECTED = ("set_position", ["cover.study_blinds"])
SENT = [("zigbee2mqtt/Study Blinds/set", '{ "position": 40 }')]
EVENTS = "voice-agent/kitchen-pi/intent"


def _home(tmp_path: Path, broker: Broker, recorder: Recorder) -> Path:
    topic, body = BLINDS
    recorder.publish(topic, json.dumps(body), retain=True)
    extra = "home_assistant: {discovery: true, announce: false}\n"
    return example_config(tmp_path, broker.port, extra)


def _event(recorder: Recorder) -> dict[str, object]:
    return json.loads(recorder.on(EVENTS, timeout=20).payload)  # type: ignore[no-any-return]


def _sent(recorder: Recorder) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 5
    while not recorder.device_messages() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # and nothing after it
    return recorder.device_messages()


@pytest.mark.parametrize("way", ["run", "say", "parse", "listen"])
def test_every_way_in_gives_the_same_intent_targets_and_payload(
    way: str,
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: Callable[..., Agent],
) -> None:
    config = _home(tmp_path, broker, recorder)
    recorder.messages.clear()
    if way == "run":
        agent = agent_factory(config)
        agent.wait_log("(1 discovered entities)", timeout=60)
        recorder.publish("voice-agent/kitchen-pi/command", TEXT)
        event = _event(recorder)
    elif way == "say":
        done = run_cli("say", TEXT, "--config", str(config), timeout=60)
        assert done.returncode == 0, done.stderr
        event = _event(recorder)  # the service is not running: say posts the event
    elif way == "parse":
        done = run_cli("parse", "--config", str(config), stdin=TEXT + "\n", timeout=60)
        assert done.returncode == 0, done.stderr
        (event,) = [json.loads(line) for line in done.stdout.splitlines()]
    else:
        wav = speech.say(tmp_path / "c.wav", f"hey computer {TEXT}")
        done = run_cli("listen", "--wav", str(wav), "--config", str(config), timeout=120)
        assert done.returncode == 0, done.stderr
        (event,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert (event["intent"], event["targets"]) == EXPECTED, event
    assert _sent(recorder) == ([] if way == "parse" else SENT)
