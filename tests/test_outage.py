"""Outages between the agent and a broker that stays up (a relay cuts the link): commands
the broker accepted meanwhile are acted on when the agent is back, none runs later than
mqtt.command_max_age_s after it was sent, and a message reported as not sent is never sent
later."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.config import MqttConfig
from agent.errors import BrokerError
from agent.messages import Action
from agent.mqtt import MqttClient
from tests.conftest import Agent, Broker, Recorder, example_config
from tests.proxy import Relay

COMMAND = "voice-agent/kitchen-pi/command"
STATUS = "voice-agent/kitchen-pi/status"
DIMMER = "cmnd/desk_lamp/Dimmer"


def config_via(tmp_path: Path, relay: Relay, max_age: int) -> Path:
    path = example_config(tmp_path, relay.port)
    text = (
        path.read_text()
        .replace("  keepalive: 60 ", "  keepalive: 5 ", 1)
        .replace("  command_max_age_s: 10 ", f"  command_max_age_s: {max_age} ", 1)
    )
    assert f"command_max_age_s: {max_age}" in text
    path.write_text(text)
    return path


def online_count(recorder: Recorder) -> int:
    return sum(1 for m in recorder.messages if m.topic == STATUS and m.payload == "online")


def start(make: Callable[[Path], Agent], config: Path, recorder: Recorder) -> Agent:
    agent = make(config)
    recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "online", 30)
    recorder.publish(COMMAND, "set the desk lamp to 5 percent")
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "5")
    return agent


def test_commands_sent_during_a_5_s_outage_are_acted_on_when_back(
    tmp_path: Path,
    relay: Relay,
    recorder: Recorder,
    agent_factory: Callable[[Path], Agent],
) -> None:
    agent = start(agent_factory, config_via(tmp_path, relay, 10), recorder)
    relay.down()
    agent.wait_log("lost the MQTT broker")
    onlines = online_count(recorder)
    for n in range(11, 21):  # the broker accepts each (QoS 1, acknowledged)
        recorder.publish(COMMAND, f"set the desk lamp to {n} percent")
    time.sleep(5 - 0.5)
    relay.up()
    back = time.monotonic()
    deadline = back + 10
    while online_count(recorder) == onlines and time.monotonic() < deadline:
        time.sleep(0.02)
    reconnect_s = time.monotonic() - back
    assert reconnect_s <= 2.0, f"back on the broker {reconnect_s:.1f} s after it returned"
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "20", 5)
    dimmed = [m.payload for m in recorder.messages if m.topic == DIMMER]
    assert dimmed == ["5", *(str(n) for n in range(11, 21))]  # none lost, in order


def test_nothing_runs_later_than_the_max_age(
    tmp_path: Path,
    relay: Relay,
    recorder: Recorder,
    agent_factory: Callable[[Path], Agent],
) -> None:
    agent = start(agent_factory, config_via(tmp_path, relay, 3), recorder)
    relay.down()
    agent.wait_log("lost the MQTT broker")
    sent = time.monotonic()
    recorder.publish(COMMAND, "set the desk lamp to 33 percent")
    onlines = online_count(recorder)
    time.sleep(6)
    relay.up()
    deadline = time.monotonic() + 10
    while online_count(recorder) == onlines and time.monotonic() < deadline:
        time.sleep(0.02)
    recorder.publish(COMMAND, "set the desk lamp to 44 percent")
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "44", 10)
    assert time.monotonic() - sent > 3
    assert [m.payload for m in recorder.messages if m.topic == DIMMER] == ["5", "44"]


def test_a_message_reported_as_not_sent_is_never_sent_later(
    relay: Relay, recorder: Recorder
) -> None:
    client = MqttClient(MqttConfig(port=relay.port, keepalive=5), "outage-test-sender")
    client.start()
    assert client.wait_connected(10)
    client.send(Action("switch.x", "test/first", "ON"))
    recorder.on("test/first")
    relay.held.set()  # the link stalls: the broker never acknowledges
    with pytest.raises(BrokerError, match="did not acknowledge test/late"):
        client.send(Action("switch.x", "test/late", "ON"), timeout=1.0)
    relay.down()  # the stalled bytes are lost with the connection
    relay.held.clear()
    relay.up()
    deadline = time.monotonic() + 10
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.wait_connected(10)
    client.send(Action("switch.x", "test/after", "ON"))
    recorder.on("test/after")
    time.sleep(1.0)
    assert not [m for m in recorder.messages if m.topic == "test/late"]
    client.stop()


def test_not_connected_fails_at_once_and_sends_nothing_later(
    broker: Broker, relay: Relay, recorder: Recorder
) -> None:
    client = MqttClient(MqttConfig(port=relay.port, keepalive=5), "outage-test-offline")
    client.start()
    assert client.wait_connected(10)
    relay.down()
    deadline = time.monotonic() + 10
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(BrokerError, match="not connected to the MQTT broker"):
        client.send(Action("switch.x", "test/offline", "ON"))
    relay.up()
    assert client.wait_connected(10)
    client.send(Action("switch.x", "test/online", "ON"))
    recorder.on("test/online")
    time.sleep(0.5)
    assert not [m for m in recorder.messages if m.topic == "test/offline"]
    client.stop()
