"""The Home Assistant link's pure parts, on messages shaped as Home Assistant 2024.3 sends
them: registries and states read (names, aliases, areas through devices, floors, Home
Assistant's own exposure rule), merged with the config and MQTT discovery (one device per
identity, one path), the service calls made for each intent, and the replies when Home
Assistant refuses or is away. The same against a real Home Assistant: test_hass_link.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.config import load_config
from agent.errors import ConfigError, UnsupportedCommand
from agent.hass_link import CallResult, with_results
from agent.home.discovery import read
from agent.home.expose import Expose
from agent.home.hass_registry import hass_state, read_home
from agent.home.inventory import Area, Device, Home
from agent.home.live import Inventory
from agent.home.specs import HassEntitySpec, TasmotaSpec
from agent.intents import IntentName
from agent.messages import Action, Intent, Outcome, ServiceCall
from tests.conftest import run_cli


def state(entity_id: str, value: str = "off", **attributes: Any) -> dict[str, Any]:
    return {"entity_id": entity_id, "state": value, "attributes": attributes}


def entry(entity_id: str, **more: Any) -> dict[str, Any]:
    return {"entity_id": entity_id, "platform": "template", "aliases": [], "options": {}, **more}


def home_of(states: list[dict[str, Any]], entries: list[dict[str, Any]], **more: Any) -> Any:
    return read_home(
        areas=more.get("areas", []),
        floors=more.get("floors", []),
        devices=more.get("devices", []),
        entities=entries,
        states=states,
        exposed_list=more.get("exposed", {}),
    )


def test_names_aliases_and_areas_come_from_home_assistant() -> None:
    home = home_of(
        [
            state("light.lamp_1", friendly_name="Reading Lamp", supported_color_modes=["hs"]),
            state("switch.kettle", friendly_name="Kettle"),
        ],
        [
            entry("light.lamp_1", aliases=["book light", 7, ""], device_id="dev1"),
            entry("switch.kettle", area_id="kitchen"),
        ],
        areas=[
            {"area_id": "study", "name": "Study", "aliases": ["den"], "floor_id": "up"},
            {"area_id": "kitchen", "name": "Kitchen", "aliases": []},
        ],
        floors=[{"floor_id": "up", "name": "Upstairs"}],
        devices=[{"id": "dev1", "area_id": "study"}],
    )
    assert {a.name: (a.aliases, a.floor) for a in home.areas} == {
        "Study": (("den",), "Upstairs"),
        "Kitchen": ((), None),
    }
    lamp, kettle = (e.device for e in home.entities)
    assert (lamp.name, lamp.aliases, lamp.area) == ("Reading Lamp", ("book light",), "Study")
    assert lamp.command == HassEntitySpec("light.lamp_1", 0, ("hs",), "template")
    assert (kettle.name, kettle.area) == ("Kettle", "Kitchen")


def test_exposure_follows_home_assistant() -> None:
    home = home_of(
        [
            state("light.a"),  # exposed by default (a light)
            state("light.b"),  # its own setting says no
            state("light.c"),  # hidden: not by default
            state("sensor.t", "21.5", device_class="temperature"),  # a class exposed by default
            state("sensor.battery", "80", device_class="battery"),  # not
            state("switch.d"),  # the exposure list says no
            state("input_boolean.x", "on"),  # a kind the agent doesn't know
            state("light.off", "on"),  # disabled in the registry
        ],
        [
            entry("light.a"),
            entry("light.b", options={"conversation": {"should_expose": False}}),
            entry("light.c", hidden_by="user"),
            entry("light.off", disabled_by="user"),
        ],
        exposed={"switch.d": {"conversation": False}},
    )
    assert [e.device.id for e in home.entities] == ["light.a", "sensor.t"]
    assert {d.id for d in home.withheld} == {"light.b", "light.c", "sensor.battery", "switch.d"}


def test_states_read_as_the_agent_keeps_them() -> None:
    assert hass_state("light", "on", {"brightness": 128}).brightness == 50
    assert hass_state("sensor", "21.5", {"unit_of_measurement": "°C"}).value == 21.5
    assert hass_state("sensor", "nan", {}).value == "nan"
    assert hass_state("climate", "heat", {"temperature": 21, "current_temperature": 19.5}) == (
        hass_state("climate", "heat", {"temperature": 21.0, "current_temperature": 19.5})
    )
    climate = hass_state("climate", "heat", {"temperature": 21})
    assert (climate.mode, climate.temperature, climate.state) == ("heat", 21.0, None)
    assert hass_state("media_player", "playing", {"volume_level": 0.3}).percentage == 30
    assert hass_state("cover", "unavailable", {}).state == "unavailable"
    assert hass_state("cover", "unknown", {}).state is None
    assert hass_state("light", {"bad": 1}, {"brightness": "x"}).brightness is None


def device(entity_id: str, features: int = 0, modes: tuple[str, ...] = ()) -> Device:
    name = entity_id.split(".")[1].replace("_", " ")
    return Device(entity_id, name, command=HassEntitySpec(entity_id, features, modes))


def call(dev: Device, intent: IntentName, value: Any = None, **more: Any) -> dict[str, Any]:
    (made,) = actions_for(dev, Command(intent, value, **more))
    assert isinstance(made, ServiceCall)
    return made.to_dict()


def test_service_calls_for_each_kind() -> None:
    lamp = device("light.lamp", modes=("brightness",))
    assert call(lamp, "turn_on")["service"] == "light.turn_on"
    assert call(lamp, "set_brightness", 40) == {
        "device": "light.lamp",
        "service": "light.turn_on",
        "data": {"brightness_pct": 40},
    }
    assert call(lamp, "set_brightness", 0)["service"] == "light.turn_off"
    assert call(lamp, "set_brightness", None, direction="up", current=50.0)["data"] == {
        "brightness_pct": 70
    }
    bulb = device("light.bulb", modes=("hs", "color_temp"))
    assert call(bulb, "set_color", "red")["data"] == {"rgb_color": [255, 0, 0]}
    blind = device("cover.blind", features=1 | 2 | 4 | 8)
    assert call(blind, "set_position", 30) == {
        "device": "cover.blind",
        "service": "cover.set_cover_position",
        "data": {"position": 30},
    }
    assert call(blind, "stop")["service"] == "cover.stop_cover"
    assert call(device("lock.door"), "unlock")["service"] == "lock.unlock"
    assert call(device("climate.hall", 1), "set_temperature", 21.5)["data"] == {"temperature": 21.5}
    assert call(device("media_player.tv", 4), "set_volume", 35)["data"] == {"volume_level": 0.35}
    assert call(device("fan.desk", 1), "set_brightness", 60)["service"] == "fan.set_percentage"
    assert call(device("scene.movie"), "activate_scene")["service"] == "scene.turn_on"
    assert call(device("vacuum.robo"), "vacuum_dock")["service"] == "vacuum.return_to_base"


@pytest.mark.parametrize(
    ("dev", "intent", "value"),
    [
        (device("light.plain", modes=("onoff",)), "set_brightness", 40),  # no brightness
        (device("light.dim", modes=("brightness",)), "set_color", "red"),  # no colour
        (device("cover.garage", features=1 | 2), "set_position", 30),  # no position
        (device("media_player.radio", features=0), "set_volume", 20),  # no volume
        (device("switch.kettle"), "set_temperature", 90),
    ],
)
def test_what_an_entity_does_not_support_is_said(
    dev: Device, intent: IntentName, value: Any
) -> None:
    with pytest.raises(UnsupportedCommand, match=f"Sorry, the {dev.name} can't do that."):
        actions_for(dev, Command(intent, value))


DISCOVERY = (
    b'{"name": "Porch Light", "uniq_id": "z2m_0x01_light", "cmd_t": "z2m/porch/set", '
    b'"schema": "json"}'
)


def test_one_device_per_identity_and_one_path() -> None:
    config = Home(
        areas=(Area("Kitchen"),),
        devices=(
            Device("switch.kettle", "Kettle", command=TasmotaSpec(topic="kettle")),
            Device("light.hall", "Entrance Light", aliases=("hall light",)),  # an overlay
        ),
    )
    inventory = Inventory(config, Expose())
    inventory.announce(read("homeassistant", "homeassistant/light/porch/config", DISCOVERY))
    hass = home_of(
        [
            state("light.porch_light", friendly_name="Front Porch"),  # the MQTT one
            state("switch.kettle", friendly_name="Kettle"),  # the config's own id
            state("light.hall", friendly_name="Hall"),
            state("light.island", friendly_name="Island", supported_color_modes=["onoff"]),
            state("cover.shed", friendly_name="Shed Door"),
        ],
        [
            entry("light.porch_light", platform="mqtt", unique_id="z2m_0x01_light"),
            entry("light.island", area_id="k"),
        ],
        areas=[{"area_id": "k", "name": "kitchen", "aliases": ["galley"]}],
    )
    inventory.set_hass(hass)
    home = inventory.home
    by_id = {d.id: d for d in home.devices}
    assert sorted(by_id) == [
        "cover.shed",
        "light.hall",
        "light.island",
        "light.porch_light",
        "switch.kettle",
    ]
    porch = by_id["light.porch_light"]  # announced over MQTT, named by Home Assistant
    assert porch.name == "Front Porch" and porch.command is not None
    assert not isinstance(porch.command, HassEntitySpec)
    assert by_id["switch.kettle"].command == TasmotaSpec(topic="kettle")
    hall = by_id["light.hall"]  # the config renames Home Assistant's
    assert (hall.name, hall.aliases) == ("Entrance Light", ("hall light",))
    assert isinstance(hall.command, HassEntitySpec)
    assert by_id["light.island"].area == "Kitchen"  # the config's area of that name
    assert [a.name for a in home.areas] == ["Kitchen"]  # "kitchen" is the same area
    # the expose filter of the config on top of Home Assistant's
    narrow = Inventory(config, Expose(domains=("light",)))
    narrow.set_hass(hass)
    assert "cover.shed" not in {d.id for d in narrow.home.devices}
    assert "cover.shed" in {d.id for d in narrow.snapshot().unexposed}


def outcome_with(*actions: Any) -> Outcome:
    return Outcome("turn on", Intent("turn_on"), (), actions, "Turning on the lamps.")


def test_the_reply_says_what_home_assistant_refused_or_could_not_do() -> None:
    lamp = ServiceCall("light.a", "light.a", "light", "turn_on")
    plug = Action("switch.p", "cmnd/p/POWER", "ON")
    refused = with_results(outcome_with(lamp), [CallResult(lamp, "Entity light.a is locked")])
    assert refused.response == "Sorry, Home Assistant refused: Entity light.a is locked."
    assert refused.actions == ()
    away = with_results(outcome_with(lamp, plug), [CallResult(lamp, "x", unreachable=True)])
    assert away.response == "Turning on the lamps. Sorry, Home Assistant is not reachable."
    assert away.actions == (plug,)
    fine = outcome_with(lamp)
    assert with_results(fine, [CallResult(lamp, None)]) is fine


def test_config_reads_the_link_and_masks_its_token(tmp_path: Path) -> None:
    (tmp_path / "ha.token").write_text("abc.def.ghi\n")
    path = tmp_path / "agent.yaml"
    base = "mqtt: {host: 127.0.0.1}\nsite: {id: s}\n"
    path.write_text(base + "home_assistant: {url: 'http://ha.local:8123', token_file: ha.token}\n")
    ha = load_config(path).home_assistant
    assert (ha.url, ha.token, ha.token_file) == (
        "http://ha.local:8123",
        "abc.def.ghi",
        str(tmp_path / "ha.token"),
    )
    shown = run_cli("config", "--config", str(path))
    assert "abc.def" not in shown.stdout and "token: '********'" in shown.stdout
    for text, problem in [
        ("{url: 'http://ha.local:8123'}", "home_assistant.token_file: url and token_file go"),
        ("{url: ha.local, token_file: ha.token}", "is not a URL like http://homeassistant.local"),
        ("{url: 'http://h:1', token_file: nope.token}", "cannot read"),
    ]:
        path.write_text(base + f"home_assistant: {text}\n")
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert problem in str(err.value), str(err.value)


def test_an_unavailable_entity_is_skipped_and_said() -> None:
    from agent.act.plan import plan
    from agent.home.state import DeviceState
    from agent.messages import Slots

    porch = device("light.porch")
    hall = device("light.hall")
    states = {"light.porch": DeviceState(state="unavailable"), "light.hall": DeviceState("off")}
    actions, acted, problems = plan(Intent("turn_on", Slots()), (porch, hall), states.get)
    assert [a.to_dict()["device"] for a in actions] == ["light.hall"]
    assert acted == [hall]
    assert problems == ["Sorry, the porch is unavailable right now."]


def test_the_config_sets_the_safety_of_home_assistants_entities() -> None:
    config = Home(devices=(Device("cover.shed", "Shed Door", safety="deny"),))
    inventory = Inventory(config, Expose())
    inventory.set_hass(home_of([state("cover.shed", friendly_name="Shed")], []))
    (shed,) = inventory.home.devices
    assert (shed.name, shed.safety, shed.policy("open")) == ("Shed Door", "deny", "deny")
    assert isinstance(shed.command, HassEntitySpec)


def test_floors_and_their_aliases_place_areas() -> None:
    from agent.resolve.areas import AreaIndex, Place

    hass = home_of(
        [state("light.a", friendly_name="Loft Lamp"), state("light.b", friendly_name="Den Lamp")],
        [entry("light.a", area_id="loft"), entry("light.b", area_id="den")],
        areas=[
            {"area_id": "loft", "name": "Loft", "floor_id": "up"},
            {"area_id": "den", "name": "Den", "floor_id": "up"},
        ],
        floors=[{"floor_id": "up", "name": "Upstairs", "aliases": ["top floor"]}],
    )
    inventory = Inventory(Home(), Expose())
    inventory.set_hass(hass)
    index = AreaIndex(inventory.home)
    upstairs = Place(frozenset({"Loft", "Den"}), "upstairs")
    assert index.find("upstairs", None) == upstairs
    assert index.find("the top floor", None) == upstairs
