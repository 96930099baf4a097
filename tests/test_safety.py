"""What must never happen, whatever is said: the agent moving things it was not asked to,
at another time than asked, by another amount than asked, or hanging on a sentence. On the
look-alike home, with known states, through the whole pipeline (templates, then the model)."""

from __future__ import annotations

import time

import pytest

from agent.config import load_config
from agent.home.state import DeviceState
from agent.pipeline import Pipeline
from agent.understand.cascade import tiers_for
from tests.test_patterns import HOME

STATES = {
    "climate.thermostat": DeviceState(temperature=21.0),
    "light.living_room_ceiling": DeviceState(state="on", brightness=50.0),
    "cover.living_room_blinds": DeviceState(position=50.0),
}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    config = load_config(HOME)
    return Pipeline(
        config.home, tiers_for(config.understanding), site_area="Living Room", state=STATES.get
    )


def sent(pipeline: Pipeline, text: str, area: str | None = None) -> set[tuple[str, str]]:
    outcome = pipeline.handle(text, area=area)
    pending = pipeline.has_pending
    pipeline.handle("no")
    assert not pending or not outcome.actions
    return {(a.device_id, a.payload) for a in outcome.actions}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a step is a step, in the units of the home, never a setting
        ("raise the temperature by 2 degrees fahrenheit", {("climate.thermostat", "22.1")}),
        ("make it 2 degrees warmer", {("climate.thermostat", "23")}),
        ("cool the house by 2 degrees", {("climate.thermostat", "19")}),
        ("bump the thermostat up one degree", {("climate.thermostat", "22")}),
        ("close the blinds by 30 percent", {("cover.living_room_blinds", "20")}),
        ("raise the blinds by 0", {("cover.living_room_blinds", "50")}),
        # a level beyond what can be sent is sent at the end of the range
        ("set the thermostat to 70 c", {("climate.thermostat", "35")}),
    ],
)
def test_steps_and_ranges(pipeline: Pipeline, text: str, expected: set[tuple[str, str]]) -> None:
    assert sent(pipeline, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # later is not now
        "turn off the lights in a moment",
        "unlock the front door tomorrow morning",
        "unlock the front door at 6 am",
        "open the garage door when i get home",
        "turn off the lights in 10 minutes",
        # questions and statements of how things are
        "lights on?",
        "the fan is on",
        "the heating is at 30",
        "shall i turn on the light",
        "front door unlocked?",
        # a name alone, a word alone, numbers alone
        "back door",
        "the garage door",
        "good",
        "time",
        "1e308",
        "a hundred",
        "100%",
    ],
)
def test_nothing_moves(pipeline: Pipeline, text: str) -> None:
    assert sent(pipeline, text) == set()
    assert not pipeline.has_pending


def test_a_question_mark_on_a_request_is_still_a_request(pipeline: Pipeline) -> None:
    assert sent(pipeline, "can you turn on the floor lamp?") == {("light.floor_lamp", "ON")}


def test_a_misheard_name_never_reaches_every_room(pipeline: Pipeline) -> None:
    outcome = pipeline.handle("turn on the ligth", area="Kitchen")
    assert outcome.actions == ()
    assert outcome.response.startswith("Which ligth, ")


def test_each_sensitive_part_waits_for_the_one_yes(pipeline: Pipeline) -> None:
    asked = pipeline.handle("unlock the front door and unlock the back door")
    assert asked.actions == ()
    done = pipeline.handle("yes")
    assert {(a.device_id, a.payload) for a in done.actions} == {
        ("lock.front_door", "UNLOCK"),
        ("lock.back_door", "UNLOCK"),
    }


def test_lists_keep_every_item(pipeline: Pipeline) -> None:
    assert sent(pipeline, "lock the front door and the back door") == {
        ("lock.front_door", "LOCK"),
        ("lock.back_door", "LOCK"),
    }
    lights = sent(pipeline, "turn off the porch light and the garden lights and the hallway light")
    assert {device for device, _ in lights} == {"light.porch", "light.garden", "light.hallway"}


@pytest.mark.parametrize("text", ["and " * 3000, "x and " * 60, "turn on the " * 80])
def test_long_joined_lines_stay_fast(pipeline: Pipeline, text: str) -> None:
    start = time.perf_counter()
    pipeline.handle(text.strip())
    assert time.perf_counter() - start < 1.0
