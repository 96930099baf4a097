"""Speech in, device messages out: espeak-ng commands through `voice-agent listen --wav`,
recognised by pocketsphinx against the home's grammar, acted on over a real broker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from agent.pipeline import Pipeline
from agent.voice.audio import WavSource
from agent.voice.loop import Heard, commands, voice_commands
from agent.voice.recognition import Word
from tests import pulse, speech
from tests.conftest import Agent, Broker, Recorder, example_config, run_cli


def test_wake_word_then_command_acts(tmp_path: Path, broker: Broker, recorder: Recorder) -> None:
    parts = [
        speech.say(tmp_path / "1.wav", "hey computer turn on the kitchen light"),
        speech.say(tmp_path / "2.wav", "hey computer"),
        speech.say(tmp_path / "3.wav", "lock the front door", voice="en-gb"),
        speech.say(tmp_path / "4.wav", "set the bedroom lamp to fifty percent"),  # no wake word
    ]
    wav = speech.join(tmp_path / "all.wav", *parts)
    result = run_cli(
        "listen",
        "--wav",
        str(wav),
        "--config",
        str(example_config(tmp_path, broker.port)),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["text"], e["intent"], e["targets"]) for e in events] == [
        (
            "turn on the kitchen light",
            "turn_on",
            ["light.kitchen_ceiling", "light.kitchen_counter"],
        ),
        ("lock the front door", "lock", ["lock.front_door"]),
    ]
    recorder.wait_for(lambda m: m.topic == "home/front_door/lock/set")
    assert sorted(recorder.device_messages()) == [
        ("home/front_door/lock/set", "LOCK"),
        ("home/kitchen/ceiling/set", "ON"),
        ("zigbee2mqtt/kitchen/counter/set", '{"state": "ON"}'),
    ]


def test_the_neural_voice_wakes_it_and_acts(
    tmp_path: Path, broker: Broker, recorder: Recorder
) -> None:
    """hibari-tts's voice, not espeak-ng's, at three speeds and a quiet room's noise floor;
    the first sentence is the first the engine hears (it was misheard half the time before
    the engine warmed up on quiet noise)."""
    said = [
        ("hey computer, turn off the desk lamp", "hibari:0.9", 0.01),
        ("hey computer, open the blinds", "hibari", 0.01),
        ("hey computer, lock the front door", "hibari:1.1", 0.01),
    ]
    parts = [
        speech.say(tmp_path / f"{n}.wav", text, voice=voice, noise=noise)
        for n, (text, voice, noise) in enumerate(said)
    ]
    wav = speech.join(tmp_path / "all.wav", *parts)
    config = example_config(tmp_path, broker.port)
    result = run_cli("listen", "--wav", str(wav), "--config", str(config), timeout=120)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["intent"], e["targets"]) for e in events] == [
        ("turn_off", ["light.office_desk"]),
        ("open", ["cover.living_room_blinds"]),
        ("lock", ["lock.front_door"]),
    ]
    recorder.wait_for(lambda m: m.topic == "home/front_door/lock/set")


def test_listen_without_a_broker_prints_events(tmp_path: Path) -> None:
    from tests.conftest import free_port

    wav = speech.say(tmp_path / "1.wav", "hey computer open the blinds")
    result = run_cli(
        "listen",
        "--wav",
        str(wav),
        "--config",
        str(example_config(tmp_path, free_port())),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (event["intent"], event["targets"]) == ("open", ["cover.living_room_blinds"])
    assert "printing events without acting" in result.stderr


def _h(text: str, start: float, *confidences: float) -> Heard:
    words = tuple(
        Word(w, start + i * 0.3, start + i * 0.3 + 0.3, c)
        for i, (w, c) in enumerate(zip(text.split(), confidences, strict=False))
    )
    return Heard(text, start, start + 2, 0.0, words)


def test_wake_logic() -> None:
    said = [
        _h("turn on the light", 0),
        _h("hey computer", 3),
        _h("dim the lights", 6),
        _h("open the blinds", 9),
        _h("hey computer lock the door", 12),
        _h("hey computer", 20),
        _h("pause", 40),
    ]
    got = [h.text for h in commands(said, wake="hey computer")]
    assert got == ["dim the lights", "lock the door"]
    assert [h.text for h in commands(said, wake="hey computer", mode="always")] == [
        "turn on the light",
        "dim the lights",
        "open the blinds",
        "lock the door",
        "pause",
    ]


def test_microphone_wake_word_to_device_message(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """Capture through sounddevice, paced in real time as a microphone is: the speech is played
    into a private PulseAudio null sink whose monitor is the default ALSA input."""
    wav = speech.say(tmp_path / "cmd.wav", "hey computer turn on the kitchen light", after=1.5)
    home = tmp_path / "home"
    home.mkdir()
    config = example_config(tmp_path, broker.port)
    config.write_text(config.read_text().replace("  enabled: false ", "  enabled: true ", 1))
    with pulse.null_sink(home) as sink:
        agent = agent_factory(config, {k: sink.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")})
        agent.wait_log("audio input open: default device at 16000 Hz", timeout=60)
        pulse.play(sink.env, wav)
        assert recorder.on("home/kitchen/ceiling/set", timeout=30).payload == "ON"
    event = json.loads(recorder.on("voice-agent/kitchen-pi/intent").payload)
    assert (event["text"], event["intent"]) == ("turn on the kitchen light", "turn_on")
    listening = [
        m.payload for m in recorder.messages if m.topic == "voice-agent/kitchen-pi/listening"
    ]
    assert listening[:2] == ["on", "off"]
    partials = [
        m.payload
        for m in recorder.messages
        if m.topic == "voice-agent/kitchen-pi/transcript/partial"
    ]
    assert any(p.startswith("hey computer turn on the") for p in partials), partials
    assert "heard 'turn on the kitchen light'" in agent.output()
    assert "dropped" not in agent.output()


def test_raw_audio_on_stdin(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT, free_port

    wav = speech.say(tmp_path / "1.wav", "hey computer close the garage door")
    raw = b"".join(WavSource(wav).blocks())
    config = example_config(tmp_path, free_port())
    done = subprocess.run(
        [sys.executable, "-m", "agent", "listen", "--stdin", "--config", str(config)],
        input=raw,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    (event,) = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert (event["intent"], event["targets"]) == ("close", ["cover.garage_door"])


def test_sensitivity_gates_the_wake_phrase_and_always_mode() -> None:
    said = [
        _h("hey computer turn on the light", 0, 0.3, 0.4, 0.9, 0.9, 0.9, 0.9),  # a near miss
        _h("hey computer lock the door", 5, 0.7, 0.8, 0.2, 0.2, 0.2),  # the command is weak
        _h("hey computer", 10, 0.2, 0.3),
        _h("open the blinds", 12, 0.9, 0.9, 0.9),  # not woken: the bare wake phrase was weak
        _h("hey computer close the blinds", 20, 0.7, 0.8, 0.6, 0.6, 0.6),
    ]
    assert [h.text for h in commands(said, wake="hey computer")] == ["close the blinds"]
    assert [h.text for h in commands(said, wake="hey computer", sensitivity=0.8)] == [
        "turn on the light",
        "lock the door",
        "open the blinds",
        "close the blinds",
    ]
    chatter = [_h("dim the telly office", 0, 0.2, 0.3, 0.4, 0.3), _h("pause", 4, 0.8)]
    assert [h.text for h in commands(chatter, wake=None, mode="always")] == ["pause"]
    assert len(list(commands(chatter, wake=None, mode="always", sensitivity=1.0))) == 2


def test_the_wake_classifier_decides_not_the_words() -> None:
    """With a wake score, it decides: a strong phrase wakes even where the words were weak
    or the phrase's first word misheard; a weak one doesn't even where they were strong. The
    phrase's words must still come first: "he left his computer at the office" scored 0.94
    and, heard by the open recogniser, would have been a command."""
    from dataclasses import replace

    said = [
        replace(_h("hey computer turn on the light", 0, 0.9, 0.9, 0.9), wake=0.2),
        replace(_h("hey computer lock the door", 5, 0.1, 0.1, 0.9), wake=0.97),
        replace(_h("a computer open the blinds", 10, 0.9, 0.9, 0.9, 0.9), wake=0.8),
        replace(_h("the light in computer off the office", 13, 0.9, 0.9, 0.9, 0.9), wake=0.94),
        replace(_h("hey computer", 15, 0.9, 0.9), wake=0.4),
        replace(_h("pause", 17, 0.9), wake=0.01),  # not woken by the weak bare phrase
    ]
    assert [h.text for h in commands(said, wake="hey computer")] == [
        "lock the door",
        "open the blinds",
    ]
    assert [h.text for h in commands(said, wake="hey computer", sensitivity=0.9)] == [
        "turn on the light", "lock the door", "open the blinds", "pause",
    ]  # fmt: skip


def test_speech_the_grammar_could_not_explain_is_no_command() -> None:
    """Chatter forced into a short command leaves its speech matched to silence: after the
    wake phrase 1.2 s of that drops it; in always mode it counts as confidence 0."""
    from dataclasses import replace

    said = [
        replace(_h("hey computer light on please", 0, 0.9, 0.9, 0.8, 0.8, 0.8), wake=0.9,
                unexplained_s=1.4),
        replace(_h("hey computer lock the door", 5, 0.9, 0.9, 0.8, 0.8, 0.8), wake=0.9,
                unexplained_s=0.3),
    ]  # fmt: skip
    assert [h.text for h in commands(said, wake="hey computer")] == ["lock the door"]
    chatter = [
        replace(_h("light on please", 0, 0.8, 0.8, 0.8), unexplained_s=1.4),
        replace(_h("lock the door", 4, 0.8, 0.8, 0.8), unexplained_s=0.05),
    ]
    assert [h.text for h in commands(chatter, wake=None, mode="always")] == ["lock the door"]


def _voice(tmp_path: Path, text: str, voice: str, **changes: object) -> list[str]:
    from dataclasses import replace

    from agent.config import load_config
    from agent.voice.sphinx import SphinxEngine
    from tests.conftest import EXAMPLE

    config = load_config(EXAMPLE)
    v = replace(config.voice, **changes)  # type: ignore[arg-type]
    engine = SphinxEngine(
        config.home,
        wake=v.wake_word if v.mode == "wake" else None,
        recognition=v.recognition_in_use,
    )
    wav = speech.say(tmp_path / f"{voice}.wav", text, voice=voice)
    return [h.text for h in voice_commands(WavSource(wav).blocks(), v, engine)]


def _done(texts: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """What the example home does with each text: intent and device messages."""
    pipeline = _pipeline_of_example()
    outcomes = [pipeline.handle(t) for t in texts]
    return [(o.intent.name, tuple(f"{a.topic} {a.payload}" for a in o.actions)) for o in outcomes]


def test_a_near_miss_of_the_wake_phrase_does_not_wake(tmp_path: Path) -> None:
    """ "hey cupboard" is forced into the grammar as "hey computer ..."; the phone loop tells."""
    near = "hey cupboard turn off the lights"
    assert _voice(tmp_path, near, "en-gb") == []
    assert _voice(tmp_path, near, "en-gb", sensitivity=1.0) != []  # what it would have done
    assert _voice(tmp_path, "hey computer lock the front door", "en-gb") == ["lock the front door"]


def test_always_mode_takes_commands_not_chatter(tmp_path: Path) -> None:
    """Always mode hears with the closed grammar alone (voice.recognition auto): chatter
    comes out as nothing at all."""
    chatter = "did you see the football last night"
    assert _voice(tmp_path, chatter, "en-us", mode="always") == []
    assert _voice(tmp_path, "turn on the kitchen light", "en-us", mode="always") == [
        "turn on the kitchen light"
    ]


@pytest.mark.parametrize("voice", ["en-us", "en-gb"])
def test_phrasings_the_grammar_lacks_are_heard_in_wake_mode(tmp_path: Path, voice: str) -> None:
    """voice.recognition auto is open in wake mode: the home's statistical model hears ways
    of saying a command that the closed grammar has no sentence for, and the lamp gets the
    same message as for the typed text."""
    for text in ("kill the kitchen light", "could you please switch the kitchen light on for me"):
        said = _voice(tmp_path, f"hey computer {text}", voice)
        assert _done(said) == _done([text]), (text, said)
        assert _done(said)[0][1], text  # it acted
        closed = _voice(tmp_path, f"hey computer {text}", voice, recognition="closed")
        assert _done(closed) != _done([text]), (text, closed)  # what the grammar alone did


def test_the_grammar_stands_where_it_is_sure_and_the_model_speaks_otherwise() -> None:
    from agent.voice.recognition import Recognition
    from agent.voice.sphinx import choose

    def heard(text: str, *confidences: float) -> Recognition:
        words = tuple(
            Word(w, i * 0.3, i * 0.3 + 0.3, c)
            for i, (w, c) in enumerate(zip(text.split(), confidences, strict=True))
        )
        return Recognition(text, 0.0, words)

    wake = "hey computer"
    grammar_sure = heard("hey computer lock the front door", 0.1, 0.9, 0.8, 0.7, 0.8, 0.9)
    model = heard("hey computer lock the front door up", 0.1, 0.9, 0.8, 0.7, 0.8, 0.9, 0.9)
    assert choose(grammar_sure, model, wake) is grammar_sure  # the wake words don't count
    forced = heard("hey computer dim all the kitchen light", 0.9, 0.9, 0.3, 0.4, 0.5, 0.6, 0.5)
    free = heard("hey computer kill the kitchen light", 0.9, 0.9, 0.6, 0.5, 0.6, 0.6)
    assert choose(forced, free, wake) is free
    same = heard("hey computer kill the kitchen light", 0.9, 0.9, 0.4, 0.4, 0.5, 0.5)
    assert choose(same, free, wake) is same  # the same words: the grammar's confidences
    clearly = heard("hey computer turn on the light", 0.9, 0.9, 0.7, 0.6, 0.6, 0.6)
    assert (
        choose(
            clearly,
            heard("hey computer tune on the light", 0.9, 0.9, 0.4, 0.5, 0.5, 0.4),
            wake,
        )
        is clearly
    )
    assert choose(Recognition("", 0.0), free, wake) is free


def test_a_remark_overheard_in_always_mode_gets_no_reply() -> None:
    from agent.messages import Transcript
    from agent.service import overheard

    pipeline = _pipeline_of_example()
    remark = pipeline.handle("the garden looks lovely in the spring")
    command = pipeline.handle("turn on the kitchen light")
    assert remark.intent.name == "none" and command.actions
    assert overheard(Transcript("the band played", "voice"), remark, "always")
    assert not overheard(Transcript("the band played", "voice"), remark, "wake")
    assert not overheard(Transcript("the band played", "mqtt"), remark, "always")
    assert not overheard(Transcript("turn on the kitchen light", "voice"), command, "always")


def test_what_the_home_cannot_do_gets_no_reply_in_always_mode() -> None:
    """A remark understood as a command that no device here can do ("Sorry, I can't change
    the colour of the front door") is the room's talk in always mode: no reply. What acts,
    what asks about a device and the agent's own questions are answered; asked for in wake
    mode, it says what it can't do."""
    from agent.messages import Transcript
    from agent.service import overheard

    pipeline = _pipeline_of_example()
    said = Transcript("x", "voice")
    stray = pipeline.handle("the front door was painted blue when we moved in")
    assert stray.intent.name == "set_color" and not stray.targets and not stray.actions
    assert stray.response == "Sorry, I can't change the colour of the front door."
    assert overheard(said, stray, "always")
    assert not overheard(said, stray, "wake")
    assert not overheard(Transcript("x", "mqtt"), stray, "always")
    assert not overheard(said, stray, "always", asking=True)  # "Which ...?" is asked aloud
    state = pipeline.handle("is the kitchen light on")
    assert state.targets and not state.actions
    assert not overheard(said, state, "always")


def test_the_room_s_talk_needs_a_surer_model_in_always_mode() -> None:
    """In always mode, voice is the whole room's talk: a remark the model takes for a
    command at 0.82 ("hey you left the door open": unlock) is no command there, while
    paraphrases it is sure of still act; typed text and wake mode keep the usual bar."""
    from agent.messages import Transcript
    from agent.service import room_talk_least

    voice, typed = Transcript("x", "voice"), Transcript("x", "mqtt")
    least = room_talk_least(voice, "always")
    assert least == 0.9
    assert room_talk_least(voice, "wake") == room_talk_least(typed, "always") == 0.0
    pipeline = _pipeline_of_example()
    remark = "hey you left the door open"
    assert pipeline.handle(remark).intent.name == "unlock"
    assert pipeline.handle(remark, least=least).intent.name == "none"
    for command in (
        "would you mind making the kitchen a bit brighter",
        "the front door needs locking",
    ):
        outcome = pipeline.handle(command, least=least)
        assert outcome.intent.tier == "model" and outcome.actions, command
        pipeline.handle("no")


def _pipeline_of_example() -> Pipeline:
    from agent.cli import _pipeline
    from agent.config import load_config
    from tests.conftest import EXAMPLE

    return _pipeline(load_config(EXAMPLE))


def test_a_new_grammar_takes_over_at_the_next_utterance(tmp_path: Path) -> None:
    """Discovery adds a device: the recogniser is rebuilt aside and swapped in between
    utterances, so its name can be heard from then on."""
    from dataclasses import replace

    from agent.config import load_config
    from agent.home.inventory import Device
    from agent.home.specs import HomeAssistantSpec
    from agent.voice.listener import Swappable
    from agent.voice.loop import heard
    from agent.voice.sphinx import SphinxEngine
    from agent.voice.vad import Segmenter
    from tests.conftest import EXAMPLE

    home = load_config(EXAMPLE).home
    orb = Device("light.zephyr_orb", "Zephyr Orb", "Kitchen", command=HomeAssistantSpec())
    bigger = replace(home, devices=(*home.devices, orb))
    engine = Swappable(SphinxEngine(home))
    wav = speech.say(tmp_path / "orb.wav", "turn on the zephyr orb")
    before = [h.text for h in heard(WavSource(wav).blocks(), Segmenter(), engine)]
    engine.replace_with(SphinxEngine(bigger))
    after = [h.text for h in heard(WavSource(wav).blocks(), Segmenter(), engine)]
    assert after == ["turn on the zephyr orb"]
    assert before != after


def test_a_wake_phrase_heard_nearly_needs_a_sure_classifier() -> None:
    """Words heard as said (Moonshine): "a computer ..." wakes only where the classifier is
    all but sure (0.95 at sensitivity 0.5; "a computer" said as such scored up to 0.87), the
    phrase heard as itself wherever it reaches 1 - sensitivity; "okay computer" never."""

    def woken(text: str, score: float, sensitivity: float = 0.5) -> list[str]:
        h = replace(_h(text, 0, *[0.9] * len(text.split())), wake=score, verbatim=True)
        return [c.text for c in commands([h], wake="hey computer", sensitivity=sensitivity)]

    assert woken("a computer lock the front door", 0.99) == ["lock the front door"]
    assert woken("here computer lock the front door", 0.96) == ["lock the front door"]
    assert woken("a computer lock the front door", 0.87) == []
    assert woken("a computer lock the front door", 0.87, sensitivity=0.9) == []
    assert woken("a computer lock the front door", 0.92, sensitivity=0.9) == ["lock the front door"]
    assert woken("hey computer lock the front door", 0.6) == ["lock the front door"]
    assert woken("okay computer lock the front door", 1.0) == []


def test_listen_beside_the_running_service_leaves_it_its_reply(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """With the service running, `listen` acts (the coffee machine's message) but publishes
    no event or reply: those topics show the service's own last reply in Home Assistant."""
    config = example_config(tmp_path, broker.port)
    agent = agent_factory(config)
    recorder.wait_for(
        lambda m: m.topic == "voice-agent/kitchen-pi/status" and m.payload == "online"
    )
    agent.wait_log("connected to MQTT broker")
    wav = speech.say(tmp_path / "c.wav", "hey computer turn on the coffee machine")
    recorder.messages.clear()
    done = run_cli("listen", "--wav", str(wav), "--config", str(config), timeout=120)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["intent"] for line in done.stdout.splitlines()] == ["turn_on"]
    recorder.wait_for(lambda m: m.topic == "cmnd/coffee/POWER")
    time.sleep(0.3)
    replies = ("voice-agent/kitchen-pi/intent", "voice-agent/kitchen-pi/response")
    assert [m.topic for m in recorder.messages if m.topic in replies] == []
