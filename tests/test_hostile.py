"""Hostile input against a real broker and a real `voice-agent run`: discovery configs that
hang, break or hijack the agent, confirmations answered by someone else, noise that moves
things, and a seeded fuzz sample of it all (bench/fuzz.py; bench/fuzz_bench.py runs more).

Only what a user can see counts: messages on the broker, the agent staying connected, its
log. Every wait is bounded: a valid command not acted on within 2 s is a hang, and the
agent is killed in teardown (agent_factory).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import fuzz
from tests.conftest import Agent, Broker, Received, Recorder, example_config

COMMAND = "voice-agent/kitchen-pi/command"
LISTEN = "voice-agent/kitchen-pi/listen"
RESPONSE = "voice-agent/kitchen-pi/response"
INTENT = "voice-agent/kitchen-pi/intent"
STATUS = "voice-agent/kitchen-pi/status"
OWN_CONFIG = "homeassistant/device/voice_agent_kitchen_pi/config"
FRONT_LOCK = "home/front_door/lock/set"  # lock.front_door in the example config
BACK_LOCK = "zigbee2mqtt/Back Door Lock/set"  # lock.back_door (safety: deny)
GARAGE = "home/garage/door/set"  # cover.garage_door, device_class garage
THERMOSTAT = "home/thermostat/target/set"
BLINDS = "zigbee2mqtt/Living Room Blinds/set"
COFFEE = "cmnd/coffee/POWER"
HANG_S = 2.0  # a valid command not acted on within this is a hang
MARKER = (  # a plain discovered switch: once it can be commanded, discovery has caught up
    "homeassistant/switch/patio_heater/config",
    {"name": "Patio Heater", "cmd_t": "patio/heater/set", "uniq_id": "patio_heater"},
)
# 78 characters that would loop 10^8 times (a regex-bomb for a reader that backtracked)
BOMB = "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}"

AgentFactory = Callable[..., Agent]


# -- helpers ---------------------------------------------------------------------------------


def _drop_devices(text: str, ids: tuple[str, ...]) -> str:
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("  - id: "):
            skipping = line.split("id:", 1)[1].strip() in ids
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def _config(
    tmp_path: Path,
    port: int,
    *,
    discovery: bool = True,
    drop: tuple[str, ...] = (),
) -> Path:
    """The example config (a front door lock, a garage door, a thermostat, the coffee
    machine ...) with discovery and the agent's own announcement on, less `drop`."""
    path = example_config(tmp_path, port)
    text = _drop_devices(path.read_text(), drop)
    for device in drop:
        assert f"id: {device}\n" not in text
    if discovery:
        text += "\nhome_assistant:\n  discovery: true\n  announce: true\n"
    path.write_text(text)
    return path


def _start(make: AgentFactory, config: Path, recorder: Recorder) -> Agent:
    agent = make(config)
    recorder.wait_for(lambda m: m.topic == STATUS and m.payload == "online", timeout=30)
    agent.wait_log("connected to MQTT broker", timeout=30)
    return agent


def _tail(agent: Agent, lines: int = 25) -> str:
    return "\n".join(agent.output().splitlines()[-lines:])


def _acts(
    recorder: Recorder,
    text: str = "turn on the coffee machine",
    topic: str = COFFEE,
    payload: str = "ON",
    timeout: float = HANG_S,
) -> bool:
    """The command, and whether its device message comes within `timeout`."""
    start = len(recorder.messages)
    recorder.publish(COMMAND, text)
    got = fuzz.wait_new(
        recorder, start, lambda m: m.topic == topic and m.payload == payload, timeout
    )
    return got is not None


def _assert_acts(agent: Agent, recorder: Recorder, why: str) -> None:
    assert agent.proc.poll() is None, f"the agent died ({why}):\n{_tail(agent)}"
    assert _acts(recorder), (
        f"'turn on the coffee machine' was not acted on within {HANG_S} s ({why}); "
        f"log tail:\n{_tail(agent)}"
    )


def _no_tracebacks(agent: Agent) -> None:
    kinds = fuzz.traceback_kinds(agent.output())
    assert not kinds, f"{len(kinds)} traceback(s) in the log: {kinds[:3]}"


