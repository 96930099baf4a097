"""The pure parts that stand between the broker and the agent: topic rules (templates:
tests/test_templating.py), the subscription table, discovery's guard, who a "yes" answers, and the
messages that need one whichever device sends them."""

from __future__ import annotations

import pytest

from agent.home.discovery import DiscoveryError, read
from agent.home.guard import Guard
from agent.home.inventory import Area, Device, Home
from agent.home.specs import HomeAssistantSpec, TasmotaSpec
from agent.language.normalize import normalize
from agent.mqtt_routing import Subscriptions
from agent.pipeline import Pipeline
from agent.topic_rules import matches, topic_problem
from agent.understand.cascade import build_tiers
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("", "non-empty"),
        ("a/#/b", "wildcards"),
        ("a/+/b", "wildcards"),
        ("#", "wildcards"),
        ("x\x00y", "control characters"),
        ("$SYS/broker/load", "belong to the broker"),
        ("a" * 1025, "longer than 1024"),
    ],
)
def test_topics_we_never_subscribe_or_publish_to(topic: str, why: str) -> None:
    problem = topic_problem(topic)
    assert problem is not None and why in problem


def test_filters_where_filters_are_allowed() -> None:
    assert topic_problem("homeassistant/+/+/config", wildcards=True) is None
    assert topic_problem("a/#", wildcards=True) is None
    assert "misplaced" in (topic_problem("a/#/b", wildcards=True) or "")
    assert "misplaced" in (topic_problem("a+/b", wildcards=True) or "")
    assert matches("homeassistant/+/+/config", "homeassistant/light/x/config")
    assert not matches("homeassistant/+/+/config", "homeassistant/light/n/x/config")
    assert matches("voice-agent/#", "voice-agent/kitchen-pi/command")
    assert matches("voice-agent/#", "voice-agent")
    assert not matches("#", "$SYS/x")


def test_own_topics_cannot_be_displaced_by_watched_ones() -> None:
    subs = Subscriptions(reserved=("voice-agent/#",))
    own = []
    subs.add_own("homeassistant/+/+/config", own.append, True)
    subs.add_own("homeassistant/status", own.append, False)
    for topic in (
        "homeassistant/status",
        "homeassistant/light/x/config",
        "voice-agent/kitchen-pi/command",
        "voice-agent/kitchen-pi/listen",
        "a/#/b",
        "x\x00y",
    ):
        assert subs.watch_problem(topic) is not None, topic
    assert subs.watch_problem("lamp/state") is None
    found = subs.lookup("homeassistant/light/x/config")
    assert found is not None and found[0] == own.append


def _config(**extra: object) -> bytes:
    import json

    body = {"name": "Porch Lights", "cmd_t": "porch/set", "stat_t": "porch/state", **extra}
    return json.dumps(body).encode()


GUARD = Guard(
    reserved=(
        "voice-agent/#",
        "homeassistant/+/+/config",
        "homeassistant/+/+/+/config",
        "homeassistant/status",
    ),
    owned=(("home/front_door/lock/set", "lock.front_door"), ("cmnd/coffee/+", "switch.coffee")),
)


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"cmd_t": "voice-agent/kitchen-pi/command"}, "agent's own"),
        ({"cmd_t": "homeassistant/light/other/config"}, "agent's own"),
        ({"cmd_t": "home/front_door/lock/set"}, "lock.front_door of the config"),
        ({"cmd_t": "cmnd/coffee/POWER"}, "switch.coffee of the config"),
        ({"cmd_t": "a/+/b"}, "wildcards"),
        ({"cmd_t": "#"}, "wildcards"),
        ({"stat_t": "a/#/b"}, "wildcards"),
        ({"stat_t": "x\u0000y"}, "control characters"),
        ({"stat_t": "voice-agent/kitchen-pi/command"}, "agent's own"),
        ({"stat_t": "homeassistant/status"}, "agent's own"),
        (
            {
                "val_tpl": "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}"
                "{% endfor %}"
            },
            "val_tpl|value_template: rendering took longer than 100 ms",
        ),
        ({"set_pos_tpl": "{% include 'x' %}", "set_pos_t": "a/b"}, "include is not allowed"),
        ({"cmd_tpl": "{{ value.__class__.__mro__ }}"}, "command_template: access to attr"),
        ({"cmd_tpl": "{{ value_json.missing.x }}"}, None),  # fails on some values only
        ({"name": "x" * 300}, "longer than 200"),
    ],
)
def test_discovery_refuses_what_would_hijack_or_hang(
    extra: dict[str, object], why: str | None
) -> None:
    if why is None:
        read("homeassistant", "homeassistant/light/porch/config", _config(**extra), GUARD)
        return
    with pytest.raises(DiscoveryError, match=why):
        read("homeassistant", "homeassistant/light/porch/config", _config(**extra), GUARD)


