"""Discovered devices whose configs carry Home Assistant templates, on a real broker: each
device receives the payload its command template makes (Zigbee2MQTT's covers, a fan's speed
range, a thermostat's setpoint, a light of the template schema), states read through value
templates, and a hostile template neither hangs the agent nor stops it acting."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Agent, Broker, Recorder
from tests.test_discovery import _config, _publish, _say

Z2M_COVER = (
    "homeassistant/cover/0x00158d00045b2a11/cover/config",
    {
        "name": None,
        "device": {"identifiers": ["zigbee2mqtt_0x00158d00045b2a11"], "name": "Office Blinds"},
        "command_topic": "zigbee2mqtt/Office Blinds/set",
        "state_topic": "zigbee2mqtt/Office Blinds",
        "value_template": '{{ value_json.state if value_json.state is defined else "" }}',
        "state_open": "OPEN",
        "state_closed": "CLOSE",
        "position_topic": "zigbee2mqtt/Office Blinds",
        "position_template": "{{ value_json.position }}",
        "set_position_topic": "zigbee2mqtt/Office Blinds/set",
        "set_position_template": '{ "position": {{ position }} }',
        "object_id": "office_blinds",
        "unique_id": "0x00158d00045b2a11_cover_zigbee2mqtt",
    },
)
FAN = (
    "homeassistant/fan/bedroom_fan/config",
    {
        "name": "Bedroom Fan",
        "cmd_t": "bedroom/fan/set",
        "cmd_tpl": '{"state": "{{ value }}"}',
        "pct_cmd_t": "bedroom/fan/set",
        "pct_cmd_tpl": '{"fan_speed": {{ value }}}',
        "spd_rng_min": 1,
        "spd_rng_max": 3,
        "uniq_id": "bedroom_fan",
    },
)
TRV = (
    "homeassistant/climate/0x0017880108f7a3b2/climate/config",
    {
        "name": "Kitchen Radiator",
        "temp_cmd_t": "zigbee2mqtt/Kitchen Radiator/set",
        "temp_cmd_tpl": '{"current_heating_setpoint": {{ value }}}',
        "temp_stat_t": "zigbee2mqtt/Kitchen Radiator",
        "temp_stat_tpl": "{{ value_json.current_heating_setpoint }}",
        "mode_cmd_t": "zigbee2mqtt/Kitchen Radiator/set",
        "mode_cmd_tpl": '{"system_mode": "{{ value }}"}',
        "modes": ["off", "heat"],
        "uniq_id": "0x0017880108f7a3b2_climate",
    },
)
TEMPLATE_LIGHT = (
    "homeassistant/light/living_room_strip/config",
    {
        "name": "Sofa Strip",
        "schema": "template",
        "cmd_t": "living/strip/set",
        "cmd_on_tpl": "on{% if brightness is defined %},{{ brightness }}{% endif %}"
        "{% if red is defined %},{{ red }}-{{ green }}-{{ blue }}{% endif %}",
        "cmd_off_tpl": "off",
        "stat_t": "living/strip/state",
        "stat_tpl": "{{ value.split(',')[0] }}",
        "uniq_id": "living_strip",
    },
)


def test_command_templates_make_what_each_device_receives(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    _publish(recorder, Z2M_COVER, FAN, TRV, TEMPLATE_LIGHT)
    agent = agent_factory(_config(tmp_path, broker.port))
    agent.wait_log("(4 discovered entities)", timeout=60)
    cases = [
        ("set the office blinds to 30 percent", "zigbee2mqtt/Office Blinds/set",
         '{ "position": 30 }'),
        ("close the office blinds", "zigbee2mqtt/Office Blinds/set", "CLOSE"),  # raw, as HA
        ("turn on the bedroom fan", "bedroom/fan/set", '{"state": "ON"}'),
        ("set the bedroom fan to 50 percent", "bedroom/fan/set", '{"fan_speed": 2}'),
        ("set the kitchen radiator to 21 degrees", "zigbee2mqtt/Kitchen Radiator/set",
         '{"current_heating_setpoint": 21}'),
        ("turn off the kitchen radiator", "zigbee2mqtt/Kitchen Radiator/set",
         '{"system_mode": "off"}'),
        ("turn on the sofa strip", "living/strip/set", "on"),
        ("set the sofa strip to 50 percent", "living/strip/set", "on,128"),
        ("make the sofa strip red", "living/strip/set", "on,255-0-0"),
        ("turn off the sofa strip", "living/strip/set", "off"),
    ]  # fmt: skip
    for text, topic, payload in cases:
        _say(recorder, text)
        assert recorder.device_messages() == [(topic, payload)], text


def test_states_read_through_value_templates(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    _publish(recorder, Z2M_COVER, TEMPLATE_LIGHT)
    agent = agent_factory(_config(tmp_path, broker.port))
    agent.wait_log("(2 discovered entities)", timeout=60)
    recorder.publish("zigbee2mqtt/Office Blinds", '{"position": 40, "state": "OPEN"}', retain=True)
    recorder.publish("living/strip/state", "on,200", retain=True)
    wanted = {
        "are the office blinds open": "open",
        "is the sofa strip on": "on",
    }
    for question, word in wanted.items():
        deadline = time.monotonic() + 10
        while word not in (reply := str(_say(recorder, question)["response"]).lower()):
            assert time.monotonic() < deadline, reply
            time.sleep(0.2)
    _say(recorder, "open the office blinds a bit more")  # from the known 40
    assert recorder.device_messages() == [("zigbee2mqtt/Office Blinds/set", '{ "position": 60 }')]


LOOP = "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}"
# Quick on the sample discovery tries, slow on the state the device then sends.
SLOW_ON_STATE = (
    "{% for a in range(value_json.n | default(0)) %}{% for b in range(9999) %}{% endfor %}"
    "{% endfor %}"
)


def test_a_hostile_template_neither_hangs_the_agent_nor_stops_it_acting(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    hostile = (
        "homeassistant/switch/evil/config",
        {"name": "Evil Plug", "cmd_t": "evil/set", "stat_t": "evil/state", "val_tpl": LOOP},
    )
    sly = (
        "homeassistant/switch/sly/config",
        {"name": "Sly Plug", "cmd_t": "sly/set", "stat_t": "sly/state", "val_tpl": SLOW_ON_STATE},
    )
    _publish(recorder, hostile, sly, FAN)
    agent = agent_factory(_config(tmp_path, broker.port))
    agent.wait_log("(2 discovered entities)", timeout=60)  # the sly plug and the fan
    agent.wait_log("value_template: rendering took longer than 100 ms")
    for _ in range(20):  # each state costs the budget once, then the template is skipped
        recorder.publish("sly/state", '{"n": 9999}')
    start = time.monotonic()
    _say(recorder, "turn on the bedroom fan")
    assert recorder.device_messages() == [("bedroom/fan/set", '{"state": "ON"}')]
    assert time.monotonic() - start < 5
    agent.wait_log("not reading the state on sly/state: switch.sly_plug: rendering took longer")
    _say(recorder, "turn on the sly plug")  # its commands have no template: they still work
    assert recorder.device_messages() == [("sly/set", "ON")]
    assert "Traceback" not in agent.output()
