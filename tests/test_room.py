"""Heard in a real room: the wake phrase and a command, spoken by five espeak-ng voices and
hibari-tts's neural voice over the noise floors of real rooms, wake the agent and act as the
typed command does, on the default config; phrases that only sound like the wake phrase do
not wake it."""

from __future__ import annotations

import random
import sys
from functools import cache
from pathlib import Path

import pytest

from agent.config import Config, load_config
from agent.home.inventory import Home
from agent.pipeline import Pipeline
from agent.understand.cascade import tiers_for
from agent.voice.audio import WavSource
from agent.voice.loop import voice_commands
from agent.voice.sphinx import SphinxEngine
from tests import speech
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import home_llm

CORPUS = ROOT.parent / "shared" / "corpora" / "home-llm"
COMMANDS = ("turn on the kitchen light", "lock the front door")
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland", "en-us+m8")
HIBARI = ("hibari:0.85", "hibari:0.9", "hibari", "hibari:1.1", "hibari:1.15")
# (name, voices, noise floors, home): ten utterances each, both commands in each voice
ROWS = {
    "white-noise floor 0.002": (VOICES, (0.002,), "example"),
    "sox dither only": (VOICES, ("dither",), "example"),
    "white-noise floor 0.01 (a quiet room)": (VOICES, (0.01,), "example"),
    "white-noise floor 0.03": (VOICES, (0.03,), "example"),
    "hibari-tts, floor 0.01": (HIBARI, (0.01,), "example"),
    "floor 0.002-0.01, a home of 150 entities": (VOICES, (0.002, 0.005, 0.01), "150"),
}


@cache
def config() -> Config:
    return load_config(ROOT / "configs" / "agent.example.yaml")


@cache
def home(name: str) -> Home:
    base = config().home
    if name == "example":
        return base
    rnd = random.Random(150)
    taken = {d.name.lower() for d in base.devices}
    pool = [
        d
        for d in home_llm.distractor_pool(CORPUS)
        if d.name.lower() not in taken
        and not any(w in d.name.lower() for w in ("kitchen", "front"))
    ]
    extra = rnd.sample(pool, 150 - len(base.devices))
    return Home(areas=base.areas, devices=base.devices + tuple(extra))


@cache
def engine(name: str) -> SphinxEngine:
    return SphinxEngine(home(name), wake=config().voice.wake_word)


@cache
def pipeline(name: str) -> Pipeline:
    c = config()
    return Pipeline(home(name), tiers_for(c.understanding), site_area=c.site.area)


def acted(name: str, text: str) -> tuple[object, ...]:
    """What the typed `text` does in home `name`: intent, device messages, targets."""
    outcome = pipeline(name).handle(text)
    pipeline(name).handle("no")
    return (outcome.intent.name, outcome.actions, outcome.targets)


def woken_and_acted(tmp: Path, said: str, voice: str, noise: float | str, name: str) -> bool:
    wav = speech.say(tmp / f"{abs(hash((said, voice, noise)))}.wav", said, voice=voice, noise=noise)
    got = list(voice_commands(WavSource(wav).blocks(), config().voice, engine(name)))
    return len(got) == 1 and acted(name, got[0].text) == acted(name, said.split(" ", 2)[2])


# pocketsphinx hears the wake phrase there (10 of 10) but mishears "turn on the kitchen
# light" in most voices ("dim all the kitchen light"): 6 of 10 (5 with the closed grammar
# alone); the wake stage is not the gap.
NOT_YET = {"white-noise floor 0.03"}


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(r, marks=pytest.mark.xfail(strict=True, reason="misheard commands"))
        if r in NOT_YET
        else r
        for r in sorted(ROWS)
    ],
)
def test_wake_phrase_and_command_in_a_room(row: str, tmp_path: Path) -> None:
    voices, floors, name = ROWS[row]
    results = []
    for n, voice in enumerate(voices):
        for text in COMMANDS:
            said = f"hey computer {text}"
            ok = woken_and_acted(tmp_path, said, voice, floors[n % len(floors)], name)
            results.append(f"{voice} {text!r}: {'ok' if ok else 'MISSED'}")
    right = sum(r.endswith(": ok") for r in results)
    assert right >= 8, "\n".join(results)


@pytest.mark.parametrize("phrase", ["hey commuter", "a computer", "hey come here"])
def test_near_misses_do_not_wake_it(phrase: str, tmp_path: Path) -> None:
    woke = []
    for voice in ("en-us", "en-gb", "hibari"):
        for floor in (0.002, 0.01):
            said = f"{phrase} turn on the kitchen light"
            wav = speech.say(tmp_path / f"{voice}-{floor}.wav", said, voice=voice, noise=floor)
            got = list(voice_commands(WavSource(wav).blocks(), config().voice, engine("example")))
            woke += [f"{voice} at {floor}: {h.text!r} (wake score {h.wake})" for h in got]
    assert woke == []


def test_a_broken_wake_model_is_a_clear_error(tmp_path: Path) -> None:
    import shutil

    from agent.voice.recognition import RecognizerError
    from agent.voice.wake import WakeModel

    shutil.copy(ROOT / "models" / "wake-hey-computer" / "wake.int8.onnx", tmp_path)
    (tmp_path / "wake.json").write_text("{}")
    with pytest.raises(RecognizerError, match="could not be loaded: KeyError\\('phrase'\\)"):
        WakeModel(tmp_path)