def test_discovery_json_that_would_trace_back() -> None:
    deep = b"[" * 60_000
    with pytest.raises(DiscoveryError, match="JSON"):
        read("homeassistant", "homeassistant/light/x/config", deep, GUARD)
    huge = b'{"name": "x", "cmd_t": "a/b", "qos": ' + b"9" * 5000 + b"}"
    with pytest.raises(DiscoveryError, match="JSON"):
        read("homeassistant", "homeassistant/light/x/config", huge, GUARD)


def _home() -> Home:
    return Home(
        areas=(Area("Hall"),),
        devices=(
            Device(
                "lock.front_door",
                "Front Door",
                area="Hall",
                command=HomeAssistantSpec(command_topic="door/lock/set"),
            ),
            Device(
                "cover.garage_door",
                "Garage Door",
                area="Hall",
                device_class="garage",
                command=HomeAssistantSpec(command_topic="garage/set"),
            ),
            # a "light" that sends the lock's own unlock message
            Device(
                "light.porch",
                "Porch Light",
                area="Hall",
                command=HomeAssistantSpec(command_topic="door/lock/set", payload_on="UNLOCK"),
            ),
            Device("switch.gate", "Driveway Gate", command=TasmotaSpec(topic="gate")),
            Device("switch.garage_light", "Garage Light", command=TasmotaSpec(topic="gl")),
            Device("cover.side_door", "Side Door", command=HomeAssistantSpec(command_topic="sd")),
        ),
    )


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:

    tiers = build_tiers(model=str(ROOT / "models" / "intent-minilm"))
    return Pipeline(_home(), tiers)


def test_a_yes_answers_only_its_own_asker(pipeline: Pipeline) -> None:
    a = pipeline.handle("open the garage door", who="mqtt:a")
    assert a.actions == () and "garage door" in a.response and "Say yes" in a.response
    b = pipeline.handle("unlock the front door", who="mqtt:b")
    assert b.actions == () and "front door" in b.response
    yes_a = pipeline.handle("yes", who="mqtt:a")
    assert [(x.topic, x.payload) for x in yes_a.actions] == [("garage/set", "OPEN")]
    assert yes_a.response == "Opening the garage door."
    yes_b = pipeline.handle("yes", who="mqtt:b")
    assert [(x.topic, x.payload) for x in yes_b.actions] == [("door/lock/set", "UNLOCK")]
    assert pipeline.handle("yes", who="mqtt:b").actions == ()  # answered already


def test_a_second_question_says_the_first_is_dropped(pipeline: Pipeline) -> None:
    pipeline.handle("open the garage door", who="voice:")
    second = pipeline.handle("unlock the front door", who="voice:")
    assert second.response.startswith("(I won't open the garage door as asked before.)")
    yes = pipeline.handle("yes", who="voice:")
    assert [(x.topic, x.payload) for x in yes.actions] == [("door/lock/set", "UNLOCK")]


@pytest.mark.parametrize(
    "text",
    ["turn on the porch light", "turn on the driveway gate", "open the side door"],
)
def test_what_opens_a_way_in_asks_whatever_it_was_announced_as(
    pipeline: Pipeline, text: str
) -> None:
    asked = pipeline.handle(text, who="t")
    assert asked.actions == () and "Say yes to confirm" in asked.response
    assert pipeline.handle("yes", who="t").actions


def test_a_garage_light_is_just_a_light(pipeline: Pipeline) -> None:
    out = pipeline.handle("turn on the garage light", who="t")
    assert [(x.topic, x.payload) for x in out.actions] == [("cmnd/gl/POWER", "ON")]


@pytest.mark.parametrize(
    "noise", ["20", "31", "ok 20", "ok 20 please", "привет 31", "\x1b[31m", "\x1b[31m 22"]
)
def test_noise_is_never_a_command(pipeline: Pipeline, noise: str) -> None:
    assert pipeline.handle(noise, who="n").actions == ()


def test_lookalike_letters_read_as_the_letters_they_look_like() -> None:
    assert normalize("cl\U0001d428\u0455e the blinds") == "close the blinds"
    assert (
        normalize("\uff34\uff35\uff32\uff2e \uff4f\uff46\uff46 the Küche light")
        == "turn off the kuche light"
    )
    assert normalize("привет 31").endswith(" 31") and normalize("привет 31") != "31"
