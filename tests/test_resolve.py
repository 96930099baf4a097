"""The resolver's parts, each on its own: names, areas and floors, kinds, the policy; and the
utterance helpers around it (assistant names, questions, bare names, durations, clauses)."""

from __future__ import annotations

import pytest

from agent.answers import answer, asked_about, over_many
from agent.home.inventory import Area, Device, Home
from agent.home.state import DeviceState
from agent.messages import Intent, Slots
from agent.reply import place
from agent.resolve import Resolver
from agent.resolve.areas import AreaIndex
from agent.resolve.names import NameIndex
from agent.resolve.policy import Reading, finish
from agent.resolve.vocab import canonical, fits, kind_of
from agent.understand.clauses import split
from agent.understand.utterance import (
    is_bare_name,
    is_question,
    split_duration,
    strip_assistant_names,
    temperature_unit,
)

AREAS = (
    Area("Kitchen", floor="downstairs"),
    Area("Living Room", aliases=("lounge",), floor="downstairs"),
    Area("Bedroom", floor="upstairs"),
    Area("Garage"),
    Area("Study"),
)
DEVICES = (
    Device("binary_sensor.light", "Light", "Living Room", device_class="light"),
    Device("light.ceiling", "Living Room Ceiling", "Living Room"),
    Device("light.lamp", "Bob's Lamp", "Living Room"),
    Device("light.kitchen", "Kitchen Light", "Kitchen"),
    Device("switch.fan", "Fan", "Living Room"),
    Device("fan.ceiling", "Ceiling Fan", "Living Room"),
    Device("cover.garage", "Garage Door", "Garage", device_class="garage"),
    Device("cover.blind", "Bedroom Blind", "Bedroom"),
    Device("lock.front", "Front Door Lock", "Kitchen"),
    Device("binary_sensor.front", "Front Door", "Kitchen", device_class="door"),
    Device("binary_sensor.window", "Bedroom Window", "Bedroom", device_class="window"),
    Device("media_player.tv", "TV", "Living Room", device_class="tv"),
    Device("media_player.sonos", "Sonos", "Living Room", device_class="speaker"),
    Device("media_player.radio", "Radio", "Kitchen"),
    Device("vacuum.down", "Vacuum Downstairs", "Kitchen"),
    Device("scene.movie", "Movie Time"),
    Device("switch.study", "Desk Power", "Study"),
    Device("sensor.temperature", "Temperature", "Bedroom", device_class="temperature"),
    Device("climate.house", "Thermostat", "Living Room"),
)
HOME = Home(AREAS, DEVICES)


def resolve(
    name: str, device: str | None = None, area: str | None = None, site: str = "Living Room"
) -> tuple[str, set[str]]:
    res = Resolver(HOME, site).resolve(Intent(name, Slots(device=device, area=area)))
    return res.status, {d.id for d in res.targets or res.candidates}


# -- names ------------------------------------------------------------------------------------
def test_names_exact_short_partial_and_kinds_in_one_spelling() -> None:
    names = NameIndex(HOME)
    assert [d.id for d in names.exact("kitchen lights")] == ["light.kitchen"]
    assert [d.id for d in names.short("ceiling")] == ["light.ceiling"]  # without its area
    assert {d.id for d in names.partial("movie", None)} == {"scene.movie"}
    assert {d.id for d in names.partial("bobs light", None)} == {"light.lamp"}
    # a phrase of only words for kinds able to do it is the kind's reading, not a name
    assert names.partial("lights", None, frozenset({"light"})) == []


def test_fuzzy_names_must_agree_where_they_differ() -> None:
    names = NameIndex(HOME)
    assert [d.id for d in names.fuzzy("kitchen lite")] == ["light.kitchen"]
    assert names.fuzzy("den light") == []  # not "Kitchen Light"


# -- areas ------------------------------------------------------------------------------------
def test_areas_floors_aliases_and_room_suffix() -> None:
    areas = AreaIndex(HOME)
    assert areas.find("lounge", None) is not None
    upstairs = areas.find("upstairs", None)
    assert upstairs is not None and upstairs.areas == {"Bedroom"}
    study = areas.in_phrase("study room lights")
    assert study is not None and study.rest == "lights" and study.place.areas == {"Study"}


