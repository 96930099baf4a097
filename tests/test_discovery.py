"""Home Assistant MQTT discovery against a real broker: discovery configs in the shapes that
Zigbee2MQTT, Tasmota (SetOption19) and ESPHome publish, and a device-based one; commands land
on the discovered topics with the discovered payloads; states are answered; removal, bad
payloads, overlays from the config, the expose filter, and the agent's own entities."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.home.discovery import DiscoveryError, read
from agent.home.expose import Expose
from tests.conftest import ROOT, Agent, Broker, Recorder, run_cli

Z2M_LIGHT = (
    "homeassistant/light/0x00124b0022dc1a2f/light/config",
    {
        "availability": [{"topic": "zigbee2mqtt/bridge/state"}],
        "brightness": True,
        "brightness_scale": 254,
        "command_topic": "zigbee2mqtt/Kitchen Light/set",
        "device": {
            "identifiers": ["zigbee2mqtt_0x00124b0022dc1a2f"],
            "manufacturer": "IKEA",
            "model": "LED1545G12",
            "name": "Kitchen Light",
            "via_device": "zigbee2mqtt_bridge_0x00124b001234abcd",
        },
        "json_attributes_topic": "zigbee2mqtt/Kitchen Light",
        "name": None,
        "object_id": "kitchen_light",
        "origin": {"name": "Zigbee2MQTT", "sw": "1.40.0", "url": "https://www.zigbee2mqtt.io"},
        "schema": "json",
        "state_topic": "zigbee2mqtt/Kitchen Light",
        "supported_color_modes": ["xy", "color_temp"],
        "unique_id": "0x00124b0022dc1a2f_light_zigbee2mqtt",
    },
)
Z2M_TEMPERATURE = (
    "homeassistant/sensor/0x00158d0001a2b3c4/temperature/config",
    {
        "availability": [{"topic": "zigbee2mqtt/bridge/state"}],
        "device": {
            "identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"],
            "manufacturer": "Xiaomi",
            "model": "WSDCGQ11LM",
            "name": "Office Sensor",
        },
        "device_class": "temperature",
        "enabled_by_default": True,
        "name": "Temperature",
        "object_id": "office_sensor_temperature",
        "state_class": "measurement",
        "state_topic": "zigbee2mqtt/Office Sensor",
        "unique_id": "0x00158d0001a2b3c4_temperature_zigbee2mqtt",
        "unit_of_measurement": "°C",
        "value_template": "{{ value_json.temperature }}",
    },
)
TASMOTA_LIGHT = (
    "homeassistant/light/9A55A3_LI_1/config",
    {
        "name": "Bedroom Lamp",
        "cmd_t": "~cmnd/POWER",
        "stat_t": "~tele/STATE",
        "val_tpl": "{{value_json.POWER}}",
        "pl_off": "OFF",
        "pl_on": "ON",
        "avty_t": "~tele/LWT",
        "pl_avail": "Online",
        "pl_not_avail": "Offline",
        "uniq_id": "9A55A3_LI_1",
        "device": {"identifiers": ["9A55A3"], "connections": [["mac", "70:03:9F:9A:55:A3"]]},
        "~": "bedroom_lamp/",
        "bri_cmd_t": "~cmnd/Dimmer",
        "bri_stat_t": "~tele/STATE",
        "bri_scl": 100,
        "on_cmd_type": "brightness",
        "bri_val_tpl": "{{value_json.Dimmer}}",
    },
)
ESPHOME_SWITCH = (
    "homeassistant/switch/livingroom/coffee_machine/config",
    {
        "name": "Coffee Machine",
        "stat_t": "livingroom/switch/coffee_machine/state",
        "cmd_t": "livingroom/switch/coffee_machine/command",
        "avty_t": "livingroom/status",
        "uniq_id": "ESPswitchcoffee_machine",
        "dev": {
            "ids": "246f28aabbcc",
            "name": "livingroom",
            "sw": "esphome v2024.6.1",
            "mdl": "esp32dev",
            "mf": "espressif",
        },
    },
)
DEVICE_BASED = (
    "homeassistant/device/garage_controller/config",
    {
        "dev": {"ids": "garage_ctl_01", "name": "Garage Controller", "sa": "Garage"},
        "o": {"name": "garage2mqtt", "sw": "1.0"},
        "~": "garage/ctl/",
        "avty_t": "~status",
        "cmps": {
            "door": {
                "p": "cover",
                "name": "Garage Door",
                "dev_cla": "garage",
                "cmd_t": "~door/set",
                "stat_t": "~door/state",
                "uniq_id": "garage_ctl_01_door",
            },
            "light": {
                "p": "light",
                "name": "Garage Light",
                "cmd_t": "~light/set",
                "stat_t": "~light/state",
                "uniq_id": "garage_ctl_01_light",
            },
        },
    },
)
CLIMATE = (
    "homeassistant/climate/hallway/thermostat/config",
    {
        "name": "Hall Thermostat",
        "mode_cmd_t": "hall/thermostat/mode/set",
        "mode_stat_t": "hall/thermostat/mode/state",
        "modes": ["off", "cool", "heat"],
        "temp_cmd_t": "hall/thermostat/target/set",
        "temp_stat_t": "hall/thermostat/target/state",
        "curr_temp_t": "hall/thermostat/current",
        "uniq_id": "hall_thermostat",
    },
)
LOCK = (
    "homeassistant/lock/front_door/config",
    {"name": "Front Door", "cmd_t": "home/front_door/set", "uniq_id": "front_door_lock"},
)

CONFIG = """\
mqtt: {{host: 127.0.0.1, port: {port}}}
site: {{id: kitchen-pi, area: Kitchen}}
understanding: {{model: {root}/models/intent-minilm}}
voice: {{enabled: false}}
areas:
  - {{name: Kitchen}}
  - {{name: Office}}
  - {{name: Bedroom}}
  - {{name: Living Room}}