def _say(recorder: Recorder, payload: str, timeout: float = 5.0) -> str:
    """Send a command; the agent's reply to it (the reply after the intent event for it)."""
    text = json.loads(payload)["text"] if payload.startswith("{") else payload
    start = len(recorder.messages)
    recorder.publish(COMMAND, payload)

    def for_it(m: Received) -> bool:
        return m.topic == INTENT and json.loads(m.payload).get("text") == text

    event = fuzz.wait_new(recorder, start, for_it, timeout)
    assert event is not None, f"no intent event for {payload!r} within {timeout} s"
    after = recorder.messages.index(event, start)
    got = fuzz.wait_new(recorder, after, lambda m: m.topic == RESPONSE, timeout)
    assert got is not None, f"no reply to {payload!r} within {timeout} s"
    return str(got.payload)


def _devices_since(recorder: Recorder, start: int) -> list[tuple[str, str]]:
    with recorder._lock:
        new = recorder.messages[start:]
    return [
        (m.topic, m.payload)
        for m in new
        if not m.topic.startswith(("voice-agent/", "homeassistant/", "test/"))
    ]


def _settle(recorder: Recorder, seconds: float = 0.5) -> None:
    """Let in-flight messages land; then a round trip through the broker."""
    time.sleep(seconds)
    recorder.publish("test/settle", "x")


def _discover(recorder: Recorder, *configs: tuple[str, dict[str, object]]) -> None:
    for topic, body in configs:
        recorder.publish(topic, json.dumps(body), retain=True)


def _caught_up(agent: Agent, recorder: Recorder, timeout: float = 10.0) -> bool:
    """Publish the marker switch and command it until it answers: discovery has then
    handled everything published before it (one network thread, in order)."""
    _discover(recorder, MARKER)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and agent.proc.poll() is None:
        if _acts(recorder, "turn on the patio heater", "patio/heater/set", "ON", 1.0):
            return True
    return False


def _warned_about(agent: Agent, topic: str) -> bool:
    return any(
        topic in line and line.startswith(("WARNING", "ERROR"))
        for line in agent.output().splitlines()
    )


