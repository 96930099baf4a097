"""Text from the command topic that is not a request moves nothing, and no one text costs the
queue behind it long: chatter with a number, numbers that are not plain numbers, a minus sign,
a verb of another intent; sentences of many requests; misheard names in a very large home.
The example home with both tiers (templates and the int8 model)."""

from __future__ import annotations

import difflib
import random
from itertools import count

import pytest

from agent.cli import _pipeline
from agent.config import load_config
from agent.home.inventory import Device, Home
from agent.home.specs import HomeAssistantSpec
from agent.language.normalize import normalize
from agent.messages import Outcome
from agent.pipeline import Pipeline
from agent.resolve.names import FUZZY_CUTOFF, NameIndex
from agent.resolve.vocab import distinct
from tests.conftest import EXAMPLE

THERMOSTAT = "home/thermostat/target/set"
TOO_MANY = "Sorry, that's more than 8 requests at once, so I did none of them."
TOO_MANY_DEVICES = "Sorry, those requests are for more than 1000 devices, so I did none."
_askers = count()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return _pipeline(load_config(EXAMPLE))


def say(pipeline: Pipeline, text: str) -> Outcome:
    return pipeline.handle(text, who=f"test:{next(_askers)}")  # no one else's "yes"


def sent(outcome: Outcome) -> list[tuple[str, str]]:
    return [(a.topic, a.payload) for a in outcome.actions]


# -- problem 1: noise acts on devices ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # statements of how things are, and chatter, with a number in them
        "it's 21 degrees",
        "it's 21 now",
        "I'm 21 degrees",
        "I'm 21 now",
        "lol 21 please",
        "lol 21 degrees",
        "\\n 21 degrees",
        "so 21",
        "uh 21 percent",
        "its 30 degrees outside",
        "it's 22 degrees in here",
        "it's already 20 degrees",
        "there were 22 degrees",
        "wow 18 degrees",
        "seriously 23 degrees",
        "meh 30 percent",
        "haha 50 percent",
        "it was 19 degrees yesterday",
        "my kid is 12",
        "call me at 5",
    ],
)
def test_chatter_with_a_number_moves_nothing(pipeline: Pipeline, text: str) -> None:
    outcome = say(pipeline, text)
    assert outcome.actions == (), outcome.response


@pytest.mark.parametrize(
    "text",
    [
        "up 0x15 please",
        "bump the volume 0x10",
        "lol 1e3 percent",
        "thermostat 1e1 degrees",
        "warm 21e-0",
        "volume 1e3",
        "lights 5_0 percent",
        "volume 1_000",
        "volume ³⁰",  # superscripts are not digits
        "lol ²¹ degrees",
        "lights ²¹",  # nor spaces: never "lights"
        "lock ²¹ please",
        "heat inf",
        "volume NaN",
    ],
)
def test_numbers_that_are_not_plain_numbers_move_nothing(pipeline: Pipeline, text: str) -> None:
    outcome = say(pipeline, text)
    assert outcome.actions == (), outcome.response


@pytest.mark.parametrize(
    "text",
    [
        "open -5 degrees",
        "lock -5 degrees",
        "volume -5 percent",
        "brighter -5 percent",
        "volume minus 5",
        "set the thermostat to -3",
        "dim the lights to -20 percent",
        "turn the heat up \u22122 degrees",  # the minus sign, not a hyphen
    ],
)
def test_a_minus_sign_is_never_dropped(pipeline: Pipeline, text: str) -> None:
    outcome = say(pipeline, text)
    assert outcome.actions == (), outcome.response


def test_a_minus_reads_as_minus() -> None:
    assert normalize("set it to -5") == "set it to minus 5"
    assert normalize("set it to \u22125") == "set it to minus 5"
    assert normalize("21-22 degrees") == "21 22 degrees"  # a range, not a negative
    assert normalize("wi-fi 2") == "wi fi 2"


@pytest.mark.parametrize(
    "text",
    ["shut 5 degrees", "close 20 degrees", "open 25 degrees", "lock the thermostat 5 degrees"],
)
def test_a_verb_of_another_intent_is_not_rescued_by_a_number(pipeline: Pipeline, text: str) -> None:
    outcome = say(pipeline, text)
    assert outcome.actions == (), outcome.response


def test_decimal_digits_of_every_script_are_digits(pipeline: Pipeline) -> None:
    """The rule: a Unicode decimal digit reads as its ASCII digit, in both tiers."""
    assert normalize("volume \u0662\u0661") == "volume 21"  # Arabic-Indic
    assert normalize("volume \u0968\u0967") == "volume 21"  # Devanagari
    assert normalize("volume \uff12\uff11") == "volume 21"  # full-width
    assert normalize("volume \u00b2\u00b9") == "volume \u00b2 \u00b9"  # not digits
    for text in ("set the volume to \u0663\u0660", "lights \u0665\u0660 percent"):
        ascii_text = text.replace("\u0663\u0660", "30").replace("\u0665\u0660", "50")
        assert sent(say(pipeline, text)) == sent(say(pipeline, ascii_text)) != []


@pytest.mark.parametrize(
    ("text", "topic", "payload"),
    [
        ("heat 21 degrees", THERMOSTAT, "21"),
        ("thermostat 21", THERMOSTAT, "21"),
        ("temperature 21 please", THERMOSTAT, "21"),
        ("set 21 degrees", THERMOSTAT, "21"),
        ("make it 21 degrees", THERMOSTAT, "21"),
        ("I'd like it at 20 degrees", THERMOSTAT, "20"),
        ("volume 21", "home/tv/volume", "21"),
        ("blinds 21 percent", "zigbee2mqtt/Living Room Blinds/set", '{"position": 21}'),
        ("set the bedroom fan to 40 percent", "home/bedroom/fan/percentage/set", "40"),
    ],
)
def test_telegraphic_commands_that_name_what_to_set_still_act(
    pipeline: Pipeline, text: str, topic: str, payload: str
) -> None:
    outcome = say(pipeline, text)
    assert (topic, payload) in sent(outcome), outcome.response