devices:
  # a discovered entity placed and named by the config (no protocol: it overlays)
  - {{id: sensor.office_sensor_temperature, name: Office Temperature, area: Office}}
  - {{id: light.bedroom_lamp, name: Bedroom Lamp, area: Bedroom, aliases: [reading lamp]}}
  - {{id: switch.livingroom_coffee_machine, name: Coffee Machine, area: Living Room}}
home_assistant:
  discovery: true
  prefix: homeassistant
{expose}"""


def _publish(recorder: Recorder, *configs: tuple[str, dict[str, object]]) -> None:
    for topic, body in configs:
        recorder.publish(topic, json.dumps(body), retain=True)


def _config(tmp_path: Path, port: int, expose: str = "") -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(CONFIG.format(port=port, root=ROOT, expose=expose))
    return path


def _say(recorder: Recorder, text: str) -> dict[str, object]:
    recorder.messages.clear()
    recorder.publish("voice-agent/kitchen-pi/command", text)
    return json.loads(recorder.on("voice-agent/kitchen-pi/intent", timeout=15).payload)  # type: ignore[no-any-return]


@pytest.fixture
def discovered(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> Agent:
    _publish(recorder, Z2M_LIGHT, Z2M_TEMPERATURE, TASMOTA_LIGHT, ESPHOME_SWITCH, DEVICE_BASED)
    _publish(recorder, LOCK)
    agent = agent_factory(_config(tmp_path, broker.port))
    agent.wait_log("(7 discovered entities)", timeout=60)
    return agent


def test_commands_land_on_discovered_topics(recorder: Recorder, discovered: Agent) -> None:
    _say(recorder, "turn on the kitchen light")
    assert recorder.device_messages() == [("zigbee2mqtt/Kitchen Light/set", '{"state": "ON"}')]
    _say(recorder, "set the kitchen light to 50 percent")
    assert recorder.device_messages() == [
        ("zigbee2mqtt/Kitchen Light/set", '{"state": "ON", "brightness": 127}')
    ]
    _say(recorder, "turn on the reading lamp")  # Tasmota, "~" topics, aliased by the config
    assert recorder.device_messages() == [("bedroom_lamp/cmnd/POWER", "ON")]
    _say(recorder, "dim the bedroom lamp to 30 percent")  # brightness_scale 100
    assert recorder.device_messages() == [("bedroom_lamp/cmnd/Dimmer", "30")]
    _say(recorder, "switch off the coffee machine")  # ESPHome
    assert recorder.device_messages() == [("livingroom/switch/coffee_machine/command", "OFF")]
    _say(recorder, "turn on the garage light")  # device-based discovery, area from "sa"
    assert recorder.device_messages() == [("garage/ctl/light/set", "ON")]


def test_states_answer_questions(recorder: Recorder, discovered: Agent) -> None:
    # Retained, so that they reach the agent even where its state subscriptions are
    # acknowledged after these publishes; the questions go on the command connection, which
    # the broker does not order with the states, so each is asked until it is answered.
    recorder.publish(
        "zigbee2mqtt/Office Sensor", '{"temperature": 21.5, "humidity": 40}', retain=True
    )
    recorder.publish("garage/ctl/door/state", "closed", retain=True)
    recorder.publish("zigbee2mqtt/Kitchen Light", '{"state": "ON", "brightness": 127}', retain=True)
    recorder.publish("bedroom_lamp/tele/STATE", '{"POWER": "OFF", "Dimmer": 40}', retain=True)
    recorder.publish("livingroom/switch/coffee_machine/state", "ON", retain=True)
    _answered(
        recorder, "what's the temperature in the office", "The office temperature is 21.5 °C."
    )
    _answered(recorder, "is the garage door open", "The garage door is closed.")
    _answered(recorder, "is the kitchen light on", "The kitchen light is on at 50%.")
    _answered(recorder, "which lights are on", "The kitchen light is on.")
    # relative changes start from the known state: 50% + a step of 20%
    _say(recorder, "make the kitchen light brighter")
    assert recorder.device_messages() == [
        ("zigbee2mqtt/Kitchen Light/set", '{"state": "ON", "brightness": 178}')
    ]


def _answered(recorder: Recorder, question: str, expected: str, timeout: float = 10) -> None:
    """Ask until the reply is `expected` (the states it needs may still be on their way)."""
    deadline = time.monotonic() + timeout
    while (reply := _say(recorder, question)["response"]) != expected:
        assert time.monotonic() < deadline, reply
        time.sleep(0.1)


def _inventory_now(agent: Agent, needle: str, timeout: float = 15) -> None:
    """Wait until the agent's latest inventory line has `needle` (an earlier line may have
    had it on the way up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [x for x in agent.output().splitlines() if "inventory:" in x]
        if lines and needle in lines[-1]:
            return
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not in the last inventory line:\n{agent.output()}")


