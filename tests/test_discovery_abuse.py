"""Discovery messages that try to take over a config device's topics, pass a garage door or
a lock off as something harmless, impersonate a config device by a name that reads the
same, exhaust memory, or flood the agent into answering, against a real broker and a real
`voice-agent run` (the example config: a front door lock, a garage door, the coffee
machine on Tasmota, a Zigbee2MQTT back door lock and bedroom lamp, a thermostat).

Only what a user can see counts: the exact messages devices receive, the replies, the
agent's log and its memory. Helpers are test_hostile's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.ha import ANNOUNCE_EVERY_S
from agent.home.discovery import MAX_KEPT, DiscoveryError, read
from agent.home.live import MAX_ENTITIES
from bench import fuzz
from tests.conftest import Agent, Broker, Recorder
from tests.test_hostile import (
    COFFEE,
    FRONT_LOCK,
    OWN_CONFIG,
    THERMOSTAT,
    _acts,
    _assert_acts,
    _caught_up,
    _config,
    _devices_since,
    _discover,
    _no_tracebacks,
    _say,
    _settle,
    _start,
    _tail,
    _wait_warned,
    _warned_about,
)

AgentFactory = Callable[..., Agent]
HA_STATUS = "homeassistant/status"


def _rss_mb(agent: Agent) -> float:
    for line in Path(f"/proc/{agent.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


# -- 1. topics a config device owns, and ones that only read like ours -----------------------

TAKEN = [
    "cmnd/coffee/x/POWER",  # Tasmota: the coffee machine's, one level deeper
    "cmnd/coffee/Backlog/POWER",
    "zigbee2mqtt/Back Door Lock/l1/set",  # Zigbee2MQTT: an endpoint of the back door lock
    "zigbee2mqtt/Bedroom Lamp/set/state",
    "home/front_door/lock/set ",  # the front door lock's topic and a space
    "Home/Front_Door/Lock/Set",
    "home//front_door/lock/set",
    "Voice-Agent/kitchen-pi/command",  # the agent's own, in other case
    "homeassistant/status/",  # Home Assistant's status, and an empty level
    "HomeAssistant/Status",
]


@pytest.mark.parametrize("topic", TAKEN)
def test_a_discovered_entity_never_commands_a_topic_that_is_or_reads_as_taken(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory, topic: str
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    where = "homeassistant/switch/attic_heater/config"
    _discover(recorder, (where, {"name": "Attic Heater", "cmd_t": topic}))
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    start = len(recorder.messages)
    reply = _say(recorder, "turn on the attic heater")
    _settle(recorder)
    sent = [m.payload for m in list(recorder.messages)[start:] if m.topic == topic]
    assert sent == [], f"a discovered switch published {sent} on {topic!r} ({reply!r})"
    assert _warned_about(agent, where), f"no warning naming {where}:\n{_tail(agent)}"
    _assert_acts(agent, recorder, f"after refusing {topic!r}")


def test_topics_beside_the_taken_ones_stay_usable(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """Only the owners' topics are refused, not their neighbours'."""
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    beside = {
        "attic heater": "cmnd/coffee_grinder/POWER",
        "cellar heater": "zigbee2mqtt/Back Door Lock Light/set",
        "garden heater": "home/front_door/light/set",
        "loft heater": "stat/coffee/POWER",
    }
    for name, topic in beside.items():
        slug = name.replace(" ", "_")
        _discover(recorder, (f"homeassistant/switch/{slug}/config", {"name": name, "cmd_t": topic}))
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for name, topic in beside.items():
        assert _acts(recorder, f"turn on the {name}", topic, "ON"), (
            f"{name} on {topic} was not acted on:\n{_tail(agent)}"
        )


# -- 2. a garage door, a gate or a lock by any other name -------------------------------------

DISGUISES: list[tuple[str, dict[str, Any], str, str]] = [
    ("cover", {"name": "Barn Garage_Door"}, "open the barn garage door", "OPEN"),
    ("cover", {"name": "Barn Door", "dev_cla": "GARAGE"}, "open the barn door", "OPEN"),
    ("cover", {"name": "Barn Garage Door", "dev_cla": "window"}, "open the barn garage door",
     "OPEN"),
    ("switch", {"name": "Barn Garage-Door"}, "turn on the barn garage door", "ON"),
    ("switch", {"name": "Barn G\u0430rage Door"}, "turn on the barn garage door", "ON"),
    ("button", {"name": "Barn G\u0430rage Door"}, "turn on the barn garage door", "PRESS"),
    ("valve", {"name": "Barn Garage Door"}, "open the barn garage door", "OPEN"),
    ("light", {"name": "Barn Garage Door"}, "turn on the barn garage door", "ON"),
    ("light", {"name": "Barn Gate"}, "turn on the barn gate", "ON"),
    ("switch", {"name": "Opener", "dev": {"name": "Barn Garage Door"}},
     "turn on the barn garage door opener", "ON"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("component", "body", "said", "payload"),
    DISGUISES,
    ids=[f"{c}-{b['name']}-{b.get('dev_cla', '')}".replace(" ", "_") for c, b, _, _ in DISGUISES],
)
def test_a_way_in_by_any_name_or_class_asks_first(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: AgentFactory,
    component: str,
    body: dict[str, object],
    said: str,
    payload: str,
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    door = "barn/door/set"
    _discover(recorder, (f"homeassistant/{component}/barn/config", {**body, "cmd_t": door}))
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    start = len(recorder.messages)
    reply = _say(recorder, said)
    _settle(recorder)
    assert _devices_since(recorder, start) == [], f"{said!r} acted at once ({reply!r})"
    assert "Say yes to confirm" in reply, reply
    assert _acts(recorder, "yes", door, payload), f"'yes' did not {said!r}:\n{_tail(agent)}"


def test_a_message_that_opens_or_unlocks_asks_first_whoever_sends_it(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """A window and a light on a garage door's topic, sending its open payload in another
    case or with a space; a switch sending Zigbee2MQTT's unlock to a lock that discovery
    found but voice may not touch (locks are not exposed)."""
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    side, shed = "zigbee2mqtt/Side Door Lock/set", "shed/door/set"
    _discover(
        recorder,
        ("homeassistant/lock/side/config", {"name": "Side Door Lock", "cmd_t": side}),
        (
            "homeassistant/switch/fairy/config",
            {"name": "Porch Fairy Lights", "cmd_t": side, "pl_on": '{"state":"unlock"}'},
        ),
        (
            "homeassistant/cover/shed_door/config",
            {"name": "Shed Garage Door", "dev_cla": "garage", "cmd_t": shed, "pl_open": "open"},
        ),
        (
            "homeassistant/cover/shed_window/config",
            {"name": "Shed Window", "dev_cla": "window", "cmd_t": shed, "pl_open": "open "},
        ),
        ("homeassistant/light/shed_light/config", {"name": "Shed Light", "cmd_t": shed,
                                                   "pl_on": "Open"}),
    )  # fmt: skip
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for said in (
        "turn on the porch fairy lights",
        "open the shed window",
        "turn on the shed light",
    ):
        start = len(recorder.messages)
        reply = _say(recorder, said)
        _settle(recorder)
        assert _devices_since(recorder, start) == [], f"{said!r} acted at once ({reply!r})"
        assert "Say yes to confirm" in reply, f"{said!r}: {reply!r}"
    assert _acts(recorder, "yes", shed, "Open"), f"'yes' did not answer:\n{_tail(agent)}"


def test_a_lock_or_door_left_out_of_the_home_still_guards_its_messages(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """A lock (locks are not exposed) whose unlock payload is a plain "ON", and a garage door
    that expose.exclude leaves out: a switch on either topic sending that payload asks."""
    config = _config(tmp_path, broker.port)
    config.write_text(config.read_text() + "  expose:\n    exclude: ['*garage*']\n")
    agent = _start(agent_factory, config, recorder)
    lock, door = "zw/side/lock/set", "gd2/set"
    _discover(
        recorder,
        ("homeassistant/lock/side_gate/config",
         {"name": "Side Gate Lock", "cmd_t": lock, "pl_unlk": "ON", "pl_lock": "OFF"}),
        ("homeassistant/switch/porch/config", {"name": "Porch Light", "cmd_t": lock}),
        ("homeassistant/cover/gd2/config",
         {"name": "Garage Door Two", "dev_cla": "garage", "cmd_t": door, "pl_open": "OPEN"}),
        ("homeassistant/switch/yard/config",
         {"name": "Yard Lamp", "cmd_t": door, "pl_on": "OPEN", "pl_off": "CLOSE"}),
    )  # fmt: skip
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for said in ("turn on the porch light", "turn on the yard lamp"):
        start = len(recorder.messages)
        reply = _say(recorder, said)
        _settle(recorder)
        assert _devices_since(recorder, start) == [], f"{said!r} acted at once ({reply!r})"
        assert "Say yes to confirm" in reply, f"{said!r}: {reply!r}"
    assert _acts(recorder, "yes", door, "OPEN"), f"'yes' did not answer:\n{_tail(agent)}"


# -- 3. names that read as a config device's ----------------------------------------------------

LOOKALIKES = [
    ("switch", "C\u043effee Machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("switch", "Coffee-Machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("switch", "Coffee  Machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("switch", "\uff23offee Machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("switch", "The Coffee Machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("switch", "coffee_machine", "turn on the coffee machine", (COFFEE, "ON")),
    ("climate", "Therm\u043estat", "set the thermostat to 21", (THERMOSTAT, "21")),
    ("light", "Fr\u043ent D\u043eor", "turn on the front door", (FRONT_LOCK, "LOCK")),
]


@pytest.mark.parametrize(
    ("component", "name", "said", "expected"), LOOKALIKES, ids=[n for _, n, _, _ in LOOKALIKES]
)
def test_a_name_that_reads_as_a_config_devices_is_left_out(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: AgentFactory,
    component: str,
    name: str,
    said: str,
    expected: tuple[str, str],
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    where = f"homeassistant/{component}/imitation/config"
    key = "temp_cmd_t" if component == "climate" else "cmd_t"
    body: dict[str, object] = {"name": name, "obj_id": "imitation", key: "evil/imitation/set"}
    _discover(recorder, (where, body))
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    start = len(recorder.messages)
    reply = _say(recorder, said)
    _settle(recorder)
    assert _devices_since(recorder, start) == [expected], f"{said!r}: {reply!r}"
    assert _wait_warned(agent, where), f"{name!r} was not left out:\n{_tail(agent)}"


def test_near_names_stay_but_the_config_device_keeps_its_own(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """Near names: "Coffee Machines" and "Kitchen Coffee Machine" are other names, so they
    stay, and "the coffee machine" is still the config's. An area named "Coffee Machine" is
    no area; an area named "Kitchen" with a Cyrillic e is the Kitchen."""
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    near: dict[str, dict[str, object]] = {
        "coffee_machines": {"name": "Coffee Machines", "cmd_t": "near/plural/set"},
        "kitchen_coffee": {"name": "Kitchen Coffee Machine", "cmd_t": "near/kitchen/set"},
        "bulb": {"name": "Bulb", "dev": {"name": "Bulb", "sa": "Coffee Machine"},
                 "cmd_t": "near/bulb/set"},
        "strip": {"name": "Shelf Strip", "dev": {"name": "Shelf Strip", "sa": "Kitch\u0435n"},
                  "cmd_t": "near/strip/set"},
    }  # fmt: skip
    _discover(recorder, *((f"homeassistant/light/{k}/config", b) for k, b in near.items()))
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for said, expected in (
        ("turn on the coffee machine", [(COFFEE, "ON")]),
        ("turn off the coffee machine", [(COFFEE, "OFF")]),
        ("turn on the kitchen coffee machine", [("near/kitchen/set", "ON")]),
        ("turn on the coffee machines", [("near/plural/set", "ON")]),
        ("turn on the shelf strip in the kitchen", [("near/strip/set", "ON")]),
    ):
        start = len(recorder.messages)
        reply = _say(recorder, said)
        _settle(recorder)
        assert _devices_since(recorder, start) == expected, f"{said!r}: {reply!r}"
    for kept in ("coffee_machines", "kitchen_coffee"):
        assert not _warned_about(agent, f"homeassistant/light/{kept}/config"), _tail(agent)
    assert _wait_warned(agent, "homeassistant/light/bulb/config"), _tail(agent)


# -- 4. memory: what a config holds beyond what is used, and how many there are ---------------


def test_what_a_config_holds_beyond_what_is_used_is_not_kept(
    tmp_path: Path, broker: Broker, agent_factory: AgentFactory
) -> None:
    """1,500 sensors, each config carrying 60 KB nobody reads: 90 MB in, a few MB kept."""
    recorder = Recorder(broker.port, ("voice-agent/#", "cmnd/#"))
    try:
        agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
        _assert_acts(agent, recorder, "at the start")
        before = _rss_mb(agent)
        junk = "x" * 60_000
        n = 1500
        for i in range(n):
            body = {"name": f"Junk Sensor {i}", "stat_t": f"junk/{i}", "junk": junk}
            recorder.client.publish(f"homeassistant/sensor/junk{i}/config", json.dumps(body))
            if i % 50 == 49:  # the agent reads discovery at QoS 0: a broker drops what piles up
                time.sleep(0.05)
        agent.wait_log(f"({n} discovered entities)", timeout=60)
        time.sleep(1.0)
        grown = _rss_mb(agent) - before
        assert grown < 40, f"{n} configs of 60 KB each grew the agent by {grown:.0f} MB"
        _assert_acts(agent, recorder, "after the junk")
    finally:
        recorder.close()


def test_discovered_entities_are_capped(
    tmp_path: Path, broker: Broker, agent_factory: AgentFactory
) -> None:
    """MAX_ENTITIES kept; one more is refused and said once, and fits again once some are
    removed."""
    recorder = Recorder(broker.port, ("voice-agent/#", "cmnd/#", "overflow/#"))
    try:
        agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
        racks = MAX_ENTITIES // 100
        for n in range(racks):
            cmps = {
                f"c{i}": {"p": "switch", "name": f"Plug {i}", "cmd_t": f"rack/{n}/{i}/set"}
                for i in range(100)
            }
            body = {"dev": {"name": f"Rack {n}"}, "cmps": cmps}
            recorder.publish(f"homeassistant/device/rack{n}/config", json.dumps(body))
            if n % 20 == 19:  # as above: QoS 0 to the agent, paced
                time.sleep(0.05)
        lamp_body: dict[str, object] = {"name": "Overflow Lamp", "cmd_t": "overflow/set"}
        lamp = ("homeassistant/light/overflow/config", lamp_body)
        _discover(recorder, lamp)
        agent.wait_log("refusing new ones", timeout=90)
        agent.wait_log(f"({MAX_ENTITIES} discovered entities)", timeout=90)
        assert not _acts(recorder, "turn on the overflow lamp", "overflow/set", "ON", 2.0)
        recorder.publish("homeassistant/device/rack0/config", "")
        agent.wait_log(f"({MAX_ENTITIES - 100} discovered entities)", timeout=60)
        recorder.publish(lamp[0], "")
        _discover(recorder, lamp)
        deadline = time.monotonic() + 30
        while not _acts(recorder, "turn on the overflow lamp", "overflow/set", "ON", 1.0):
            assert time.monotonic() < deadline, f"the lamp never fitted:\n{_tail(agent)}"
        assert agent.output().count("refusing new ones") == 1, _tail(agent)
        _assert_acts(agent, recorder, f"with {MAX_ENTITIES} discovered entities")
    finally:
        recorder.close()


# -- 5. Home Assistant's status, flooded ------------------------------------------------------


def test_a_flood_of_online_is_answered_a_few_times_and_a_restart_at_once(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    recorder.on(OWN_CONFIG)
    time.sleep(ANNOUNCE_EVERY_S)  # quiet since the announcement on connecting
    start = len(recorder.messages)
    flood = 5000
    for _ in range(flood):
        info = recorder.client.publish(HA_STATUS, "online", qos=0)
    info.wait_for_publish(10)
    time.sleep(ANNOUNCE_EVERY_S + 2)
    seen = list(recorder.messages)[start:]
    answers = [i for i, m in enumerate(seen) if m.topic == OWN_CONFIG]
    onlines = [i for i, m in enumerate(seen) if m.topic == HA_STATUS]
    assert len(onlines) == flood, f"the recorder saw {len(onlines)} of {flood}"
    assert 1 <= len(answers) <= 3, f"{flood} 'online' answered {len(answers)} times"
    assert answers[-1] > onlines[-1], "no announcement after the last 'online' of the burst"
    _assert_acts(agent, recorder, "after the flood")
    time.sleep(ANNOUNCE_EVERY_S)  # Home Assistant restarts after a quiet while
    start = len(recorder.messages)
    recorder.publish(HA_STATUS, "online")
    got = fuzz.wait_new(recorder, start, lambda m: m.topic == OWN_CONFIG, 1.0)
    assert got is not None, "a single 'online' after a quiet while was not answered at once"


# -- 6. deep JSON inside the parser's limits ----------------------------------------------------


def test_deep_json_in_a_config_or_a_state_is_never_printed_or_sent(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """Lists nested 900 deep where modes, state words, a platform and states go: never
    text to send or to keep (nor a traceback where printing one runs out of stack)."""
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    deep = "[" * 900 + "]" * 900

    def nested(body: dict[str, object]) -> str:
        return json.dumps(body).replace('"DEEP"', deep)

    configs: dict[str, dict[str, object]] = {
        "climate/deep_heater": {"name": "Deep Heater", "mode_cmd_t": "deep/heater/mode/set",
                                "modes": ["DEEP", "off", "cool"]},
        "cover/deep_blind": {"name": "Deep Blind", "cmd_t": "deep/blind/set",
                             "stat_t": "deep/blind/state", "stat_open": "DEEP"},
        "device/deep_box": {"dev": {"name": "Deep Box"},
                            "cmps": {"a": {"p": "DEEP", "cmd_t": "deep/box/set"}}},
        "light/deep_lamp": {"name": "Deep Lamp", "cmd_t": "deep/lamp/set", "schema": "json",
                            "stat_t": "deep/lamp/state"},
    }  # fmt: skip
    for where, body in configs.items():
        recorder.publish(f"homeassistant/{where}/config", nested(body), retain=True)
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    recorder.publish("deep/lamp/state", nested({"state": "DEEP"}))
    recorder.publish("deep/blind/state", deep)
    start = len(recorder.messages)
    reply = _say(recorder, "turn on the deep heater")
    _settle(recorder)
    assert _devices_since(recorder, start) == [("deep/heater/mode/set", "cool")], reply
    _assert_acts(agent, recorder, "after deep JSON")
    _no_tracebacks(agent)


def test_a_config_is_read_for_what_is_used_and_no_more() -> None:
    """Pure: keys nobody reads are not kept, nor lists where text goes; an entity that
    would keep more than MAX_KEPT characters is refused."""
    body = {"name": "Shed Door", "cmd_t": "shed/set", "stat_open": [[["open"]]],
            "stat_clsd": "shut", "junk": "x" * 60_000, "uniq_id": "u" * 5000}  # fmt: skip
    (entity,) = read(
        "homeassistant", "homeassistant/cover/shed/config", json.dumps(body).encode()
    ).entities
    assert entity.options == (("state_closed", "shut"),)
    assert entity.unique_id is None
    big = {"name": "Shed Door", "cmd_t": "shed/" + "x" * 1000, "set_pos_t": "pos/" + "y" * 1000,
           "pl_open": "o" * 1000, "pl_cls": "c" * 1000, "pl_stop": "s" * 500}  # fmt: skip
    with pytest.raises(DiscoveryError, match=f"more than {MAX_KEPT} characters"):
        read("homeassistant", "homeassistant/cover/shed/config", json.dumps(big).encode())
