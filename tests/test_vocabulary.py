"""Every intent of the vocabulary has all its parts: sentence templates, words in the speech
grammar, a reply of its own, and an act in each protocol that commands its kinds of device.
Adding an intent without one of them fails here, naming what is missing."""

from __future__ import annotations

import pytest

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.home.specs import (
    CommandSpec,
    HomeAssistantSpec,
    TasmotaSpec,
    TemplateCommand,
    TemplateSpec,
    Zigbee2MqttSpec,
)
from agent.intents import DOMAINS, INTENT_DOMAINS, INTENTS
from agent.messages import Slots
from agent.reply import NOUNS, VERBS, done
from agent.resolve.vocab import kind_of
from agent.understand.templates import TemplateMatcher
from agent.voice.grammar import SPOKEN_KINDS, patterns

ACTING = [i for i in INTENTS if i not in ("none", "get_state")]
VALUES: dict[str, int | str] = {
    "set_brightness": 50, "set_color": "red", "set_temperature": 21, "set_position": 50,
    "set_volume": 30, "play_media": "jazz",
}  # fmt: skip
# The kinds of device each built-in protocol commands (media players: only by templates, as
# no MQTT convention has them).
EVERY_TOPIC = {k: f"t/{k}" for k in HomeAssistantSpec.__dataclass_fields__ if k.endswith("_topic")}
PROTOCOLS: dict[str, tuple[CommandSpec, frozenset[str]]] = {
    "homeassistant": (
        HomeAssistantSpec(**EVERY_TOPIC),
        frozenset(DOMAINS) - {"media_player", "sensor", "binary_sensor"},
    ),
    "zigbee2mqtt": (
        Zigbee2MqttSpec("Thing"),
        frozenset({"light", "switch", "fan", "cover", "lock", "climate", "valve"}),
    ),
    "tasmota": (TasmotaSpec("thing"), frozenset({"light", "switch", "fan", "cover"})),
}
# What a protocol can't say, though it commands the kind of device, and why.
CANNOT = {
    ("zigbee2mqtt", "set_brightness", "fan"): "Zigbee2MQTT fans take a fan_mode, not a percent",
    ("tasmota", "set_brightness", "fan"): "Tasmota fans (FanSpeed) are not modelled",
    ("zigbee2mqtt", "set_position", "valve"): "Zigbee2MQTT valves are on/off",
}
# Intents the grammar can't list the words of: what is played is free speech.
FREE_SPEECH = {"play_media"}


def test_every_intent_names_the_kinds_of_device_that_do_it() -> None:
    assert set(INTENT_DOMAINS) == set(INTENTS)
    assert all(INTENT_DOMAINS[i] for i in INTENTS if i != "none")


@pytest.mark.parametrize("intent", [i for i in INTENTS if i != "none"])
def test_every_intent_has_sentence_templates(intent: str) -> None:
    assert intent in {t.intent for t in TemplateMatcher.load().templates}


@pytest.mark.parametrize("intent", [i for i in ACTING if i not in FREE_SPEECH])
def test_every_intent_has_words_in_the_speech_grammar(intent: str) -> None:
    said = [c for c in patterns()["commands"] if isinstance(c, dict) and intent in c.get("can", ())]
    assert said, f"no command of agent/voice/speech.yaml says it can {intent}"


@pytest.mark.parametrize("intent", ACTING)
def test_every_intent_has_a_reply_of_its_own(intent: str) -> None:
    device = Device(f"{sorted(INTENT_DOMAINS[intent])[0]}.thing", "Thing")
    slots = Slots(value=VALUES.get(intent), media="jazz" if intent == "play_media" else None)
    assert done(intent, slots, (device,), None) != "Done."
    assert intent in VERBS  # "I can't <verb> the thing"


@pytest.mark.parametrize("intent", ACTING)
def test_every_intent_is_acted_on_by_each_protocol_that_commands_its_devices(
    intent: str,
) -> None:
    for domain in sorted(INTENT_DOMAINS[intent]):
        template = TemplateSpec({intent: TemplateCommand("t/x", "{state}")})
        assert actions_for(Device(f"{domain}.x", "X", command=template), Command(intent))
        for protocol, (spec, domains) in PROTOCOLS.items():
            if domain not in domains or (protocol, intent, domain) in CANNOT:
                continue
            device = Device(f"{domain}.x", "X", command=spec)
            try:
                sent = actions_for(device, Command(intent, VALUES.get(intent)))
            except UnsupportedCommand as exc:
                pytest.fail(f"{protocol} can't {intent} a {domain}: {exc}")
            assert sent, (protocol, intent, domain)


def test_the_grammars_kind_words_are_the_resolvers() -> None:
    """The grammar hears a short choice of what people call each kind of device (every word
    a branch); each must be a word the resolver reads as that kind."""
    for domain, words in SPOKEN_KINDS.items():
        for word in words:
            read = kind_of(word)
            assert read is not None and domain in {k[0] for k in read[1]}, (domain, word, read)


def test_every_kind_of_device_has_a_plural_for_replies() -> None:
    assert set(NOUNS) == set(DOMAINS)


def test_every_reply_phrase_used_is_in_the_language_file_and_every_one_there_used() -> None:
    """Replies are data (agent/language/en.yaml): a key the code asks for is there, and the
    file holds no phrase nothing says (another language is a copy of it, translated)."""
    import re

    from agent.language.phrases import language
    from tests.conftest import ROOT

    table = language("en")["replies"]
    code = "\n".join(p.read_text() for p in (ROOT / "agent").rglob("*.py"))
    used = set(re.findall(r"""(?:\.say\(|\b(?:R|words)\[)\s*"([a-z_]+)\"""", code))
    used |= {k for k in re.findall(r'"([a-z_]+)" if', code) if k in table}
    used |= {k for k in re.findall(r'else "([a-z_]+)"', code) if k in table}
    used |= {"nouns", "verbs", "doing", "binary", "states", "need_value_what"}  # tables
    used |= {i for i in table if i in ("turn_on", "turn_off", "set_brightness", "set_color",
             "set_temperature", "set_position", "media_next", "media_previous", "vacuum_dock",
             "play_media")}  # fmt: skip  # keyed by the intent itself
    assert sorted(used - set(table)) == []
    assert sorted(set(table) - used) == []