def test_vocab_kinds() -> None:
    assert kind_of("garage doors") == ("garage door", (("cover", "garage"),))
    assert canonical("entrance lamps") == "entry light"
    blinds = (("cover", "shade"),)
    assert fits("cover", None, blinds) and not fits("cover", "garage", blinds)


# -- the policy -------------------------------------------------------------------------------
def test_policy_adapts_asks_or_refuses() -> None:
    lock, garage = HOME.device("lock.front"), HOME.device("cover.garage")
    assert lock is not None and garage is not None
    opened = finish(Intent("open"), Reading((lock,), "front door"))
    assert (opened.status, opened.intent.name) == ("ok", "unlock")
    sensor = HOME.device("binary_sensor.light")
    assert sensor is not None
    assert finish(Intent("turn_off"), Reading((sensor,), "light")).status == "unsupported"
    two = finish(Intent("open"), Reading((garage, garage), "door", reached=True))
    assert two.status == "ambiguous"


# -- the whole resolver, pattern by pattern ----------------------------------------------------
@pytest.mark.parametrize(
    ("intent", "device", "area", "site", "expected"),
    [
        # a device named like a kind word falls through to the kind
        ("turn_off", "light", None, "Living Room", {"light.ceiling", "light.lamp"}),
        ("set_brightness", "fan", None, "Living Room", {"fan.ceiling"}),
        # nothing named: the usual kind where the speaker is; the area's only player
        ("set_brightness", None, None, "Kitchen", {"light.kitchen"}),
        ("set_volume", None, None, "Kitchen", {"media_player.radio"}),
        # everywhere and floors
        (
            "turn_off",
            "lights everywhere",
            None,
            "Kitchen",
            {"light.ceiling", "light.lamp", "light.kitchen"},
        ),
        (
            "turn_off",
            "lights",
            "downstairs",
            "Bedroom",
            {"light.ceiling", "light.lamp", "light.kitchen"},
        ),
        # a kind of two words is not an area and a word
        ("open", "garage door", None, "Kitchen", {"cover.garage"}),
        # an area word inside a name; a partial name house-wide
        ("vacuum_start", "vacuum", "downstairs", "Bedroom", {"vacuum.down"}),
        ("activate_scene", "movie", None, "Kitchen", {"scene.movie"}),
        # a place with no lights: its switches
        ("turn_on", "study lights", None, "Kitchen", {"switch.study"}),
        # a thermostat serves the house; the sensor named Temperature can't be set
        ("set_temperature", "temperature", None, "Bedroom", {"climate.house"}),
        # the front door for unlocking is the lock named longer
        ("unlock", "front door", None, "Kitchen", {"lock.front"}),
    ],
)
def test_resolver_patterns(
    intent: str, device: str | None, area: str | None, site: str, expected: set[str]
) -> None:
    assert resolve(intent, device, area, site) == ("ok", expected)


def test_a_kind_past_the_speakers_area_asks_first() -> None:
    # no light in the garage: one of three elsewhere is meant, so ask which
    status, candidates = resolve("turn_on", "light", site="Garage")
    assert status == "ambiguous" and candidates == {"light.ceiling", "light.lamp", "light.kitchen"}
    # ...but "the lamp" is the one called a lamp
    assert resolve("turn_on", "lamp", site="Garage") == ("ok", {"light.lamp"})
    # "all" or a place said reaches past it
    assert resolve("turn_on", "all lights", site="Garage")[0] == "ok"
    # one blind in the house: it is the one meant
    assert resolve("close", "blind", site="Kitchen") == ("ok", {"cover.blind"})
    # a speaker: the Sonos, or the radio with no class given; never the TV
    assert resolve("media_pause", "speaker", site="Bedroom") == (
        "ambiguous",
        {"media_player.sonos", "media_player.radio"},
    )


def test_replies_name_floors_without_in_the() -> None:
    assert place("upstairs", floor=True) == "upstairs"
    assert place("Kitchen", floor=False) == "in the kitchen"