def test_removal_and_replacement(recorder: Recorder, discovered: Agent) -> None:
    recorder.publish(ESPHOME_SWITCH[0], "", retain=True)
    _inventory_now(discovered, "(6 discovered entities)")
    event = _say(recorder, "turn on the coffee machine")
    assert recorder.device_messages() == []
    assert event["intent"] == "none"
    # a new config replaces the old: the light moves to another command topic
    topic, body = Z2M_LIGHT
    _publish(recorder, (topic, {**body, "command_topic": "zigbee2mqtt/Kitchen Light 2/set"}))
    moved = [("zigbee2mqtt/Kitchen Light 2/set", '{"state": "OFF"}')]
    deadline = time.monotonic() + 15  # the count stays 6: no log line says it is taken
    while True:
        _say(recorder, "turn off the kitchen light")
        if recorder.device_messages() == moved or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert recorder.device_messages() == moved


def test_bad_payloads_are_skipped_and_logged_once(recorder: Recorder, discovered: Agent) -> None:
    recorder.publish("homeassistant/switch/broken/config", "{not json", retain=True)
    recorder.publish("homeassistant/switch/nocmd/config", '{"name": "No Command"}', retain=True)
    recorder.publish("homeassistant/siren/loud/config", '{"name": "Siren", "cmd_t": "s/set"}')
    recorder.publish("homeassistant/light/huge/config", '{"name": "' + "x" * 1_100_000 + '"}')
    recorder.publish("homeassistant/switch/broken/config", "{not json", retain=True)
    discovered.wait_log("skipping the discovery config on homeassistant/light/huge/config")
    log = discovered.output()
    assert log.count("skipping the discovery config on homeassistant/switch/broken/config") == 1
    assert "homeassistant/switch/nocmd/config: a switch needs a command_topic" in log
    assert "homeassistant/siren/loud/config: component 'siren' is not supported" in log
    assert "1100012 bytes is over the 65536-byte limit" in log
    _say(recorder, "turn on the kitchen light")  # the rest still works
    assert recorder.device_messages() == [("zigbee2mqtt/Kitchen Light/set", '{"state": "ON"}')]