def _wait_warned(agent: Agent, topic: str, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _warned_about(agent, topic):
            return True
        time.sleep(0.05)
    return _warned_about(agent, topic)


# -- 1. a value template that would run for ever --------------------------------------------

BOMB_TOPIC = "homeassistant/sensor/bomb/config"
BOMB_STATE = "bomb/state"


def _bomb_config() -> bytes:
    payload = json.dumps(
        {"name": "Bomb", "stat_t": BOMB_STATE, "val_tpl": BOMB}, separators=(",", ":")
    ).encode()
    assert len(payload) < 200
    return payload


def test_a_never_ending_template_never_hangs_the_agent(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    recorder.client.publish(BOMB_TOPIC, _bomb_config(), qos=1, retain=True).wait_for_publish(5)
    recorder.publish(BOMB_STATE, "21", retain=True)  # whenever the agent subscribes: a reading
    _assert_acts(agent, recorder, "a discovery config with a never-ending value_template")
    assert _wait_warned(agent, BOMB_TOPIC), f"no warning naming {BOMB_TOPIC}:\n{_tail(agent)}"


def test_a_retained_never_ending_template_never_hangs_the_agent(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    recorder.client.publish(BOMB_TOPIC, _bomb_config(), qos=1, retain=True).wait_for_publish(5)
    recorder.publish(BOMB_STATE, "21", retain=True)
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _assert_acts(agent, recorder, "a retained config with a never-ending value_template")
    assert _wait_warned(agent, BOMB_TOPIC), f"no warning naming {BOMB_TOPIC}:\n{_tail(agent)}"


def test_a_never_ending_template_is_refused_when_announced(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    """No state message needed: the config itself is rejected, with its topic logged."""
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    recorder.client.publish(BOMB_TOPIC, _bomb_config(), qos=1, retain=True).wait_for_publish(5)
    assert _wait_warned(agent, BOMB_TOPIC), f"no warning naming {BOMB_TOPIC}:\n{_tail(agent)}"
    _assert_acts(agent, recorder, "after refusing the config")


# -- 2. state topics that break the connection or take over the agent's ----------------------


def test_a_wildcard_state_topic_survives_a_broker_restart(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _discover(
        recorder,
        (
            "homeassistant/sensor/wild/config",
            {"name": "Wild Sensor", "stat_t": "a/#/b", "uniq_id": "wild"},
        ),
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    recorder.close()
    broker.stop()
    time.sleep(1.0)
    again = Broker(tmp_path, broker.port).start()
    try:
        late = Recorder(again.port)
        try:
            deadline = time.monotonic() + 20
            online = None
            while online is None and time.monotonic() < deadline:
                online = fuzz.wait_new(
                    late, 0, lambda m: m.topic == STATUS and m.payload == "online", 0.5
                )
            assert online is not None, (
                f"the agent did not come back after the broker restart:\n{_tail(agent)}"
            )
            _assert_acts(agent, late, "after a broker restart, with a state topic a/#/b")
        finally:
            late.close()
    finally:
        again.stop()


def test_a_nul_in_a_state_topic_keeps_the_connection(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    recorder.publish(
        "homeassistant/sensor/nul/config",
        '{"name": "Nul Sensor", "stat_t": "x\\u0000y", "uniq_id": "nul"}',
        retain=True,
    )
    time.sleep(5.0)
    connects = agent.output().count("connected to MQTT broker")
    assert connects == 1, f"connected {connects} times in 5 s:\n{_tail(agent)}"
    _assert_acts(agent, recorder, "with a NUL in a discovered state topic")


@pytest.mark.parametrize(
    "state_topic",
    [COMMAND, "homeassistant/+/+/config", "homeassistant/status", LISTEN],
    ids=["own-command", "discovery-filter", "ha-status", "own-listen"],
)
def test_a_state_topic_never_takes_over_the_agents_own(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: AgentFactory,
    state_topic: str,
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    recorder.on(OWN_CONFIG)  # announced once connected
    topic = "homeassistant/sensor/thief/config"
    _discover(recorder, (topic, {"name": "Thief Sensor", "stat_t": state_topic}))
    # the config has been read when it is refused (a warning) or counted in the inventory
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (
        _warned_about(agent, topic) or "(1 discovered entities)" in agent.output()
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    _assert_acts(agent, recorder, f"a discovered state topic {state_topic}")
    assert _caught_up(agent, recorder), (
        f"a discovered switch announced later can't be commanded (state topic {state_topic}):"
        f"\n{_tail(agent)}"
    )
    if state_topic == "homeassistant/status":  # Home Assistant restarting: announce again
        start = len(recorder.messages)
        recorder.publish("homeassistant/status", "online")
        again = fuzz.wait_new(recorder, start, lambda m: m.topic == OWN_CONFIG, HANG_S)
        assert again is not None, "the agent no longer re-announces when Home Assistant starts"


# -- 3. discovery never hijacks ---------------------------------------------------------------


def test_discovery_never_turns_the_agent_on_itself(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _discover(
        recorder,
        (
            "homeassistant/light/porch_lights/config",
            {"name": "Porch Lights", "cmd_t": COMMAND, "pl_on": "unlock the front door"},
        ),
        (
            "homeassistant/light/porch_lamp/config",
            {"name": "Porch Lamp", "cmd_t": COMMAND, "pl_on": "yes"},
        ),
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    mine = {"turn on the porch lights", "turn on the porch lamp"}
    for text in sorted(mine):
        _say(recorder, text)
    _settle(recorder)
    _assert_acts(agent, recorder, "after the porch lights")
    mine |= {"turn on the patio heater", "turn on the coffee machine"}
    unlocks = [m.payload for m in recorder.messages if m.topic == FRONT_LOCK]
    assert "UNLOCK" not in unlocks, "a discovered light unlocked the front door"
    extra = [m.payload for m in recorder.messages if m.topic == COMMAND and m.payload not in mine]
    assert extra == [], f"the agent published to its own command topic: {extra}"


def test_a_discovered_entity_on_a_lock_topic_never_unlocks(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _discover(
        recorder,
        (
            "homeassistant/light/porch_spotlight/config",
            {"name": "Porch Spotlight", "cmd_t": FRONT_LOCK, "pl_on": "UNLOCK"},
        ),
        (
            "homeassistant/switch/porch_switch/config",
            {"name": "Porch Switch", "cmd_t": BACK_LOCK, "pl_on": '{"state": "UNLOCK"}'},
        ),
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    start = len(recorder.messages)
    for text in ("turn on the porch spotlight", "turn on the porch switch"):
        _say(recorder, text)
    _settle(recorder)
    unlocked = [(t, p) for t, p in _devices_since(recorder, start) if t in (FRONT_LOCK, BACK_LOCK)]
    assert not [p for _, p in unlocked if "UNLOCK" in p], f"unlocked unconfirmed: {unlocked}"


@pytest.mark.parametrize(
    ("component", "name", "said", "payload"),
    [
        ("cover", "Garage Door", "open the garage door", "OPEN"),
        ("button", "Garage Door Opener", "press the garage door opener", "PRESS"),
        ("switch", "Garage Door", "turn on the garage door", "ON"),
    ],
    ids=["cover-no-class", "button", "switch"],
)
def test_a_garage_opener_in_disguise_asks_first(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: AgentFactory,
    component: str,
    name: str,
    said: str,
    payload: str,
) -> None:
    config = _config(tmp_path, broker.port, drop=("cover.garage_door",))
    agent = _start(agent_factory, config, recorder)
    opener = "garage/opener/set"
    _discover(
        recorder, (f"homeassistant/{component}/opener/config", {"name": name, "cmd_t": opener})
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    start = len(recorder.messages)
    reply = _say(recorder, said)
    _settle(recorder)
    assert _devices_since(recorder, start) == [], f"{said!r} acted at once (reply {reply!r})"
    assert "Say yes to confirm" in reply
    assert _acts(recorder, "yes", opener, payload), f"'yes' did not {said!r}"


def test_a_config_devices_name_is_its_own(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _discover(
        recorder,
        (
            "homeassistant/light/evil_coffee/config",
            {"name": "Coffee Machine", "cmd_t": "evil/coffee/light"},
        ),
        (
            "homeassistant/switch/evil_coffee/config",
            {"name": "Coffee Machine", "obj_id": "coffee_machine_2", "cmd_t": "evil/coffee/switch"},
        ),
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for text, word in (
        ("turn on the coffee machine", "ON"),
        ("turn off the coffee machine", "OFF"),
    ):
        start = len(recorder.messages)
        reply = _say(recorder, text)
        _settle(recorder)
        assert _devices_since(recorder, start) == [(COFFEE, word)], f"{text!r}: {reply!r}"


def test_wildcard_command_topics_are_never_used(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port), recorder)
    _discover(
        recorder,
        ("homeassistant/switch/patio_fan/config", {"name": "Patio Fan", "cmd_t": "a/+/b"}),
        ("homeassistant/switch/attic_fan/config", {"name": "Attic Fan", "cmd_t": "#"}),
        ("homeassistant/light/cellar/config", {"name": "Cellar Light", "cmd_t": "c/#"}),
    )
    assert _caught_up(agent, recorder), f"discovery stopped working:\n{_tail(agent)}"
    for text in ("turn on the patio fan", "turn on the attic fan", "turn on the cellar light"):
        recorder.publish(COMMAND, text)  # no reply asked for: an exception may eat it
    _settle(recorder)
    _assert_acts(agent, recorder, "after commanding entities on wildcard topics")
    used = [
        action["topic"]
        for m in list(recorder.messages)
        if m.topic == INTENT
        for action in json.loads(m.payload)["actions"]
        if "+" in action["topic"] or "#" in action["topic"]
    ]
    assert used == [], f"published to wildcard topics: {used}"
    assert agent.output().count("connected to MQTT broker") == 1, _tail(agent)
    _no_tracebacks(agent)


# -- 4. a "yes" answers its own asker ------------------------------------------------------------


def _json(text: str, source: str | None = None) -> str:
    return json.dumps({"text": text} if source is None else {"text": text, "source": source})


def test_yes_answers_only_its_own_source(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    assert "Say yes to confirm" in _say(recorder, _json("open the garage door", "a"))
    assert "Say yes to confirm" in _say(recorder, _json("unlock the front door", "b"))
    start = len(recorder.messages)
    reply = _say(recorder, _json("yes", "a"))
    _settle(recorder)
    assert _devices_since(recorder, start) == [(GARAGE, "OPEN")], f"A's yes: {reply!r}"
    assert "garage door" in reply.lower(), f"the reply to A's yes names no device: {reply!r}"
    start = len(recorder.messages)
    reply = _say(recorder, _json("yes", "b"))
    _settle(recorder)
    assert _devices_since(recorder, start) == [(FRONT_LOCK, "UNLOCK")], f"B's yes: {reply!r}"
    assert "front door" in reply.lower(), f"the reply to B's yes names no device: {reply!r}"


def test_plain_text_and_json_without_source_are_source_mqtt(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    assert "Say yes to confirm" in _say(recorder, "open the garage door")
    start = len(recorder.messages)
    _say(recorder, _json("yes", "mqtt"))
    _settle(recorder)
    assert _devices_since(recorder, start) == [(GARAGE, "OPEN")], "source 'mqtt' is plain text"
    assert "Say yes to confirm" in _say(recorder, _json("unlock the front door"))
    start = len(recorder.messages)
    _say(recorder, "yes")
    _settle(recorder)
    assert _devices_since(recorder, start) == [(FRONT_LOCK, "UNLOCK")], (
        "JSON without a source is plain text's asker"
    )


def test_a_second_question_says_the_first_is_no_longer_asked(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    start = len(recorder.messages)
    assert "Say yes to confirm" in _say(recorder, "open the garage door")
    second = _say(recorder, "unlock the front door")
    assert "Say yes to confirm" in second
    assert "garage door" in second.lower(), (
        f"the second question silently replaced the first: {second!r}"
    )
    reply = _say(recorder, "yes")
    _settle(recorder)
    assert _devices_since(recorder, start) == [(FRONT_LOCK, "UNLOCK")], reply


# -- 5. noise never moves anything ---------------------------------------------------------------

NOISE = ["20", "31", "ok 20", "привет 31", "\x1b[31m"]


def test_noise_never_sets_the_thermostat(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    agent = _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    assert _acts(recorder, "set the thermostat to 21", THERMOSTAT, "21")  # the last device
    start = len(recorder.messages)
    for text in NOISE:
        recorder.publish(COMMAND, text)
    _assert_acts(agent, recorder, "after noise")  # handled in order: the noise is done
    moved = [(t, p) for t, p in _devices_since(recorder, start) if t != COFFEE]
    events = [
        (e["text"], e["intent"], e["response"])
        for e in (
            json.loads(m.payload) for m in list(recorder.messages)[start:] if m.topic == INTENT
        )
        if e["text"] in NOISE
    ]
    assert moved == [], f"noise moved devices: {moved}; events: {events}"


@pytest.mark.parametrize(
    "said",
    ["set the thermostat to 35", "set the thermostat to 21.5", "set the thermostat to 36",
     "set the thermostat to 5", "set the thermostat to 70 c", "set the thermostat to 50"],
)  # fmt: skip
def test_the_reply_says_the_temperature_sent(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory, said: str
) -> None:
    """The first number in the reply is the number sent (a Fahrenheit one may follow)."""
    _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    start = len(recorder.messages)
    reply = _say(recorder, said)
    _settle(recorder)
    sent = [p for t, p in _devices_since(recorder, start) if t == THERMOSTAT]
    assert len(sent) == 1, f"{said!r}: sent {sent}, reply {reply!r}"
    first = re.search(r"-?\d+(?:\.\d+)?", reply)
    assert first is not None and float(first.group()) == float(sent[0]), (
        f"{said!r}: sent {sent[0]!r}, but the reply says {reply!r}"
    )


def test_look_alike_letters_close_the_blinds(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    _start(agent_factory, _config(tmp_path, broker.port, discovery=False), recorder)
    start = len(recorder.messages)
    reply = _say(recorder, "cl\U0001d428\u0455e the blinds")  # mathematical bold o, Cyrillic s
    _settle(recorder)
    confused = _devices_since(recorder, start)
    start = len(recorder.messages)
    _say(recorder, "close the blinds")
    _settle(recorder)
    plain = _devices_since(recorder, start)
    assert plain and all(t == BLINDS for t, _ in plain)
    assert confused == plain, (
        f"'cl\\U0001d428\\u0455e the blinds' sent {confused} ({reply!r}), not {plain}"
    )


# -- 6. a fuzz sample -----------------------------------------------------------------------

FUZZ_SEED = int(os.environ.get("VOICE_AGENT_FUZZ_SEED", "1"))
FUZZ_COMMANDS = 10_000  # and the bench runs any seed and size
FUZZ_CONFIGS = 10_000


def test_a_fuzz_sample(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: AgentFactory
) -> None:
    config = _config(tmp_path, broker.port)
    home = fuzz.home_from_config(config)
    agent = _start(agent_factory, config, recorder)
    session = fuzz.Session(recorder, home)
    stopped = None
    for n, batch in enumerate(fuzz.batches(FUZZ_SEED, FUZZ_COMMANDS, FUZZ_CONFIGS, home)):
        session.send(batch)
        problem = session.check(lambda: agent.proc.poll() is None, drain_s=10, probe_s=HANG_S)
        if problem is not None:
            stopped = f"{problem} after batch {n + 1} (seed {FUZZ_SEED})"
            break
    time.sleep(0.5)
    verdict = session.judge(agent.output())
    problems = verdict.problems()
    assert agent.proc.poll() is None, f"the agent died ({stopped}):\n{_tail(agent, 40)}"
    assert not problems and stopped is None, (
        f"{stopped or 'ran every batch'}: " + "; ".join(problems) + f"\nlog tail:\n{_tail(agent)}"
    )