# -- questions --------------------------------------------------------------------------------
def test_questions_are_about_what_their_state_word_fits() -> None:
    fits_locked = asked_about("which doors are unlocked")
    lock, sensor = HOME.device("lock.front"), HOME.device("binary_sensor.front")
    assert fits_locked is not None and lock is not None and sensor is not None
    assert fits_locked(lock) and not fits_locked(sensor)
    assert over_many("is any window open") and over_many("how many lights are on")
    assert not over_many("is the kitchen light on")


def test_answers_count_list_and_say_yes_or_no() -> None:
    lights = tuple(d for d in DEVICES if d.domain == "light")
    states = {"light.kitchen": "on", "light.ceiling": "off", "light.lamp": "on"}

    def lookup(device_id: str) -> DeviceState | None:
        return DeviceState(state=states[device_id]) if device_id in states else None

    assert answer("how many lights are on", lights, lookup, None).text == (
        "2 of 3 lights are on: Bob's lamp and the kitchen light."
    )
    assert answer("are any lights on", lights, lookup, "upstairs").text.startswith("Yes, ")
    none_open = answer("is any light off", lights[:1], lambda _: DeviceState(state="on"), None)
    assert none_open.text == "No, none of the living room ceiling is off."


# -- utterances -------------------------------------------------------------------------------
def test_assistant_names_anywhere_but_inside_a_name() -> None:
    def named(word: str) -> bool:
        return word == "computer"

    assert strip_assistant_names("Alexa, turn on the lamp", named=lambda _: False) == (
        "turn on the lamp"
    )
    assert strip_assistant_names("turn on the lamp hey google", named=lambda _: False) == (
        "turn on the lamp"
    )
    assert strip_assistant_names("turn off the computer", named=named) == "turn off the computer"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("is the fan on", True),
        ("are any of the blinds open", True),
        ("do we have a leak anywhere", True),
        ("can you tell me if the door is locked", True),
        ("can you turn on the light", False),
        ("is it possible to turn on the light", False),
        ("turn on the light", False),
    ],
)
def test_questions(text: str, question: bool) -> None:
    assert is_question(text) is question


def test_bare_names_durations_units_and_clauses() -> None:
    assert is_bare_name("the garage door", "garage door", None, named=lambda _: False)
    assert is_bare_name("living room lock okay", "living room", None, named=lambda w: True)
    assert not is_bare_name("open the garage door", "garage door", None, named=lambda _: False)
    rest, duration = split_duration("silence the speaker for half an hour")
    assert rest == "silence the speaker" and duration is not None
    assert (duration.how, duration.said) == ("for", "for half an hour")
    assert split_duration("turn off the lights in 10 minutes")[1] is not None
    assert temperature_unit("set it to 70 degrees fahrenheit") == "F"
    assert [c.text for c in split("turn on the porch light and turn off the hall light")] == [
        "turn on the porch light",
        "turn off the hall light",
    ]
    joined = split("switch on the porch and garden lights")
    assert [(c.text, c.joined) for c in joined] == [
        ("switch on the porch", False),
        ("garden lights", True),
    ]


def test_replies_read_well_about_places() -> None:
    from agent.pipeline import Pipeline
    from agent.understand.templates import TemplateMatcher

    pipeline = Pipeline(HOME, [TemplateMatcher.load().match], site_area="Kitchen")
    replies = {
        text: pipeline.handle(text).response
        for text in ("turn on the lights upstairs", "turn on the fan in the kitchen")
    }
    assert replies == {
        "turn on the lights upstairs": "Sorry, there is no light upstairs.",
        "turn on the fan in the kitchen": "Sorry, there is no fan in the kitchen.",
    }


def test_a_misspelt_area_is_the_one_holding_what_was_named() -> None:
    home = Home(
        (Area("Bedroom"), Area("Bathroom")),
        (Device("light.lamp", "Lamp", "Bedroom"), Device("fan.x", "Extractor", "Bathroom")),
    )
    resolver = Resolver(home)
    fan = resolver.resolve(Intent("turn_on", Slots(device="fan", area="bethroom")))
    lamp = resolver.resolve(Intent("turn_on", Slots(device="lamp", area="bethroom")))
    assert [d.id for d in fan.targets] == ["fan.x"]
    assert [d.id for d in lamp.targets] == ["light.lamp"]