def test_locks_are_not_exposed_unless_asked(recorder: Recorder, discovered: Agent) -> None:
    """...and the reply says so, rather than that there is no such device."""
    event = _say(recorder, "lock the front door")
    assert recorder.device_messages() == [] and event["intent"] == "none"
    assert event["response"] == (
        "Sorry, the front door is not exposed to voice control "
        "(home_assistant.expose in the config)."
    )
    event = _say(recorder, "lock the back door")
    assert event["response"] == "Sorry, I don't know a device called back door."


def test_expose_lets_locks_in(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    _publish(recorder, LOCK, ESPHOME_SWITCH)
    expose = "  expose:\n    domains: [lock, switch]\n    exclude: ['*coffee*']\n"
    agent = agent_factory(_config(tmp_path, broker.port, expose))
    agent.wait_log("(2 discovered entities)", timeout=60)
    _say(recorder, "lock the front door")
    assert recorder.device_messages() == [("home/front_door/set", "LOCK")]
    _say(recorder, "turn on the coffee machine")  # the config names it: overlays win
    assert recorder.device_messages() == [("livingroom/switch/coffee_machine/command", "ON")]


def test_the_agent_announces_itself(broker: Broker, recorder: Recorder, discovered: Agent) -> None:
    own = "homeassistant/device/voice_agent_kitchen_pi/config"
    recorder.on(own)
    later = Recorder(broker.port)  # a late subscriber (Home Assistant starting) gets it retained
    try:
        kept = later.on(own)
    finally:
        later.close()
    assert kept.retain
    body = json.loads(kept.payload)
    assert body["dev"]["ids"] == ["voice_agent_kitchen_pi"]
    assert body["o"]["name"] == "voice-agent"
    assert (body["avty_t"], body["pl_avail"], body["pl_not_avail"]) == (
        "voice-agent/kitchen-pi/status",
        "online",
        "offline",
    )
    parts = body["cmps"]
    assert {k: v["p"] for k, v in parts.items()} == {
        "transcript": "sensor",
        "intent": "sensor",
        "reply": "sensor",
        "command": "text",
    }
    assert all(p["uniq_id"] == f"voice_agent_kitchen_pi_{k}" for k, p in parts.items())
    assert parts["command"]["cmd_t"] == "voice-agent/kitchen-pi/command"
    # Home Assistant restarts: the agent announces itself again
    recorder.messages.clear()
    recorder.publish("homeassistant/status", "online")
    assert json.loads(recorder.on(own).payload) == body


def test_forget_removes_the_agents_entities(
    tmp_path: Path, broker: Broker, recorder: Recorder, discovered: Agent
) -> None:
    from tests.conftest import run_cli

    discovered.stop()
    result = run_cli("forget", "--config", str(_config(tmp_path, broker.port)))
    assert result.returncode == 0, result.stderr
    assert "removed the agent from Home Assistant" in result.stdout
    own = [m for m in recorder.messages if m.topic.endswith("voice_agent_kitchen_pi/config")]
    assert own[-1].payload == ""
    later = Recorder(broker.port)  # nothing retained is left for Home Assistant to find
    try:
        time.sleep(0.5)
        assert not [m for m in later.messages if m.topic.endswith("voice_agent_kitchen_pi/config")]
    finally:
        later.close()


# -- the parser alone ----------------------------------------------------------------


def test_abbreviations_and_base_topic() -> None:
    topic, body = TASMOTA_LIGHT
    (entity,) = read("homeassistant", topic, json.dumps(body).encode()).entities
    assert entity.id == "light.bedroom_lamp"
    assert entity.command is not None
    assert entity.command.command_topic == "bedroom_lamp/cmnd/POWER"
    assert entity.command.brightness_command_topic == "bedroom_lamp/cmnd/Dimmer"
    assert entity.command.brightness_scale == 100
    assert [(s.topic, s.attribute, s.template) for s in entity.states] == [
        ("bedroom_lamp/tele/STATE", "state", "{{value_json.POWER}}"),
        ("bedroom_lamp/tele/STATE", "brightness", "{{value_json.Dimmer}}"),
    ]


def test_device_based_components_and_their_removal() -> None:
    topic, body = DEVICE_BASED
    got = read("homeassistant", topic, json.dumps(body).encode())
    assert [(e.id, e.name, e.aliases, e.area) for e in got.entities] == [
        (
            "cover.garage_controller_garage_door",
            "Garage Door",
            ("Garage Controller Garage Door",),
            "Garage",
        ),
        (
            "light.garage_controller_garage_light",
            "Garage Light",
            ("Garage Controller Garage Light",),
            "Garage",
        ),
    ]
    cmps = dict(body["cmps"])  # type: ignore[call-overload]
    cmps["light"] = {"p": "light"}  # only the platform left: that component goes
    smaller = read("homeassistant", topic, json.dumps({**body, "cmps": cmps}).encode())
    assert [e.id for e in smaller.entities] == ["cover.garage_controller_garage_door"]
    assert read("homeassistant", topic, b"").entities == ()


def test_names_follow_home_assistant() -> None:
    _, z2m = Z2M_TEMPERATURE
    (sensor,) = read("homeassistant", Z2M_TEMPERATURE[0], json.dumps(z2m).encode()).entities
    assert (sensor.name, sensor.id, sensor.unit) == (
        "Office Sensor Temperature",
        "sensor.office_sensor_temperature",
        "°C",
    )
    assert sensor.aliases == ()  # never a bare "Temperature": it would name every sensor
    _, light = Z2M_LIGHT
    (main,) = read("homeassistant", Z2M_LIGHT[0], json.dumps(light).encode()).entities
    assert main.name == "Kitchen Light"  # name null: the device's name


def test_unusable_configs_say_why() -> None:
    with pytest.raises(DiscoveryError, match="not JSON"):
        read("homeassistant", "homeassistant/light/x/config", b"{")
    with pytest.raises(DiscoveryError, match="needs a command_topic"):
        read("homeassistant", "homeassistant/light/x/config", b'{"name": "x"}')
    with pytest.raises(DiscoveryError, match="not a discovery config topic"):
        read("homeassistant", "homeassistant/light/config", b"{}")


def test_expose_filter() -> None:
    e = Expose(areas=("Kitchen",), exclude=("*test*",))
    assert e.allows("light", "Counter Light", "kitchen")
    assert not e.allows("light", "Counter Light", "Office")
    assert not e.allows("light", "Test Light", "Kitchen")
    assert not e.allows("lock", "Back Door", "Kitchen")  # sensitive: off by default


def test_value_templates_in_common_forms() -> None:
    from agent.home.state import render
    from agent.home.template_filters import TemplateError

    assert render("{{ value_json.POWER }}", '{"POWER": "ON"}') == "ON"
    assert render("{{value_json['temperature'] | round(1)}}", '{"temperature": 21.46}') == "21.5"
    assert render("{{ value_json.a.b | float }}", '{"a": {"b": "3"}}') == "3.0"
    assert render("{{ value | int }}", "42.7") == "42"
    assert render("{{ value_json.missing }}", "{}") == ""  # read as nothing
    assert render(None, "closed") == "closed"
    assert render("{% if value == '1' %}on{% endif %}", "1") == "on"
    with pytest.raises(TemplateError, match="no attribute 'a'"):
        render("{{ value_json.a.b }}", "{}")


def test_a_discovered_thermostat(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    _publish(recorder, CLIMATE)
    agent = agent_factory(_config(tmp_path, broker.port))
    agent.wait_log("(1 discovered entities)", timeout=60)
    # Retained, as a thermostat keeps them: they reach the agent even where its state
    # subscriptions are acknowledged after this publish.
    recorder.publish("hall/thermostat/target/state", "20", retain=True)
    recorder.publish("hall/thermostat/current", "18.5", retain=True)
    recorder.publish("hall/thermostat/mode/state", "heat", retain=True)
    # States come on the discovery connection and the question on the command one: the
    # broker does not order the two, so ask until all three states have been taken.
    _answered(
        recorder,
        "what is the hall thermostat set to",
        "The hall thermostat is set to 20 degrees in heat mode, 18.5 degrees now.",
    )
    _say(recorder, "turn up the hall thermostat")  # from the known 20: one degree more
    assert recorder.device_messages() == [("hall/thermostat/target/set", "21")]
    _say(recorder, "turn off the hall thermostat")  # no power topic: the "off" mode
    assert recorder.device_messages() == [("hall/thermostat/mode/set", "off")]


def test_removed_entities_leave_no_subscriptions(
    tmp_path: Path, agent_factory: Callable[..., Agent]
) -> None:
    """The broker's own count of subscriptions ($SYS) goes back down when entities go."""
    broker = Broker(tmp_path, extra="sys_interval 1\n").start()
    recorder = Recorder(broker.port)
    try:
        count = "$SYS/broker/subscriptions/count"

        def subscriptions() -> int:
            """The broker's latest count (published when it changes, each second at most)."""
            time.sleep(2.5)
            return int([m for m in recorder.messages if m.topic == count][-1].payload)

        recorder.client.subscribe(count, 0)
        agent = agent_factory(_config(tmp_path, broker.port))
        agent.wait_log("connected to MQTT broker", 30)
        before = subscriptions()
        plugs = [
            (
                f"homeassistant/switch/plug{i}/config",
                {"name": f"Plug {i}", "cmd_t": f"plug/{i}/set", "stat_t": f"plug/{i}/state"},
            )
            for i in range(40)
        ]
        _publish(recorder, *plugs)
        agent.wait_log("(40 discovered entities)", 30)
        assert subscriptions() == before + 40
        for topic, _ in plugs:
            recorder.publish(topic, "", retain=True)
        agent.wait_log("(0 discovered entities)", 30)
        assert subscriptions() == before
    finally:
        recorder.close()
        broker.stop()


def test_thousands_of_retained_configs_all_arrive_on_a_stock_broker(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """Mosquitto queues 1000 QoS 1 messages per client by default: discovery is read at QoS
    0, which it sends at once, so a home of thousands of entities arrives whole."""
    for i in range(3000):
        body = {"name": f"Shelf Plug {i}", "cmd_t": f"shelf/{i}/set", "stat_t": f"shelf/{i}/st"}
        recorder.client.publish(f"homeassistant/switch/shelf{i}/config", json.dumps(body), 1, True)
    recorder.publish("homeassistant/switch/shelf_last/config", "", retain=True)  # all sent
    agent = agent_factory(_config(tmp_path, broker.port))
    _inventory_now(agent, "(3000 discovered entities)", timeout=120)
    _say(recorder, "turn on shelf plug 2999")
    assert recorder.device_messages() == [("shelf/2999/set", "ON")]


def test_a_discovery_only_config_names_its_site_area_from_discovery(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """No areas and no devices in the config: the site's area is one a discovered device
    suggests, and "turn on the light" said there means that area's light."""
    _publish(recorder, DEVICE_BASED, Z2M_LIGHT)
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"
        "site: {id: kitchen-pi, area: Garage}\n"
        f"understanding: {{model: {ROOT}/models/intent-minilm}}\n"
        "home_assistant: {discovery: true}\n"
        "voice: {enabled: false}\n"
    )
    agent = agent_factory(config)
    agent.wait_log("(3 discovered entities)", timeout=60)
    _say(recorder, "turn on the light")
    assert recorder.device_messages() == [("garage/ctl/light/set", "ON")]


def test_say_acts_on_discovered_devices_and_leaves_the_services_reply(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """A device known only from a retained discovery config: `say` acts on it as the running
    service would, answers from its retained state, and publishes no event or reply (Home
    Assistant shows the service's last reply there)."""
    _publish(recorder, Z2M_LIGHT, DEVICE_BASED)
    recorder.publish("garage/ctl/door/state", "open", retain=True)
    config = _config(tmp_path, broker.port)
    agent = agent_factory(config)
    agent.wait_log("(3 discovered entities)", timeout=60)
    recorder.messages.clear()
    done = run_cli("say", "--config", str(config), "turn on the kitchen light")
    assert (done.returncode, done.stdout) == (0, "Turning on the kitchen light.\n"), done.stderr
    asked = run_cli("say", "--config", str(config), "is the garage door open")
    assert (asked.returncode, asked.stdout) == (0, "The garage door is open.\n"), asked.stderr
    time.sleep(0.3)
    assert recorder.device_messages() == [("zigbee2mqtt/Kitchen Light/set", '{"state": "ON"}')]
    replies = ("voice-agent/kitchen-pi/intent", "voice-agent/kitchen-pi/response")
    assert [m.topic for m in recorder.messages if m.topic in replies] == []
    agent.proc.terminate()  # no service running: `say` is the agent, and says so
    agent.proc.wait(15)
    recorder.wait_for(
        lambda m: m.topic == "voice-agent/kitchen-pi/status" and m.payload == "offline"
    )
    run_cli("say", "--config", str(config), "turn off the kitchen light")
    assert (
        recorder.on("voice-agent/kitchen-pi/response").payload == "Turning off the kitchen light."
    )


def test_parse_sees_discovered_devices_and_acts_on_none(
    tmp_path: Path, broker: Broker, recorder: Recorder
) -> None:
    _publish(recorder, Z2M_LIGHT)
    config = _config(tmp_path, broker.port)
    recorder.messages.clear()
    done = run_cli("parse", "--config", str(config), stdin="turn on the kitchen light\n")
    event = json.loads(done.stdout)
    assert (event["intent"], event["targets"]) == ("turn_on", ["light.kitchen_light"]), event
    time.sleep(0.2)
    assert recorder.device_messages() == []
    offline = config.read_text().replace(f"port: {broker.port}", "port: 9")
    config.write_text(offline)  # no broker: the config's devices only, and a warning
    done = run_cli("parse", "--config", str(config), stdin="turn on the bedroom lamp\n")
    assert json.loads(done.stdout)["targets"] == ["light.bedroom_lamp"]
    assert "parsing with the config's devices only" in done.stderr
