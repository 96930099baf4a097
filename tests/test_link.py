"""The link between the agent and the broker, at its edges: packets the MQTT library refuses
but MQTT 5 allows, a link that stalls without breaking, a stop with commands still queued,
and messages too big to be worth reading. A real Mosquitto, a real agent process."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.conftest import Agent, Broker, Recorder, example_config
from tests.proxy import Relay
from tests.test_outage import start as ready

COMMAND = "voice-agent/kitchen-pi/command"
STATUS = "voice-agent/kitchen-pi/status"
DIMMER = "cmnd/desk_lamp/Dimmer"
COFFEE = "cmnd/coffee/POWER"
PROBE = "voice-agent/kitchen-pi/probe"
DISCOVERY = "\nhome_assistant:\n  discovery: true\n"


def with_settings(path: Path, *, max_age: int = 10, keepalive: int = 60) -> Path:
    text = (
        path.read_text()
        .replace("  keepalive: 60 ", f"  keepalive: {keepalive} ", 1)
        .replace("  command_max_age_s: 10 ", f"  command_max_age_s: {max_age} ", 1)
    )
    assert f"command_max_age_s: {max_age}" in text and f"keepalive: {keepalive}" in text
    path.write_text(text)
    return path


def v5_client(port: int, name: str) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def feff_property() -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.UserProperty = [("note", "\ufeff")]  # legal in MQTT 5 [MQTT-1.5.4-3]
    return props


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def dimmed(recorder: Recorder) -> list[str]:
    return [m.payload for m in recorder.messages if m.topic == DIMMER]


def test_a_command_with_a_property_paho_refuses_is_acted_on_and_the_link_stays_up(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    agent = ready(agent_factory, example_config(tmp_path, broker.port), recorder)
    sender = v5_client(broker.port, "feff-sender")
    try:
        info = sender.publish(
            COMMAND, "turn on the coffee machine", qos=1, properties=feff_property()
        )
        info.wait_for_publish(5)
        recorder.wait_for(lambda m: m.topic == COFFEE and m.payload == "ON", 5)
        recorder.publish(COMMAND, "set the desk lamp to 40 percent")
        recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "40", 5)
        time.sleep(1.5)  # a redelivery, if the link had dropped, would come now
    finally:
        sender.loop_stop()
        sender.disconnect()
    out = agent.output()
    assert "had MQTT properties paho cannot read" in out
    assert "lost the MQTT broker" not in out
    assert [m.payload for m in recorder.messages if m.topic == COFFEE] == ["ON"]


def test_a_retained_discovery_config_with_such_a_property_is_read(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    sender = v5_client(broker.port, "feff-announcer")
    try:
        config = {"name": "Patio Heater", "cmd_t": "patio/heater/set"}
        sender.publish(
            "homeassistant/switch/patio_heater/config",
            json.dumps(config),
            qos=1,
            retain=True,
            properties=feff_property(),
        ).wait_for_publish(5)
    finally:
        sender.loop_stop()
        sender.disconnect()
    agent = ready(agent_factory, example_config(tmp_path, broker.port, DISCOVERY), recorder)
    agent.wait_log("1 discovered entities")
    recorder.publish(COMMAND, "turn on the patio heater")
    recorder.wait_for(lambda m: m.topic == "patio/heater/set" and m.payload == "ON", 5)
    assert "discovery connection to" not in agent.output()  # never lost


def test_commands_held_in_a_stalled_link_never_run_late(
    tmp_path: Path, relay: Relay, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    """The link stalls (no reset, nothing passes) for three times the max age; commands sent
    meanwhile are accepted by the broker. When it moves again none of them runs."""
    config = with_settings(example_config(tmp_path, relay.port), max_age=4)
    agent = ready(agent_factory, config, recorder)
    relay.held.set()
    time.sleep(0.5)
    for n in (61, 62, 63):
        recorder.publish(COMMAND, f"set the desk lamp to {n} percent")
    time.sleep(12)
    relay.held.clear()
    released = time.monotonic()
    agent.wait_log("connected to MQTT broker", 10)
    while time.monotonic() - released < 6:  # the agent is back: a new command runs
        recorder.publish(COMMAND, "set the desk lamp to 70 percent")
        try:
            recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "70", 1)
            break
        except AssertionError:
            continue
    time.sleep(1)
    assert dimmed(recorder)[0] == "5"
    assert not {"61", "62", "63"} & set(dimmed(recorder)), dimmed(recorder)
    assert "70" in dimmed(recorder)


def test_a_command_in_a_short_stall_runs_once_it_moves(
    tmp_path: Path, relay: Relay, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    config = with_settings(example_config(tmp_path, relay.port), max_age=10)
    ready(agent_factory, config, recorder)
    relay.held.set()
    recorder.publish(COMMAND, "set the desk lamp to 33 percent")
    time.sleep(2)
    relay.held.clear()
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "33", 10)
    time.sleep(0.5)
    assert dimmed(recorder) == ["5", "33"]


def test_commands_queued_at_a_stop_run_once_each_across_the_restart(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    config = example_config(tmp_path, broker.port)
    agent = ready(agent_factory, config, recorder)
    values = [str(n) for n in range(10, 100)]
    for value in values:
        recorder.publish(COMMAND, f"set the desk lamp to {value} percent")
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "10", 5)
    assert agent.stop() == 0  # SIGTERM in the middle of them
    agent_factory(config)
    deadline = time.monotonic() + 20
    while dimmed(recorder)[-1:] != ["99"] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    assert dimmed(recorder) == ["5", *values]  # none lost, none twice, in order


def test_a_huge_message_is_never_read(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    """The agent tells the broker the largest packet it takes: a 40 MB command or discovery
    message is not sent to it, so it costs the agent no memory."""
    agent = ready(agent_factory, example_config(tmp_path, broker.port, DISCOVERY), recorder)
    before = vm_hwm_kb(agent.proc.pid)
    big = b"x" * (40 * 1024 * 1024)
    recorder.client.publish(COMMAND, big, qos=1).wait_for_publish(30)
    recorder.client.publish("homeassistant/sensor/big/config", big, qos=0).wait_for_publish(30)
    time.sleep(2)
    recorder.publish(COMMAND, "set the desk lamp to 41 percent")
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "41", 5)
    grown_mb = (vm_hwm_kb(agent.proc.pid) - before) / 1024
    assert grown_mb < 10, f"peak memory grew {grown_mb:.0f} MB"
    assert "lost the MQTT broker" not in agent.output()


def test_commands_queued_at_a_stop_in_a_discovery_storm_are_all_done(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    """A storm of discovery and state messages makes each command wait for states a little:
    hundreds are still queued at SIGTERM, and every one is done once, by one agent or the
    next."""
    config = example_config(tmp_path, broker.port, DISCOVERY)
    agent = ready(agent_factory, config, recorder)
    stop = threading.Event()

    def storm() -> None:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id="storm")
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        i = 0
        while not stop.is_set():
            n = i % 5000
            sensor = {"name": f"Storm Sensor {n}", "stat_t": f"storm/{n}", "uniq_id": f"u{n}"}
            client.publish(f"homeassistant/sensor/s{n}/config", json.dumps(sensor))
            client.publish(f"storm/{n}", str(i))
            i += 1
            if i % 200 == 0:
                time.sleep(0.01)
        client.loop_stop()
        client.disconnect()

    stormer = threading.Thread(target=storm, daemon=True)
    stormer.start()
    try:
        time.sleep(3)
        count = 900
        sent = [
            recorder.client.publish(COMMAND, f"set the desk lamp to {1 + n % 100} percent", 1)
            for n in range(count)
        ]  # all at once, not one by one: they queue up in the agent
        sent[-1].wait_for_publish(10)
        time.sleep(0.3)
        assert agent.stop() == 0
        agent_factory(config)
        deadline = time.monotonic() + 30
        while len(dimmed(recorder)) < count + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop.set()
        stormer.join(5)
    assert len(dimmed(recorder)) == count + 1  # the first "5", and each of them once


def test_a_forged_probe_cannot_pass_off_a_stale_command(
    tmp_path: Path, relay: Relay, recorder: Recorder, agent_factory: Callable[[Path], Agent]
) -> None:
    """During a stall, someone on the broker sends the probe values it could guess (the
    agent's pid and a counter; any hex) ahead of a command: the command still counts as
    waiting since the stall began, and is not done 12 s after it was sent."""
    config = with_settings(example_config(tmp_path, relay.port), max_age=10)
    agent = ready(agent_factory, config, recorder)
    relay.held.set()
    time.sleep(0.3)
    for n in range(1, 21):
        recorder.publish(PROBE, f"{agent.proc.pid}-{n}")
        recorder.publish(PROBE, f"{n:032x}")
    recorder.publish(COMMAND, "turn on the coffee machine")
    time.sleep(11.7)
    relay.held.clear()
    time.sleep(6)
    assert [m.payload for m in recorder.messages if m.topic == COFFEE] == []
    recorder.publish(COMMAND, "set the desk lamp to 70 percent")
    recorder.wait_for(lambda m: m.topic == DIMMER and m.payload == "70", 10)
