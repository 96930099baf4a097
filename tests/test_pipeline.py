"""Replies, ambiguity, area context and the safety policy, on the pure pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import load_config
from agent.messages import Action
from agent.pipeline import Pipeline
from agent.understand.templates import TemplateMatcher
from tests.conftest import EXAMPLE

HOME = """\
site: {id: hall-pi, area: Hallway}
areas:
  - {name: Hallway}
  - {name: Kitchen}
  - {name: Garage}
devices:
  - id: lock.front_door
    name: Front Door
    area: Hallway
    homeassistant: {command_topic: locks/front/set}
  - id: lock.back_door
    name: Back Door
    area: Hallway
    homeassistant: {command_topic: locks/back/set}
    safety: allow
  - id: lock.shed
    name: Shed Lock
    area: Garage
    homeassistant: {command_topic: locks/shed/set}
    safety: deny
  - id: cover.garage_door
    name: Garage Door
    area: Garage
    device_class: garage
    homeassistant: {command_topic: garage/door/set}
  - id: cover.kitchen_blind
    name: Kitchen Blind
    area: Kitchen
    homeassistant: {command_topic: kitchen/blind/set}
  - id: light.hallway
    name: Hallway Light
    area: Hallway
    homeassistant: {command_topic: hall/light/set}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def hallway_pipeline(tmp_path: Path, clock: Clock, home: str = HOME) -> Pipeline:
    """The home's templates-only pipeline, said in the hallway; questions wait 30 s."""
    path = tmp_path / "home.yaml"
    path.write_text(home)
    config = load_config(path)
    return Pipeline(
        config.home,
        [TemplateMatcher.load().match],
        site_area="Hallway",
        confirm_timeout_s=30,
        clock=clock,
    )


@pytest.fixture
def pipeline(tmp_path: Path, clock: Clock) -> Pipeline:
    return hallway_pipeline(tmp_path, clock)


def test_ambiguous_lock_asks_which_and_acts_on_nothing(pipeline: Pipeline) -> None:
    outcome = pipeline.handle("lock the lock")
    assert outcome.response == "Which lock, the front door or the back door?"
    assert outcome.actions == ()
    assert outcome.intent.name == "lock"


def test_unlock_needs_a_spoken_yes(pipeline: Pipeline) -> None:
    first = pipeline.handle("unlock the front door")
    assert first.actions == ()
    assert first.response == "Do you really want to unlock the front door? Say yes to confirm."
    second = pipeline.handle("yes")
    assert second.actions == (Action("lock.front_door", "locks/front/set", "UNLOCK"),)
    assert second.response == "Unlocking the front door."
    assert second.intent.tier == "confirmation"


def test_no_cancels_and_a_late_yes_does_nothing(pipeline: Pipeline, clock: Clock) -> None:
    pipeline.handle("unlock the front door")
    cancelled = pipeline.handle("no")
    assert (cancelled.response, cancelled.actions) == ("OK, I won't.", ())
    pipeline.handle("unlock the front door")
    clock.now = 31.0
    late = pipeline.handle("yes")
    assert late.actions == ()
    assert late.intent.name == "none"


def test_allowed_lock_unlocks_at_once(pipeline: Pipeline) -> None:
    outcome = pipeline.handle("unlock the back door")
    assert outcome.actions == (Action("lock.back_door", "locks/back/set", "UNLOCK"),)


def test_denied_lock_is_refused(pipeline: Pipeline) -> None:
    outcome = pipeline.handle("unlock the shed lock")
    assert outcome.actions == ()
    assert outcome.response == "Sorry, I'm not allowed to unlock the shed lock by voice."
    # locking it is not sensitive
    assert pipeline.handle("lock the shed lock").actions == (
        Action("lock.shed", "locks/shed/set", "LOCK"),
    )


def test_garage_door_opening_is_sensitive_but_blinds_are_not(pipeline: Pipeline) -> None:
    assert pipeline.handle("open the garage door").actions == ()
    assert pipeline.handle("yes").actions == (
        Action("cover.garage_door", "garage/door/set", "OPEN"),
    )
    assert pipeline.handle("close the garage door").actions == (
        Action("cover.garage_door", "garage/door/set", "CLOSE"),
    )
    assert pipeline.handle("open the kitchen blind").actions == (
        Action("cover.kitchen_blind", "kitchen/blind/set", "OPEN"),
    )


def test_only_locks_lock(pipeline: Pipeline) -> None:
    outcome = pipeline.handle("lock the garage door")
    assert outcome.actions == ()
    assert outcome.response == "Sorry, I can't lock the garage door."


def test_unknown_things_are_none_with_a_reason(pipeline: Pipeline) -> None:
    spaceship = pipeline.handle("turn on the spaceship")
    assert (spaceship.intent.name, spaceship.response) == (
        "none",
        "Sorry, I don't know a device called spaceship.",
    )
    attic = pipeline.handle("turn on the lights in the attic")
    assert attic.response == "Sorry, I don't know an area called attic."
    chat = pipeline.handle("what's the weather like")
    assert (chat.intent.name, chat.response) == ("none", "Sorry, I didn't understand that.")


def test_area_context_and_in_here(tmp_path: Path) -> None:
    config = load_config(EXAMPLE)
    matcher = TemplateMatcher.load().match
    kitchen = Pipeline(config.home, [matcher], site_area="Kitchen")
    bedroom = Pipeline(config.home, [matcher], site_area="Bedroom")
    assert kitchen.handle("turn on the lights").targets == (
        "light.kitchen_ceiling",
        "light.kitchen_counter",
    )
    assert bedroom.handle("turn on the lights in here").targets == ("light.bedroom_lamp",)
    # --area overrides the site's area for one command
    assert kitchen.handle("turn on the lights", area="Office").targets == ("light.office_desk",)


def test_group_reply_names_the_place() -> None:
    config = load_config(EXAMPLE)
    pipeline = Pipeline(config.home, [TemplateMatcher.load().match], site_area="Kitchen")
    assert pipeline.handle("turn off all the lights downstairs").response == (
        "Turning off the lights downstairs."
    )
    assert pipeline.handle("turn on the kitchen light").response == (
        "Turning on the kitchen ceiling light and the counter lights."
    )
