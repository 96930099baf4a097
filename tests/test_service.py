"""`voice-agent run` against a real broker: text in on MQTT, device messages and events out."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Agent, Broker, Recorder, example_config, free_port

COMMAND = "voice-agent/kitchen-pi/command"
STATUS = "voice-agent/kitchen-pi/status"


def started(make: Callable[[Path], Agent], config: Path, recorder: Recorder) -> Agent:
    agent = make(config)
    recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "online")
    agent.wait_log("connected to MQTT broker")
    return agent


def test_text_command_over_mqtt(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    started(agent_factory, example_config(tmp_path, broker.port), recorder)
    recorder.publish(COMMAND, "turn on the coffee machine")
    assert recorder.on("cmnd/coffee/POWER").payload == "ON"
    event = json.loads(recorder.on("voice-agent/kitchen-pi/intent").payload)
    assert event["text"] == "turn on the coffee machine"
    assert (event["intent"], event["targets"], event["tier"]) == (
        "turn_on",
        ["switch.coffee_machine"],
        "template",
    )
    assert event["actions"] == [
        {"device": "switch.coffee_machine", "topic": "cmnd/coffee/POWER", "payload": "ON"}
    ]
    assert event["latency_ms"] > 0
    assert (
        recorder.on("voice-agent/kitchen-pi/response").payload == "Turning on the coffee machine."
    )
    recorder.publish(COMMAND, json.dumps({"text": "set the desk lamp to 40 percent"}))
    assert recorder.on("cmnd/desk_lamp/Dimmer").payload == "40"


def test_retained_command_is_never_acted_on(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    recorder.publish(COMMAND, "turn on the coffee machine", retain=True)
    agent = started(agent_factory, example_config(tmp_path, broker.port), recorder)
    agent.wait_log("ignoring a retained message")
    recorder.publish(COMMAND, "turn off the hallway light")
    recorder.on("home/hallway/light/set")
    time.sleep(0.3)
    assert recorder.device_messages() == [("home/hallway/light/set", "OFF")]


def test_bad_payloads_are_logged_and_skipped(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    agent = started(agent_factory, example_config(tmp_path, broker.port), recorder)
    for bad in ('{"text": ', '{"words": "turn on"}', "   ", "\udcff"):
        recorder.client.publish(COMMAND, bad.encode("utf-8", "surrogateescape"), qos=1)
    recorder.client.publish(COMMAND, b"\xff\xfe", qos=1)
    recorder.publish(COMMAND, "turn on the coffee machine")
    assert recorder.on("cmnd/coffee/POWER").payload == "ON"
    log = agent.output()
    assert "skipping a message on voice-agent/kitchen-pi/command: invalid JSON" in log
    assert 'JSON payload needs a "text" string' in log
    assert "empty text" in log
    assert "payload is not UTF-8 text" in log
    assert agent.proc.poll() is None


def test_run_waits_for_the_broker_and_recovers_after_a_restart(
    tmp_path: Path, agent_factory: Callable[[Path], Agent]
) -> None:
    port = free_port()
    agent = agent_factory(example_config(tmp_path, port))
    time.sleep(2.5)  # no broker yet: the agent keeps retrying
    assert agent.proc.poll() is None
    broker = Broker(tmp_path, port).start()
    try:
        recorder = Recorder(port)
        recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "online", timeout=40)
        recorder.publish(COMMAND, "turn on the big light")
        assert recorder.on("home/kitchen/ceiling/set").payload == "ON"
        recorder.close()
        broker.stop()  # the broker goes away while the agent runs ...
        time.sleep(1.0)
        assert agent.proc.poll() is None
        broker = Broker(tmp_path, port).start()  # ... and comes back
        recorder = Recorder(port)
        recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "online", timeout=40)
        recorder.publish(COMMAND, "turn off the big light")
        assert recorder.on("home/kitchen/ceiling/set").payload == "OFF"
        recorder.close()
    finally:
        broker.stop()
    assert "lost the MQTT broker" in agent.output()


def test_last_will_and_clean_stop(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    config = example_config(tmp_path, broker.port)
    agent = started(agent_factory, config, recorder)
    agent.proc.send_signal(signal.SIGKILL)
    agent.proc.wait(5)
    offline = recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "offline")
    late = Recorder(broker.port, (STATUS,))  # a new subscriber sees the retained state
    assert late.wait_for(lambda m: m.topic == STATUS).payload == "offline"
    assert late.messages[0].retain
    late.close()
    agent = started(agent_factory, config, recorder)
    assert agent.stop() == 0
    recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "offline" and m is not offline)


def test_the_example_home_answers_from_state_and_steps_the_tv(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    """The example config's sensor and garage door have state topics, and its TV a
    step_payload: what a new user tries first works as written."""
    recorder.publish("home/office/temperature", "21.5", retain=True)
    recorder.publish("home/garage/door/state", "closed", retain=True)
    started(agent_factory, example_config(tmp_path, broker.port), recorder)

    def ask(text: str) -> tuple[str, list[tuple[str, str]]]:
        recorder.messages.clear()
        recorder.publish(COMMAND, text)
        event = json.loads(recorder.on("voice-agent/kitchen-pi/intent").payload)
        return event["response"], recorder.device_messages()

    deadline = time.monotonic() + 10
    while (answer := ask("what's the temperature in the office")[0]).startswith("I don't"):
        assert time.monotonic() < deadline, answer  # the retained state on its way
        time.sleep(0.2)
    assert answer == "The office temperature is 21.5 °C."
    assert ask("is the garage door open")[0] == "The garage door is closed."
    assert ask("turn the tv volume down") == ("Turning the TV down.", [("home/tv/volume", "down")])
    assert ask("louder on the telly") == ("Turning the TV up.", [("home/tv/volume", "up")])
    assert ask("set the tv volume to 20")[1] == [("home/tv/volume", "20")]
