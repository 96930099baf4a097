"""The Home Assistant link against a real Home Assistant Core (tests/hass.py): its names,
aliases, areas and exposure, acting through its service calls, surviving its restart, and a
wrong token. The agent is `voice-agent run` on a real broker; what Home Assistant's entities
do is read back from Home Assistant itself."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import ROOT, Agent, Broker, Recorder, run_cli
from tests.hass import HomeAssistant, installed, releases, remove

COMMAND = "voice-agent/study-pi/command"
RESPONSE = "voice-agent/study-pi/response"
INTENT = "voice-agent/study-pi/intent"


@pytest.fixture(scope="module", params=releases(), ids=lambda h: h.parent.parent.name)
def hass(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeAssistant]:
    """Each Home Assistant installed here in turn (the test header names them)."""
    version = installed(request.param)
    assert version, f"{request.param} is missing: run scripts/bootstrap.sh --dev"
    home = HomeAssistant(tmp_path_factory.mktemp("hass"), request.param).start()
    yield home
    remove(home)


class House(NamedTuple):
    """What each test here uses: its folder, a broker and a recorder on it, Home Assistant,
    and a way to start the agent."""

    tmp_path: Path
    broker: Broker
    recorder: Recorder
    hass: HomeAssistant
    agent_factory: Callable[[Path], Agent]


@pytest.fixture
def house(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    hass: HomeAssistant,
    agent_factory: Callable[[Path], Agent],
) -> House:
    return House(tmp_path, broker, recorder, hass, agent_factory)


def config_for(tmp_path: Path, port: int, hass: HomeAssistant, token: str | None = None) -> Path:
    """A config with no devices of its own but one MQTT plug: the home is Home Assistant's."""
    token_file = hass.token_file(tmp_path)
    if token is not None:
        token_file.write_text(token)
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"""mqtt: {{host: 127.0.0.1, port: {port}}}
site: {{id: study-pi}}
understanding: {{model: {ROOT}/models/intent-minilm}}
voice: {{enabled: false}}
speech: {{engine: none}}
home_assistant:
  discovery: false
  announce: false
  url: {hass.url}
  token_file: {token_file.name}
devices:
  - id: switch.porch_plug
    name: Porch Plug
    tasmota: {{topic: porch}}
"""
    )
    return path


def reply_to(recorder: Recorder, text: str) -> str:
    before = len(recorder.messages)
    recorder.publish(COMMAND, text)
    return recorder.wait_for(
        lambda m: m.topic == RESPONSE and recorder.messages.index(m) >= before
    ).payload


