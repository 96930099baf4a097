"""Every protocol, through a real Mosquitto: the exact topic and payload a device receives."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.cli import main
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.specs import HomeAssistantSpec, TasmotaSpec, TemplateCommand, TemplateSpec
from agent.messages import Action
from tests.conftest import Broker, Recorder, example_config, run_cli

# (command, [(topic, payload), ...]) for the example home, spoken in the kitchen
CASES = [
    # Home Assistant MQTT, default schema
    ("turn on the big light", [("home/kitchen/ceiling/set", "ON")]),
    ("turn off the hallway light", [("home/hallway/light/set", "OFF")]),
    ("set the big light to 50 percent", [("home/kitchen/ceiling/brightness/set", "128")]),
    ("make the big light red", [("home/kitchen/ceiling/rgb/set", "255,0,0")]),
    ("close the garage door", [("home/garage/door/set", "CLOSE")]),
    ("stop the garage door", [("home/garage/door/set", "STOP")]),
    ("lock the front door", [("home/front_door/lock/set", "LOCK")]),
    ("set the thermostat to 21.5 degrees", [("home/thermostat/target/set", "21.5")]),
    ("turn off the heating", [("home/thermostat/power/set", "OFF")]),
    ("set the bedroom fan to 60 percent", [("home/bedroom/fan/percentage/set", "60")]),
    ("turn on the bedroom fan", [("home/bedroom/fan/set", "ON")]),
    ("activate movie night scene", [("home/scenes/movie_night/set", "ON")]),
    ("start the vacuum", [("home/vacuum/command", "start")]),
    ("send the vacuum home", [("home/vacuum/command", "return_to_base")]),
    ("open the garden sprinkler", [("home/garden/valve/set", "OPEN")]),
    # Home Assistant MQTT, JSON schema
    ("turn on the reading lamp", [("home/living/lamp/set", '{"state": "ON"}')]),
    (
        "set the reading lamp to 50 percent",
        [("home/living/lamp/set", '{"state": "ON", "brightness": 128}')],
    ),
    (
        "make the reading lamp blue",
        [("home/living/lamp/set", '{"state": "ON", "color": {"r": 0, "g": 0, "b": 255}}')],
    ),
    # Zigbee2MQTT
    ("turn on the counter lights", [("zigbee2mqtt/kitchen/counter/set", '{"state": "ON"}')]),
    (
        "set the bedroom lamp to 50 percent",
        [("zigbee2mqtt/Bedroom Lamp/set", '{"state": "ON", "brightness": 127}')],
    ),
    (
        "make the bedroom lamp brighter",
        [("zigbee2mqtt/Bedroom Lamp/set", '{"brightness_step": 51}')],
    ),
    (
        "make the bedroom lamp green",
        [("zigbee2mqtt/Bedroom Lamp/set", '{"state": "ON", "color": {"r": 0, "g": 255, "b": 0}}')],
    ),
    ("set the blinds to 30 percent", [("zigbee2mqtt/Living Room Blinds/set", '{"position": 30}')]),
    ("open the blinds", [("zigbee2mqtt/Living Room Blinds/set", '{"state": "OPEN"}')]),
    ("stop the blinds", [("zigbee2mqtt/Living Room Blinds/set", '{"state": "STOP"}')]),
    ("lock the back door", [("zigbee2mqtt/Back Door Lock/set", '{"state": "LOCK"}')]),
    # Tasmota
    ("turn on the coffee machine", [("cmnd/coffee/POWER", "ON")]),
    ("set the desk lamp to 40 percent", [("cmnd/desk_lamp/Dimmer", "40")]),
    ("dim the desk lamp", [("cmnd/desk_lamp/Dimmer", "-")]),
    ("make the desk lamp purple", [("cmnd/desk_lamp/Color", "128,0,128")]),
    # explicit topic/payload templates
    ("set the tv volume to 20", [("home/tv/volume", "20")]),
    ("pause the tv", [("home/tv/cmd", "pause")]),
    ("play some jazz on the tv", [("home/tv/search", "jazz")]),
    ("switch on the telly", [("home/tv/power", "on")]),
    # groups: one message per device
    (
        "turn off the lights in the living room",
        [("home/living/lamp/set", '{"state": "OFF"}'), ("cmnd/living_ceiling/POWER", "OFF")],
    ),
]


@pytest.fixture
def config(tmp_path: Path, broker: Broker) -> Path:
    return example_config(tmp_path, broker.port)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_device_receives_exact_message(
    text: str,
    expected: list[tuple[str, str]],
    config: Path,
    recorder: Recorder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["say", "--config", str(config), text]) == 0
    event = json.loads(recorder.on("voice-agent/kitchen-pi/intent").payload)
    assert [(a["topic"], a["payload"]) for a in event["actions"]] == expected
    for topic, payload in expected:
        got = recorder.wait_for(lambda m, t=topic, p=payload: m.topic == t and m.payload == p)
        assert (got.qos, got.retain) == (1, False)
    time.sleep(0.1)
    assert recorder.device_messages() == expected
    reply = recorder.on("voice-agent/kitchen-pi/response").payload
    assert capsys.readouterr().out.strip() == reply


def test_say_as_a_user_runs_it(config: Path, recorder: Recorder) -> None:
    result = run_cli("say", "--config", str(config), "turn", "on", "the", "kitchen", "light")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Turning on the kitchen ceiling light and the counter lights.\n"
    recorder.wait_for(lambda m: m.topic == "zigbee2mqtt/kitchen/counter/set")
    assert sorted(recorder.device_messages()) == [
        ("home/kitchen/ceiling/set", "ON"),
        ("zigbee2mqtt/kitchen/counter/set", '{"state": "ON"}'),
    ]
    event = json.loads(recorder.on("voice-agent/kitchen-pi/intent").payload)
    assert set(event) == {
        "text",
        "intent",
        "slots",
        "targets",
        "confidence",
        "tier",
        "actions",
        "response",
        "latency_ms",
    }
    assert (event["intent"], event["targets"]) == (
        "turn_on",
        ["light.kitchen_ceiling", "light.kitchen_counter"],
    )


def test_say_prints_the_reply_and_nothing_else(config: Path, recorder: Recorder) -> None:
    done = run_cli("say", "--config", str(config), "turn off the kitchen light")
    assert done.returncode == 0
    assert done.stdout == "Turning off the kitchen ceiling light and the counter lights.\n"
    assert done.stderr == ""  # no "INFO agent.mqtt: connected ..." on every call


def test_say_that_cannot_act_exits_non_zero(config: Path, recorder: Recorder) -> None:
    result = run_cli("say", "--config", str(config), "turn on the spaceship")
    assert result.returncode == 1
    assert result.stdout == "Sorry, I don't know a device called spaceship.\n"
    recorder.on("voice-agent/kitchen-pi/response")
    assert recorder.device_messages() == []


def test_say_unlock_waits_for_yes_unless_confirmed(config: Path, recorder: Recorder) -> None:
    asked = run_cli("say", "--config", str(config), "unlock the front door")
    assert asked.returncode == 1
    assert asked.stdout == (
        "Do you really want to unlock the front door? Say yes to confirm. "
        "(here: voice-agent say yes, within 30 s; "
        'or at once: voice-agent say --yes "unlock the front door")\n'
    )
    done = run_cli("say", "--yes", "--config", str(config), "unlock the front door")
    assert done.returncode == 0, done.stderr
    recorder.wait_for(lambda m: m.topic == "home/front_door/lock/set")
    assert recorder.device_messages() == [("home/front_door/lock/set", "UNLOCK")]


def test_say_yes_answers_the_question_the_last_say_asked(config: Path, recorder: Recorder) -> None:
    """As by voice: "yes" confirms, "no" cancels, anything else said first drops the
    question, and a question older than understanding.confirm_timeout_s is gone."""

    def say(text: str) -> subprocess.CompletedProcess[str]:
        return run_cli("say", "--config", str(config), text)

    assert say("unlock the front door").returncode == 1
    yes = say("yes")
    assert (yes.returncode, yes.stdout) == (0, "Unlocking the front door.\n"), yes.stderr
    recorder.wait_for(lambda m: m.topic == "home/front_door/lock/set")
    assert recorder.device_messages() == [("home/front_door/lock/set", "UNLOCK")]
    recorder.messages.clear()
    say("unlock the front door")
    assert say("no").stdout == "OK, I won't.\n"
    assert say("yes").returncode == 1  # nothing asked now
    say("unlock the front door")
    say("turn on the coffee machine")
    assert say("yes").returncode == 1
    text = config.read_text()
    assert "  confirm_timeout_s: 30 " in text
    config.write_text(text.replace("  confirm_timeout_s: 30 ", "  confirm_timeout_s: 1 "))
    say("unlock the front door")
    time.sleep(1.5)
    assert say("yes").returncode == 1
    time.sleep(0.5)
    assert [t for t, _ in recorder.device_messages()] == ["cmnd/coffee/POWER"]


def test_say_with_the_broker_down_fails_clearly(tmp_path: Path) -> None:
    from tests.conftest import free_port

    port = free_port()
    config = example_config(tmp_path, port)
    result = run_cli("say", "--config", str(config), "turn on the big light")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        f"voice-agent: cannot connect to the MQTT broker at 127.0.0.1:{port}: Connection refused "
        "(is Mosquitto running? check mqtt.host and mqtt.port in the config)"
    )
    assert result.stdout == ""


# -- pure checks of protocol options the example home doesn't use -------------------------------


def test_tasmota_relay_and_shutter_index() -> None:
    plug = Device("switch.strip", "Strip", command=TasmotaSpec(topic="strip", relay=2))
    assert actions_for(plug, Command("turn_off")) == [
        Action("switch.strip", "cmnd/strip/POWER2", "OFF")
    ]
    blind = Device("cover.b", "B", command=TasmotaSpec(topic="blinds", shutter=2))
    assert actions_for(blind, Command("set_position", 40)) == [
        Action("cover.b", "cmnd/blinds/ShutterPosition2", "40")
    ]
    assert actions_for(blind, Command("open")) == [
        Action("cover.b", "cmnd/blinds/ShutterOpen2", "")
    ]
    assert actions_for(blind, Command("stop")) == [
        Action("cover.b", "cmnd/blinds/ShutterStop2", "")
    ]


def test_home_assistant_custom_payloads_and_scale() -> None:
    spec = HomeAssistantSpec(
        command_topic="l/set",
        payload_on="1",
        payload_off="0",
        brightness_command_topic="l/b",
        brightness_scale=100,
    )
    light = Device("light.l", "L", command=spec)
    assert actions_for(light, Command("turn_on")) == [Action("light.l", "l/set", "1")]
    assert actions_for(light, Command("set_brightness", 35)) == [Action("light.l", "l/b", "35")]
    assert actions_for(light, Command("set_brightness", 0)) == [Action("light.l", "l/set", "0")]


def test_relative_change_without_known_state_is_explained() -> None:
    light = Device(
        "light.l",
        "Porch Light",
        command=HomeAssistantSpec(command_topic="l/set", brightness_command_topic="l/b"),
    )
    with pytest.raises(UnsupportedCommand, match="the porch light's current setting"):
        actions_for(light, Command("set_brightness", None, "up"))


def test_template_payload_fields() -> None:
    spec = TemplateSpec({"set_color": TemplateCommand("rgb/{hex}", '{{"c": [{r}, {g}, {b}]}}')})
    lamp = Device("light.x", "X", command=spec)
    assert actions_for(lamp, Command("set_color", "orange")) == [
        Action("light.x", "rgb/FFA500", '{"c": [255, 165, 0]}')
    ]
    with pytest.raises(UnsupportedCommand):
        actions_for(lamp, Command("turn_on"))
