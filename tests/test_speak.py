"""Speaking back: replies read aloud well, the engines' speech is recognised back, and the
service speaks through a real output device (a PulseAudio null sink whose monitor the test
records), takes an answer to its question without the wake phrase, stops when told, and
works with no speaker at all."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from agent.language.normalize import normalize
from agent.speak.engines import Espeak, Hibari, SpeechError, make_engine
from agent.speak.sound import Sound, error_earcon, from_wav, listening_earcon
from agent.speak.speaker import Speaker
from agent.speak.turns import Turns
from agent.speak.wording import speakable
from agent.voice.audio import WavSource
from agent.voice.moonshine import MoonshineEngine
from tests import pulse, speech
from tests.conftest import ROOT, Agent, Broker, Recorder, example_config, run_cli

MOONSHINE = ROOT / "models" / "moonshine-base-en"


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ("The office temperature reads 21.5 °C.", "The office temperature reads twenty-one "
         "and a half degrees."),
        ("Setting the lamp to 40%.", "Setting the lamp to forty percent."),
        ("It is set to 70 °F (68.25 °F now).", "It is set to seventy degrees Fahrenheit "
         "(sixty-eight and a quarter degrees Fahrenheit now)."),
        ("It reads -3 degrees.", "It reads minus three degrees."),
        ("Volume 0.5", "Volume a half"),
        ("Room 105 & 2000", "Room one hundred and five and two thousand"),
        ("Turning on the TV2 and 3.14", "Turning on the TV2 and three point one four"),
    ],
)  # fmt: skip
def test_replies_are_read_as_people_say_them(reply: str, said: str) -> None:
    assert speakable(reply) == said


def test_turns_overlap_and_the_answer_window() -> None:
    now = [100.0]
    turns = Turns(clock=lambda: now[0], tail_s=0.3)
    turns.expect_answer(8.0, after_speech=True)  # asked, about to be spoken
    turns.started()
    assert turns.speaking() and turns.overlapped(99.0, 100.5)
    assert not turns.take_answer(100.2)  # not while the question is being said
    now[0] = 102.0
    turns.ended()
    assert turns.overlapped(101.0, 101.5) and turns.overlapped(102.2, 103.0)  # the tail
    assert not turns.overlapped(102.4, 104.0)
    assert turns.take_answer(109.0)  # within 8 s of the end of the question (+ tail)
    assert not turns.take_answer(109.5)  # once
    turns.expect_answer(8.0, after_speech=False)  # not spoken: from now
    assert not turns.take_answer(110.5)
    turns.expect_answer(8.0, after_speech=False)
    turns.close()
    assert not turns.take_answer(103.0)


def test_sounds_round_trip_as_wav() -> None:
    for sound in (listening_earcon(), error_earcon()):
        back = from_wav(sound.wav())
        assert back.rate == sound.rate and 0.1 < back.seconds < 0.3
        assert np.max(np.abs(back.samples - sound.samples)) < 1e-3
    assert listening_earcon().samples.tolist() != error_earcon().samples.tolist()


@pytest.fixture(scope="module")
def hearer() -> MoonshineEngine:
    assert (MOONSHINE / "decoder.onnx").is_file(), "scripts/bootstrap.sh --dev installs it"
    return MoonshineEngine(MOONSHINE, threads=1, beam=1)


def heard(hearer: MoonshineEngine, sound: Sound, tmp_path: Path) -> str:
    """What a recogniser hears in the sound (at 16 kHz, padded as the tests' speech is)."""
    raw = tmp_path / "spoken.wav"
    raw.write_bytes(sound.wav())
    pcm = b"".join(WavSource(speech.pad(raw, tmp_path / "padded.wav")).blocks())
    return normalize(hearer.recognize(pcm).text)


@pytest.mark.parametrize("engine", ["hibari", "espeak-ng"])
def test_each_engine_is_understood_back(
    engine: str, hearer: MoonshineEngine, tmp_path: Path
) -> None:
    voice = make_engine(engine, None, 1.0, tmp_path)
    sound = voice.synthesize(speakable("Setting the bedroom lamp to 40%."))
    assert 1.0 < sound.seconds < 5.0
    got = heard(hearer, sound, tmp_path).replace("%", " percent")
    # espeak-ng's "setting" was heard as "saving": one word in seven
    assert speech.word_error_rate(got, "setting the bedroom lamp to 40 percent") <= 0.15, got


def test_a_missing_piper_voice_is_a_clear_error_and_hibari_speaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        engine = make_engine("piper", "en_GB-alba-medium", 1.0, tmp_path)
    assert isinstance(engine, Hibari)
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.endswith("; speaking with hibari instead")
    assert "piper" in line  # not installed here, or no such voice: either says how to fix it
    assert "pip install piper-tts" in line or "models download piper-en_GB-alba-medium" in line


def test_unknown_voices_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match=r"hibari has no voice 'nope' \(it has .*heart"):
        make_engine("hibari", "nope", 1.0, tmp_path)
    with pytest.raises(SpeechError, match="espeak-ng has no voice 'nope'"):
        Espeak("nope", 1.0)