def test_dimmer_by_a_number_still_dims(pipeline: Pipeline) -> None:
    outcome = say(pipeline, "dimmer 5 percent")
    assert outcome.intent.name == "set_brightness" and outcome.actions, outcome.response


# -- problem 2: one long text in a very large home -----------------------------------------------


@pytest.fixture(scope="module")
def big() -> Pipeline:
    """The example home plus 30,000 switches called "Gizmo <i> Widget"."""
    config = load_config(EXAMPLE)
    large = _pipeline(config)
    extra = tuple(
        Device(
            f"switch.gizmo_{i}",
            f"Gizmo {i} Widget",
            command=HomeAssistantSpec(command_topic=f"gizmo/{i}/set"),
        )
        for i in range(30_000)
    )
    large.set_home(Home(config.home.areas, config.home.devices + extra))
    return large


def test_more_than_eight_requests_in_one_text_do_nothing(big: Pipeline) -> None:
    unknown = ", ".join(["switch on qwerty lamp"] * 45)  # one clause each, 45 look-ups before
    outcome = say(big, unknown)
    assert outcome.actions == () and outcome.response.startswith(TOO_MANY)
    known = " and ".join(["turn on the coffee machine"] * 9)
    outcome = say(big, known)
    assert outcome.actions == () and outcome.response.startswith(TOO_MANY)
    names = " and ".join(["turn on zyx"] + ["zyx"] * 120)  # names joined to the first
    assert say(big, names).response.startswith(TOO_MANY)


def test_eight_requests_are_each_done(big: Pipeline) -> None:
    text = " and ".join(
        f"turn {how} the {name}"
        for how, name in [
            ("on", "coffee machine"),
            ("off", "hallway light"),
            ("on", "bedroom lamp"),
            ("off", "bedroom fan"),
            ("on", "desk lamp"),
            ("on", "gizmo 7 widget"),
            ("off", "gizmo 8 widget"),
            ("on", "gizmo 9 widget"),
        ]
    )
    outcome = say(big, text)
    assert len(outcome.parts) == 8 and len(outcome.actions) == 8, outcome.response
    assert ("gizmo/8/set", "OFF") in sent(outcome)


def test_requests_together_for_more_than_a_thousand_devices_do_nothing(big: Pipeline) -> None:
    for text in (
        "turn off all the switches and turn on the hallway light",
        "turn on the hallway light and turn off all the switches",
        " and ".join(["turn off all the switches"] * 8),
    ):
        outcome = say(big, text)
        assert outcome.actions == () and outcome.response.startswith(TOO_MANY_DEVICES), text
    alone = say(big, "turn off all the switches")  # one request alone: all of them
    assert len(alone.actions) > 30_000 and ("gizmo/29999/set", "OFF") in sent(alone)


def test_misheard_names_in_a_large_home_still_found(big: Pipeline) -> None:
    many = " and ".join(f"turn on the gizmo {i}7 widgt" for i in range(1, 9))
    outcome = say(big, many)
    assert len(outcome.actions) == 8 and ("gizmo/87/set", "ON") in sent(outcome), outcome.response
    assert say(big, "turn on the qwerty lamp").response == (
        "Sorry, I don't know a device called qwerty lamp."
    )


def _full_comparison(index: NameIndex, *heard: str) -> list[str]:
    """Fuzzy matching by comparing every name (what NameIndex.fuzzy must find, in order)."""
    scores: dict[str, float] = {}
    for phrase in dict.fromkeys(heard):
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq2(phrase)
        for form in [*index.names, *index.short_names]:
            matcher.set_seq1(form)
            if matcher.quick_ratio() < FUZZY_CUTOFF:  # an upper bound of the ratio
                continue
            a, b = distinct(phrase), distinct(form)
            close = difflib.SequenceMatcher(None, a, b).ratio() >= FUZZY_CUTOFF - 0.1
            alike = not a or not b or close
            if matcher.ratio() >= FUZZY_CUTOFF and alike:
                scores[form] = max(scores.get(form, 0.0), matcher.ratio())
    best = max(scores.values(), default=0.0)
    hits = [
        d.id
        for form, score in scores.items()
        if score >= best - 1e-9
        for d in index.names.get(form, []) + index.short_names.get(form, [])
    ]
    return list(dict.fromkeys(hits))


def test_fuzzy_look_up_finds_what_a_full_comparison_finds() -> None:
    config = load_config(EXAMPLE)
    rng = random.Random(5)
    extra = tuple(
        Device(f"light.l{i}", f"{rng.choice(['Den', 'Hall', 'Loft'])} Lamp {i}", "Kitchen")
        for i in range(1500)
    )
    index = NameIndex(Home(config.home.areas, config.home.devices + extra))
    names = [*index.names, *index.short_names]
    for _ in range(300):
        said = list(rng.choice(names))
        for _ in range(rng.randint(1, 3)):  # a typo or three
            at = rng.randrange(len(said))
            said[at : at + rng.randint(0, 1)] = rng.choice(["", "e", "a", " ", "1"])
        heard = "".join(said).strip() or "x"
        assert [d.id for d in index.fuzzy(heard)] == _full_comparison(index, heard), heard
