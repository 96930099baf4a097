"""A question the agent asks is answered by the next words: "Which lock, the front door or
the back door?" -> "the front one", "both", "cancel"; on the pure pipeline, and by one-shot
`say` commands (each its own process) against a real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.messages import Action
from agent.pipeline import Pipeline
from agent.resolve.choice import pick
from tests.conftest import Broker, Recorder, example_config, run_cli
from tests.test_pipeline import HOME, Clock, hallway_pipeline

LIGHTS = """\
  - id: light.kitchen_ceiling
    name: Ceiling Light
    area: Kitchen
    zigbee2mqtt: {friendly_name: kitchen ceiling}
  - id: light.kitchen_lamp
    name: Table Lamp
    area: Kitchen
    zigbee2mqtt: {friendly_name: kitchen lamp}
  - id: light.garage_lamp
    name: Workbench Lamp
    area: Hallway
    zigbee2mqtt: {friendly_name: workbench lamp}
"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pipeline(tmp_path: Path, clock: Clock) -> Pipeline:
    return hallway_pipeline(tmp_path, clock, HOME + LIGHTS)


FRONT = Action("lock.front_door", "locks/front/set", "LOCK")
BACK = Action("lock.back_door", "locks/back/set", "LOCK")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("the front one", (FRONT,)),
        ("front door", (FRONT,)),
        ("the back door please", (BACK,)),
        ("both", (FRONT, BACK)),
        ("all of them", (FRONT, BACK)),
        ("the first one", (FRONT,)),
        ("the last one", (BACK,)),
    ],
)
def test_which_lock_is_answered(pipeline: Pipeline, answer: str, expected: tuple[Action]) -> None:
    asked = pipeline.handle("lock the lock")
    assert asked.response == "Which lock, the front door or the back door?"
    assert pipeline.asking("") == "choose"
    outcome = pipeline.handle(answer)
    assert outcome.actions == expected
    assert outcome.intent.name == "lock" and outcome.intent.tier == "choice"
    assert outcome.text == answer
    assert pipeline.asking("") is None


@pytest.mark.parametrize("answer", ["cancel", "never mind", "neither", "no"])
def test_which_lock_is_cancelled(pipeline: Pipeline, answer: str) -> None:
    pipeline.handle("lock the lock")
    outcome = pipeline.handle(answer)
    assert outcome.actions == ()
    assert outcome.response == "OK, I won't."
    assert pipeline.handle("the front one").actions == ()  # nothing left to answer


def in_the_garage(pipeline: Pipeline) -> Pipeline:
    """Said where there is no light: "the light" is one of those elsewhere, so it asks."""
    return Pipeline(pipeline.home, pipeline.tiers, site_area="Garage")


def test_the_table_lamp_is_picked_and_the_level_kept(pipeline: Pipeline) -> None:
    garage = in_the_garage(pipeline)
    asked = garage.handle("set the light to 40 percent")
    assert asked.response == (
        "Which light, the hallway light, the ceiling light, the table lamp or the workbench lamp?"
    )
    outcome = garage.handle("the table lamp")
    assert [(a.topic, a.payload) for a in outcome.actions] == [
        ("zigbee2mqtt/kitchen lamp/set", '{"state": "ON", "brightness": 102}')
    ]
    assert outcome.response == "Setting the table lamp to 40%."


def test_an_answer_that_still_fits_several_asks_again(pipeline: Pipeline) -> None:
    garage = in_the_garage(pipeline)
    garage.handle("turn on the light")
    again = garage.handle("the kitchen one")
    assert again.actions == ()
    assert again.response == "Which light, the ceiling light or the table lamp?"
    last = garage.handle("the ceiling")
    assert [a.device_id for a in last.actions] == ["light.kitchen_ceiling"]
    assert last.response == "Turning on the ceiling light."


def test_other_words_are_a_new_command(pipeline: Pipeline) -> None:
    pipeline.handle("lock the lock")
    outcome = pipeline.handle("turn on the hallway light")
    assert [a.device_id for a in outcome.actions] == ["light.hallway"]
    assert outcome.response == "Turning on the hallway light."
    assert pipeline.handle("the front one").actions == ()  # the question went


def test_the_question_expires(pipeline: Pipeline, clock: Clock) -> None:
    pipeline.handle("lock the lock")
    clock.now += 31
    assert pipeline.handle("both").actions == ()


def test_an_answer_is_its_askers_own(pipeline: Pipeline) -> None:
    pipeline.handle("lock the lock", who="mqtt:kitchen-panel")
    assert pipeline.handle("both", who="mqtt:phone").actions == ()
    assert len(pipeline.handle("both", who="mqtt:kitchen-panel").actions) == 2


def test_a_chosen_sensitive_device_still_needs_its_yes(pipeline: Pipeline) -> None:
    pipeline.handle("unlock the lock")
    chosen = pipeline.handle("the front door")
    assert chosen.actions == ()
    assert chosen.response == "Do you really want to unlock the front door? Say yes to confirm."
    assert pipeline.asking("") == "confirm"
    done = pipeline.handle("yes")
    assert done.actions == (Action("lock.front_door", "locks/front/set", "UNLOCK"),)


def test_pick_is_pure_and_reads_nothing_into_other_words(pipeline: Pipeline) -> None:
    devices = pipeline.home.devices
    locks = tuple(d for d in devices if d.id in ("lock.front_door", "lock.back_door"))
    assert pick("what time is it", locks).kind == "none"
    assert pick("", locks).kind == "none"
    assert pick("the third one", locks).kind == "none"
    assert pick("front", locks).devices == locks[:1]


def test_say_answers_the_question_the_last_say_asked(
    tmp_path: Path, broker: Broker, recorder: Recorder
) -> None:
    """Each `say` is its own process: the question is kept for the next one."""
    config = str(example_config(tmp_path, broker.port))
    first = run_cli("say", "--config", config, "--area", "garage", "turn on the light")
    assert first.returncode == 1
    assert first.stdout.startswith("Which light, the ")
    assert '(here: voice-agent say "the ...", naming one, within 30 s)' in first.stdout
    assert recorder.device_messages() == []
    second = run_cli("say", "--config", config, "the bedroom one")
    assert (second.returncode, second.stdout) == (0, "Turning on the bedroom lamp.\n")
    recorder.wait_for(lambda m: m.topic == "zigbee2mqtt/Bedroom Lamp/set")
    assert recorder.device_messages() == [("zigbee2mqtt/Bedroom Lamp/set", '{"state": "ON"}')]