class Played:
    """An output that keeps what it was given (the device path is tested end to end below)."""

    def __init__(self) -> None:
        self.sounds: list[Sound] = []

    def play(self, sound: Sound, stop: threading.Event) -> float | None:
        self.sounds.append(sound)
        return None


def test_replies_are_cached_by_text(tmp_path: Path) -> None:
    speaker = Speaker(make_engine("hibari", None, 1.0, tmp_path), Played(), Turns())
    started = time.perf_counter()
    first = speaker.sound_of("Turning on the kitchen light.")
    made = time.perf_counter() - started
    started = time.perf_counter()
    again = speaker.sound_of("Turning on the kitchen light.")
    assert again is first and time.perf_counter() - started < made / 10


# -- the service, through a real output device -----------------------------------------------


def voice_config(tmp_path: Path, port: int, speech_lines: str = "") -> Path:
    config = example_config(tmp_path, port, speech_lines)
    text = config.read_text().replace("  enabled: false ", "  enabled: true ", 1)
    config.write_text(text)
    return config


def start(agent_factory: Callable[..., Agent], config: Path, sink: pulse.Sink) -> Agent:
    agent = agent_factory(config, {k: sink.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")})
    agent.wait_log("audio input open: default device at 16000 Hz", timeout=90)
    return agent


@contextmanager
def speaking(
    tmp_path: Path, port: int, agent_factory: Callable[..., Agent]
) -> Iterator[tuple[Agent, pulse.Sink, Path]]:
    """`voice-agent run` with voice and speech on, its microphone one null sink's monitor and
    its speaker another; what it says is recorded to the WAV yielded."""
    home = tmp_path / "home"
    home.mkdir()
    with pulse.null_sink(home, speaker=True) as sink:
        agent = start(agent_factory, voice_config(tmp_path, port), sink)
        with pulse.recording(sink.env, tmp_path / "out.wav") as out:
            yield agent, sink, out


def wait_quiet(recorded: Path, *, after: float, timeout: float = 30) -> float:
    """Seconds into the recording when the agent's voice ended (some speech, then 0.8 s
    of quiet), waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.3)
        samples = _samples(recorded)
        loud = np.flatnonzero(np.abs(samples[int(after * 16000) :]) > 0.02)
        if len(loud) and len(samples) - (int(after * 16000) + loud[-1]) > 0.8 * 16000:
            return (int(after * 16000) + loud[-1]) / 16000
    raise AssertionError("the agent did not speak (or never stopped)")


def _samples(path: Path) -> np.ndarray:
    if not path.exists():  # parecord has not begun
        return np.zeros(0)
    data = path.read_bytes()
    # parecord's header may still say 0 frames while it records: read the PCM after it
    return np.frombuffer(data[44 : 44 + (len(data) - 44) // 2 * 2], "<i2") / 32768.0


@pytest.mark.slow  # real audio, paced in real time
def test_a_question_by_voice_is_spoken_and_answered_without_the_wake_phrase(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: Callable[..., Agent],
    hearer: MoonshineEngine,
) -> None:
    """Question -> its spoken reply (recorded from the agent's output and recognised) ->
    "yes" with no wake phrase -> the lock's message."""
    ask = speech.say(tmp_path / "ask.wav", "hey computer unlock the front door", after=1.0)
    yes = speech.say(tmp_path / "yes.wav", "yes", after=1.0)
    with speaking(tmp_path, broker.port, agent_factory) as (agent, sink, out):
        pulse.play(sink.env, ask)
        reply = json.loads(recorder.on("voice-agent/kitchen-pi/intent", timeout=30).payload)
        assert reply["response"].startswith("Do you really want to unlock the front door?")
        wait_quiet(out, after=0.0)
        pulse.play(sink.env, yes)
        unlock = recorder.on("home/front_door/lock/set", timeout=30)
        assert unlock.payload == "UNLOCK"
    said = heard(hearer, Sound(_samples(out).astype(np.float32), 16000), tmp_path)
    assert "unlock the front door" in said and "say yes to confirm" in said, said
    assert "heard 'yes'" in agent.output()


@pytest.mark.slow  # real audio, paced in real time
def test_it_does_not_answer_its_own_question_in_a_room_that_echoes(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """Its speaker reaches its microphone: it hears itself say "...Say yes to confirm" and
    must not take that "yes" (nor anything it says) for the user's; the user's "yes" after
    it still confirms."""
    ask = speech.say(tmp_path / "ask.wav", "hey computer unlock the front door", after=1.0)
    yes = speech.say(tmp_path / "yes.wav", "yes", voice="en-gb", after=1.0)
    home = tmp_path / "home"
    home.mkdir()
    with pulse.null_sink(home, echo=True) as sink:
        agent = start(agent_factory, voice_config(tmp_path, broker.port), sink)
        pulse.play(sink.env, ask)
        recorder.on("voice-agent/kitchen-pi/intent", timeout=30)
        agent.wait_log("over the reply, without the wake phrase: ignored", timeout=20)
        time.sleep(2.0)  # its question has been said, and heard
        assert recorder.device_messages() == []
        pulse.play(sink.env, yes)
        assert recorder.on("home/front_door/lock/set", timeout=30).payload == "UNLOCK"
    assert agent.output().count("heard 'yes'") == 1


def _tone(samples: np.ndarray) -> float:
    """The strongest frequency of a stretch of 16 kHz audio."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * 16000 / len(samples))


@pytest.mark.slow  # real audio, paced in real time
def test_the_wake_phrase_alone_sounds_the_listening_earcon(
    tmp_path: Path, broker: Broker, agent_factory: Callable[..., Agent]
) -> None:
    """ "hey computer" alone: the rising earcon (660 Hz, then 990 Hz), and nothing else."""
    wake = speech.say(tmp_path / "wake.wav", "hey computer", after=1.0)
    with speaking(tmp_path, broker.port, agent_factory) as (_agent, sink, out):
        pulse.play(sink.env, wake)
        ended = wait_quiet(out, after=0.0)
        samples = _samples(out)
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    start, seconds = loud[0], (loud[-1] - loud[0]) / 16000
    assert 0.1 < seconds < 0.3, f"{seconds:.2f} s of sound, not an earcon ({ended:.1f} s)"
    first = _tone(samples[start : start + 800])  # its first 50 ms, then its last
    last = _tone(samples[loud[-1] - 800 : loud[-1]])
    assert abs(first - 660) < 60 and abs(last - 990) < 60, (first, last)


LONG = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)  # about 30 s spoken


@pytest.mark.slow  # real audio, paced in real time
@pytest.mark.parametrize(
    ("said", "then", "within_s"),
    [
        ("stop", "over the reply: stopping it", 15.0),  # no wake phrase: it stops
        ("hey computer turn on the kitchen light", "home/kitchen/ceiling/set", 20.0),
    ],
    ids=["stop", "wake phrase and a command"],
)
def test_a_long_reply_is_cut_short(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: Callable[..., Agent],
    said: str,
    then: str,
    within_s: float,
) -> None:
    """The speak topic's text is said aloud; "stop" over it ends it, and the wake phrase
    cuts it short for its command (whose reply follows)."""
    wav = speech.say(tmp_path / "said.wav", said, after=1.0)
    with speaking(tmp_path, broker.port, agent_factory) as (agent, sink, out):
        recorder.client.publish("voice-agent/kitchen-pi/speak", LONG, qos=1)
        deadline = time.monotonic() + 30
        while not (len(_samples(out)) and np.abs(_samples(out)).max() > 0.02):
            assert time.monotonic() < deadline, "it never started speaking"
            time.sleep(0.2)
        pulse.play(sink.env, wav)
        if "/" in then:
            assert recorder.on(then, timeout=30).payload == "ON"
        else:
            agent.wait_log(then, timeout=20)
        ended = wait_quiet(out, after=0.0)
    assert ended < within_s, f"spoke for {ended:.1f} s of about 30"


@pytest.mark.slow  # real audio, paced in real time
def test_speech_none_needs_no_output_device(
    tmp_path: Path, broker: Broker, recorder: Recorder, agent_factory: Callable[..., Agent]
) -> None:
    """The microphone only (the default sink's monitor: no output there) and speech off."""
    wav = speech.say(tmp_path / "cmd.wav", "hey computer turn on the kitchen light", after=1.5)
    home = tmp_path / "home"
    home.mkdir()
    config = voice_config(tmp_path, broker.port, "")
    text = config.read_text().replace("  engine: hibari ", "  engine: none ", 1)
    assert "engine: none" in text
    config.write_text(text)
    with pulse.null_sink(home) as sink:
        agent = start(agent_factory, config, sink)
        pulse.play(sink.env, wav)
        assert recorder.on("home/kitchen/ceiling/set", timeout=30).payload == "ON"
    assert "could not speak" not in agent.output()


def test_say_writes_its_spoken_reply_and_speak_says_any_text(
    tmp_path: Path, broker: Broker, hearer: MoonshineEngine
) -> None:
    config = str(example_config(tmp_path, broker.port))
    reply = tmp_path / "reply.wav"
    done = run_cli("say", "--config", config, "--wav", str(reply), "turn on the kitchen light")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Turning on the kitchen ceiling light and the counter lights.\n"
    said = heard(hearer, from_wav(reply.read_bytes()), tmp_path)
    assert speech.word_error_rate(said, normalize(done.stdout)) <= 0.2, said
    number = tmp_path / "number.wav"
    done = run_cli("speak", "--config", config, "--wav", str(number), "It reads 21.5 °C.")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert heard(hearer, from_wav(number.read_bytes()), tmp_path) in (
        "it reads 21 and a half degrees",
        "it reads 21.5 degrees",
    )


def test_an_action_said_again_within_a_minute_is_answered_done(tmp_path: Path) -> None:
    from agent.config import load_config
    from agent.pipeline import Pipeline
    from agent.speak.replies import VoiceOut
    from agent.understand.templates import TemplateMatcher

    config = load_config(example_config(tmp_path, 1883))
    pipeline = Pipeline(config.home, [TemplateMatcher.load().match], site_area="Kitchen")
    out = VoiceOut(Turns(), None, 8.0)
    on = pipeline.handle("turn on the kitchen light")
    assert out._worded(on) == "Turning on the kitchen ceiling light and the counter lights."
    assert out._worded(on) == "Done."
    off = pipeline.handle("turn off the kitchen light")
    assert out._worded(off).startswith("Turning off")
    asked = pipeline.handle("what is the temperature in the office")
    assert out._worded(asked) == out._worded(asked) == asked.response  # answers stay whole


def test_the_lean_pronunciation_front_end_says_exactly_what_hibaris_own_says() -> None:
    from hibari import Hibari as Stock

    from agent.speak.lean_g2p import lean_g2p

    lean = Stock(g2p=lean_g2p())
    stock = Stock()
    for text in (
        "Turning on the kitchen light, and the record was read.",
        "I don't know about the living room lamp yet; it reads twenty-one degrees.",
        "Which lamp, the desk lamp or the bedroom lamp? Say yes to confirm.",
    ):
        assert lean.phonemize(text) == stock.phonemize(text)
        assert np.array_equal(lean(text, seed=0), stock(text, seed=0))


def test_replies_are_published_as_wav_for_other_players(
    tmp_path: Path,
    broker: Broker,
    recorder: Recorder,
    agent_factory: Callable[..., Agent],
    hearer: MoonshineEngine,
) -> None:
    """speech.publish_audio: each reply (here to a text command, no voice, no speaker) as a
    WAV on <prefix>/<site>/reply/audio, and the speak topic's text too."""
    config = example_config(tmp_path, broker.port)
    text = config.read_text().replace("  publish_audio: false ", "  publish_audio: true ", 1)
    assert "publish_audio: true" in text
    config.write_text(text)
    agent = agent_factory(config)
    agent.wait_log("connected to MQTT broker", 30)
    recorder.wait_for(lambda m: m.topic == "voice-agent/kitchen-pi/status", 30)
    recorder.client.publish("voice-agent/kitchen-pi/command", "turn on the kitchen light", qos=1)
    wav = recorder.on("voice-agent/kitchen-pi/reply/audio", timeout=30).raw
    assert wav[:4] == b"RIFF"
    said = heard(hearer, from_wav(wav), tmp_path)
    reply = "turning on the kitchen ceiling light and the counter lights"
    assert speech.word_error_rate(said, reply) <= 0.2, said
    assert recorder.on("home/kitchen/ceiling/set").payload == "ON"
    recorder.client.publish("voice-agent/kitchen-pi/speak", "It reads 21.5 °C.", qos=1)
    audio = [m for m in recorder.messages if m.topic == "voice-agent/kitchen-pi/reply/audio"]
    spoken = recorder.wait_for(
        lambda m: m.topic == "voice-agent/kitchen-pi/reply/audio" and m not in audio, 30
    )
    assert heard(hearer, from_wav(spoken.raw), tmp_path) == "it reads 21 and a half degrees"


def test_not_understood_is_said_after_the_error_earcon(tmp_path: Path) -> None:
    from agent.messages import Intent, Outcome
    from agent.reply import NOT_UNDERSTOOD
    from agent.speak.replies import VoiceOut

    turns = Turns()
    played = Played()
    speaker = Speaker(make_engine("espeak-ng", None, 1.0, tmp_path), played, turns)
    out = VoiceOut(turns, speaker, 8.0, listening_earcon(), error_earcon())
    missed = Outcome("blah", Intent("none"), (), (), NOT_UNDERSTOOD)
    out.replied(missed, heard=True, asking=False)
    out.replied(missed, heard=False, asking=False)  # typed: not spoken
    stop = threading.Event()
    worker = threading.Thread(target=speaker.run, args=(stop,))
    worker.start()
    deadline = time.monotonic() + 20
    while len(played.sounds) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(5)
    assert [s.seconds for s in played.sounds[:1]] == [error_earcon().seconds]
    assert len(played.sounds) == 2 and played.sounds[1].seconds > 1.0  # the spoken reply