def wait_for(done: Callable[[], bool], agent: Agent, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, agent.output()
        time.sleep(0.05)


def started(make: Callable[[Path], Agent], config: Path) -> Agent:
    agent = make(config)
    agent.wait_log("entities exposed to voice")
    agent.wait_log("inventory:")
    return agent


def test_an_alias_set_in_home_assistant_names_the_entity(house: House) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house
    hass.ws(
        {
            "type": "config/entity_registry/update",
            "entity_id": "light.living_room_lamp",
            "aliases": ["reading lamp"],
        }
    )
    hass.set("light.living_room_lamp", "turn_off")
    started(agent_factory, config_for(tmp_path, broker.port, hass))
    assert reply_to(recorder, "turn on the reading lamp") == "Turning on the living room lamp."
    assert hass.state("light.living_room_lamp") == "on"
    event = json.loads(recorder.on(INTENT).payload)
    assert event["actions"] == [
        {"device": "light.living_room_lamp", "service": "light.turn_on", "data": {}}
    ]
    # the state came back from Home Assistant: asking reads it
    assert reply_to(recorder, "is the reading lamp on") == "The living room lamp is on at 50%."
    assert reply_to(recorder, "dim the reading lamp to 30%") == (
        "Setting the living room lamp to 30%."
    )
    level = hass.ws({"type": "get_states"})
    lamp = next(s for s in level if s["entity_id"] == "light.living_room_lamp")
    assert lamp["attributes"]["brightness"] == round(30 * 255 / 100)
    # the config's own MQTT device goes on beside them
    assert reply_to(recorder, "turn on the porch plug") == "Turning on the porch plug."
    assert ("cmnd/porch/POWER", "ON") in recorder.device_messages()


def test_an_area_made_in_home_assistant_is_understood_without_a_restart(house: House) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house
    agent = started(agent_factory, config_for(tmp_path, broker.port, hass))
    hass.set("light.kitchen_light", "turn_off")
    assert reply_to(recorder, "turn on the lights in the den") == (
        "Sorry, I don't know an area called den."
    )

    def rebuilt_after(change: Callable[[], object]) -> object:
        built = agent.output().count("inventory:")
        done = change()
        wait_for(lambda: agent.output().count("inventory:") > built, agent)
        return done

    area = rebuilt_after(
        lambda: hass.ws({"type": "config/area_registry/create", "name": "Den", "aliases": ["snug"]})
    )
    assert isinstance(area, dict)
    rebuilt_after(
        lambda: hass.ws(
            {
                "type": "config/entity_registry/update",
                "entity_id": "light.kitchen_light",
                "area_id": area["area_id"],
            }
        )
    )
    assert reply_to(recorder, "turn on the lights in the snug") == "Turning on the kitchen light."
    hass.wait_state("light.kitchen_light", "on")
    hass.ws({"type": "config/area_registry/delete", "area_id": area["area_id"]})


def test_an_entity_home_assistant_does_not_expose_is_refused(house: House) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house

    def expose(on: bool) -> None:
        hass.ws(
            {
                "type": "homeassistant/expose_entity",
                "assistants": ["conversation"],
                "entity_ids": ["switch.coffee_maker"],
                "should_expose": on,
            }
        )

    expose(False)
    try:
        started(agent_factory, config_for(tmp_path, broker.port, hass))
        assert reply_to(recorder, "turn on the coffee maker") == (
            "Sorry, the coffee maker is not exposed to voice assistants in Home Assistant."
        )
        assert hass.state("switch.coffee_maker") == "off"
    finally:
        expose(True)


def test_home_assistant_stopped_and_started_again(house: House) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house
    agent = started(agent_factory, config_for(tmp_path, broker.port, hass))
    hass.stop()
    agent.wait_log("lost the connection to Home Assistant")
    assert reply_to(recorder, "turn on the desk fan") == "Sorry, Home Assistant is not reachable."
    assert reply_to(recorder, "turn off the porch plug") == "Turning off the porch plug."
    assert ("cmnd/porch/POWER", "OFF") in recorder.device_messages()
    hass.start()
    wait_for(lambda: agent.output().count("entities exposed to voice") == 2, agent, timeout=30)
    assert reply_to(recorder, "turn on the desk fan") == "Turning on the desk fan."
    hass.wait_state("fan.desk_fan", "on")


def test_a_wrong_token_is_a_clear_error(house: House) -> None:
    tmp_path, broker, _, hass, agent_factory = house
    config = config_for(tmp_path, broker.port, hass, token="not-a-token")
    checked = run_cli("check", "--config", str(config))
    line = next(x for x in checked.stdout.splitlines() if "hass" in x)
    assert line.startswith("FAIL  hass"), checked.stdout
    assert "Home Assistant refused the token" in line
    assert f"put it, alone, in {tmp_path / 'hass.token'}" in checked.stdout
    agent = agent_factory(config)
    agent.wait_log("Home Assistant refused the token")
    agent.wait_log("put it in home_assistant.token_file")


def test_say_and_parse_know_home_assistants_entities(
    tmp_path: Path, broker: Broker, hass: HomeAssistant
) -> None:
    config = config_for(tmp_path, broker.port, hass)
    hass.set("fan.desk_fan", "turn_on")
    said = run_cli("say", "--config", str(config), "turn off the desk fan")
    assert (said.returncode, said.stdout) == (0, "Turning off the desk fan.\n"), said.stderr
    hass.wait_state("fan.desk_fan", "off")
    parsed = run_cli("parse", "--config", str(config), stdin="turn on the coffee maker\n")
    event = json.loads(parsed.stdout)
    assert (event["intent"], event["targets"]) == ("turn_on", ["switch.coffee_maker"])
    assert hass.state("switch.coffee_maker") == "off"  # parse never acts
    hass.stop()
    away = run_cli("say", "--config", str(config), "turn on the desk fan")
    assert away.returncode == 1
    assert away.stdout == "Sorry, I don't know a device called desk fan.\n"
    assert "going on without Home Assistant's entities" in away.stderr
    hass.start()


def _rest(
    hass: HomeAssistant, method: str, path: str, body: dict[str, object] | None = None
) -> Any:
    req = urllib.request.Request(
        f"{hass.url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {hass.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=20) as answer:
        return json.loads(answer.read() or b"null")


def test_an_mqtt_entity_home_assistant_also_knows_is_one_device_commanded_over_mqtt(
    house: House,
) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house
    flow = _rest(hass, "POST", "/api/config/config_entries/flow", {"handler": "mqtt"})
    made = _rest(
        hass,
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"broker": "127.0.0.1", "port": broker.port},
    )
    entry_id = made["result"]["entry_id"]
    try:
        recorder.publish(
            "homeassistant/switch/shed_heater/config",
            json.dumps(
                {
                    "name": "Shed Heater",
                    "uniq_id": "shed-heater-1",
                    "cmd_t": "shed/heater/set",
                    "stat_t": "shed/heater/state",
                }
            ),
            retain=True,
        )

        def known() -> bool:
            entries = hass.ws({"type": "config/entity_registry/list"})
            return any(e["unique_id"] == "shed-heater-1" for e in entries)

        deadline = time.monotonic() + 15
        while not known():
            assert time.monotonic() < deadline, "Home Assistant did not take the discovery"
            time.sleep(0.1)
        entity = next(
            e["entity_id"]
            for e in hass.ws({"type": "config/entity_registry/list"})
            if e["unique_id"] == "shed-heater-1"
        )
        hass.ws(
            {
                "type": "config/entity_registry/update",
                "entity_id": entity,
                "aliases": ["workshop warmer"],
            }
        )
        config = config_for(tmp_path, broker.port, hass)
        config.write_text(config.read_text().replace("discovery: false", "discovery: true"))
        agent = started(agent_factory, config)
        wait_for(lambda: "(1 discovered entities)" in agent.output(), agent)
        assert reply_to(recorder, "turn on the workshop warmer") == "Turning on the shed heater."
        assert ("shed/heater/set", "ON") in recorder.device_messages()
        event = json.loads(recorder.on(INTENT).payload)
        assert event["targets"] == [entity]
        assert event["actions"] == [{"device": entity, "topic": "shed/heater/set", "payload": "ON"}]
        parsed = run_cli("parse", "--config", str(config), stdin="turn on every switch\n")
        targets = json.loads(parsed.stdout)["targets"]
        assert sorted(targets) == sorted({entity, "switch.coffee_maker", "switch.porch_plug"})
    finally:
        recorder.publish("homeassistant/switch/shed_heater/config", "", retain=True)
        _rest(hass, "DELETE", f"/api/config/config_entries/entry/{entry_id}")


def test_a_floor_made_in_home_assistant_is_understood(house: House) -> None:
    tmp_path, broker, recorder, hass, agent_factory = house
    if "Home Assistant 2024.3" in installed(hass.hass):
        pytest.skip("Home Assistant 2024.3 can't put an area on a floor (2025.4 runs this)")
    floor = hass.ws(
        {"type": "config/floor_registry/create", "name": "Upstairs", "aliases": ["top floor"]}
    )
    area = hass.ws(
        {"type": "config/area_registry/create", "name": "Loft", "floor_id": floor["floor_id"]}
    )
    hass.ws(
        {
            "type": "config/entity_registry/update",
            "entity_id": "switch.coffee_maker",
            "area_id": area["area_id"],
        }
    )
    hass.set("switch.coffee_maker", "turn_off")
    try:
        started(agent_factory, config_for(tmp_path, broker.port, hass))
        assert reply_to(recorder, "turn on everything on the top floor") == (
            "Turning on the coffee maker."
        )
        hass.wait_state("switch.coffee_maker", "on")
    finally:
        hass.ws({"type": "config/area_registry/delete", "area_id": area["area_id"]})
        hass.ws({"type": "config/floor_registry/delete", "floor_id": floor["floor_id"]})
