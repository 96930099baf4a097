"""Benchmark the spoken replies (agent/speak): per engine, reply text -> audio (p50/p95),
real-time factor and added RSS (each in a fresh process); end of speech -> first reply
sample on a real output device (a private PulseAudio null sink) for spoken commands,
through the voice loop (pocketsphinx), the pipeline, hibari and sounddevice; the agent's
replies recognised back (word error rate, pocketsphinx free-form and Moonshine); wakes
caused by the agent's own voice; follow-up answers said without the wake phrase; and the
peak RSS of `voice-agent run` with voice and speech on.

    .venv/bin/python bench/speak_bench.py [--n 50] [--dialogues 40]

Needs pulseaudio (scripts/bootstrap.sh --dev) and the Moonshine model in models/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from agent.config import load_config
from agent.language.normalize import normalize
from agent.pipeline import Pipeline
from agent.speak.engines import make_engine
from agent.speak.sound import Sound
from agent.speak.wording import speakable
from agent.understand.cascade import tiers_for
from agent.voice.audio import WavSource, resample
from agent.voice.engines import make_engine as make_recognizer
from agent.voice.loop import voice_commands
from agent.voice.wake import for_phrase
from tests import pulse, speech

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "configs" / "agent.example.yaml"
COMMANDS = [
    "turn on the kitchen light",
    "turn off the bedroom lamp",
    "set the bedroom lamp to fifty percent",
    "what is the temperature in the office",
    "close the garage door",
    "lock the back door",
    "turn the tv down",
    "start the robot vacuum",
    "is the garage door open",
    "turn on the coffee machine",
]
VOICES = ["hibari", "hibari:0.9", "en-us", "en-gb", "hibari:1.1"]
# questions the agent asks, and answers said without the wake phrase: (area, question,
# answer, the device messages' topics expected)
DIALOGUES = [
    (None, "unlock the front door", "yes", {"home/front_door/lock/set"}),
    (None, "open the garage door", "yes", {"home/garage/door/set"}),
    ("Garage", "turn on the lamp", "the bedroom one", {"zigbee2mqtt/Bedroom Lamp/set"}),
    ("Garage", "turn on the lamp", "the living room one", {"home/living/lamp/set"}),
    (None, "unlock the front door", "no", set()),
]
MS = 1000.0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def engine_child(name: str, texts: list[str]) -> None:
    """In a fresh process: load the engine, warm it, speak every text once."""

    def rss() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    import onnxruntime  # noqa: F401  (the agent has it loaded already: the intent model)

    before = rss()
    start = time.perf_counter()
    engine = make_engine(name, None, 1.0, Path("/nonexistent"))
    engine.synthesize("Ready.")
    load_ms = (time.perf_counter() - start) * MS
    took, audio = [], 0.0
    for text in texts:
        start = time.perf_counter()
        sound = engine.synthesize(speakable(text))
        took.append((time.perf_counter() - start) * MS)
        audio += sound.seconds
    peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    print(json.dumps({"load_ms": load_ms, "took": took, "audio_s": audio,
                      "added_mb": max(rss(), peak) - before}))  # fmt: skip


def replies(config_path: Path) -> list[str]:
    config = load_config(config_path)
    pipeline = Pipeline(config.home, tiers_for(config.understanding), site_area="Kitchen")
    out = []
    for text in COMMANDS + [q for _, q, _, _ in DIALOGUES]:
        out.append(pipeline.handle(text).response)
        pipeline.handle("no")
    return list(dict.fromkeys(out))


def engines_table(config_path: Path) -> list[tuple[str, str]]:
    texts = replies(config_path)
    rows = []
    for name in ("hibari", "espeak-ng"):
        done = subprocess.run(
            [sys.executable, __file__, "--engine-child", name, json.dumps(texts)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        got = json.loads(done.stdout.strip().splitlines()[-1])
        took = got["took"]
        rtf = sum(took) / MS / got["audio_s"]
        rows += [
            (f"{name}: reply text -> audio p50 / p95 ({len(texts)} replies)",
             f"{pct(took, 50):.0f} / {pct(took, 95):.0f} ms"),
            (f"{name}: real-time factor", f"{rtf:.3f} ({1 / rtf:.0f}x real time)"),
            (f"{name}: load and warm-up", f"{got['load_ms']:.0f} ms"),
            (f"{name}: added RSS (onnxruntime already loaded)", f"{got['added_mb']:.0f} MB"),
        ]  # fmt: skip
    return rows


def end_to_end(
    tmp: Path, n: int, config_path: Path
) -> tuple[list[tuple[str, str]], list[Sound], list[str]]:
    """Spoken commands through the voice loop and the pipeline; hibari's reply played on
    the null sink. End of speech: when the loop decided it (on_speech(False))."""
    import sounddevice as sd

    config = load_config(config_path)
    pipeline = Pipeline(config.home, tiers_for(config.understanding), site_area="Kitchen")
    recognizer = make_recognizer(config.voice, config.home)
    engine = make_engine("hibari", None, 1.0, tmp)
    engine.synthesize("Ready.")
    latencies, sounds, texts, parts = [], [], [], {"decide": [], "synth": [], "open": []}
    for i in range(n):
        text = COMMANDS[i % len(COMMANDS)]
        voice = VOICES[(i // len(COMMANDS)) % len(VOICES)]
        wav = speech.say(tmp / f"c{i}.wav", f"hey computer {text}", voice=voice, after=1.0)
        ended: list[float] = []
        heard = list(voice_commands(
            WavSource(wav).blocks(), config.voice, recognizer,
            on_speech=lambda on, ended=ended: None if on else ended.append(time.perf_counter()),
        ))  # fmt: skip
        if not heard or not ended:
            continue
        outcome = pipeline.handle(heard[-1].text)
        pipeline.handle("no")
        decided = time.perf_counter()
        sound = engine.synthesize(speakable(outcome.response))
        synthesized = time.perf_counter()
        first: list[float] = []
        samples = sound.samples

        def callback(
            out: np.ndarray, frames: int, _t: object, _s: object, first: list[float] = first
        ) -> None:
            if not first:
                first.append(time.perf_counter())
            raise sd.CallbackStop

        with sd.OutputStream(samplerate=sound.rate, channels=1, dtype="float32", callback=callback):
            while not first:
                time.sleep(0.001)
        latencies.append((first[0] - ended[-1]) * MS)
        parts["decide"].append((decided - ended[-1]) * MS)
        parts["synth"].append((synthesized - decided) * MS)
        parts["open"].append((first[0] - synthesized) * MS)
        sounds.append(Sound(samples, sound.rate))
        texts.append(outcome.response)
    rows = [
        (f"end of speech -> first reply sample p50 / p95 ({len(latencies)} of {n} heard)",
         f"{pct(latencies, 50):.0f} / {pct(latencies, 95):.0f} ms"),
        ("  of which recognition + understanding p50", f"{pct(parts['decide'], 50):.0f} ms"),
        ("  of which hibari synthesis p50", f"{pct(parts['synth'], 50):.0f} ms"),
        ("  of which opening the output to its first sample p50",
         f"{pct(parts['open'], 50):.0f} ms"),
    ]  # fmt: skip
    return rows, sounds, texts


def round_trip(sounds: list[Sound], texts: list[str], tmp: Path) -> list[tuple[str, str]]:
    from pocketsphinx import Decoder

    from agent.voice.moonshine import MoonshineEngine

    moon = MoonshineEngine(ROOT / "models" / "moonshine-base-en", threads=1, beam=1)
    rows, errs = [], {"pocketsphinx": [], "moonshine": []}
    for i, (sound, text) in enumerate(zip(sounds, texts, strict=True)):
        raw = tmp / f"r{i}.wav"
        raw.write_bytes(sound.wav())
        pcm = b"".join(WavSource(speech.pad(raw, tmp / f"rp{i}.wav")).blocks())
        said = normalize(speakable(text)).replace("%", " percent")
        decoder = Decoder(samprate=16000)
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        ps = normalize(decoder.hyp().hypstr if decoder.hyp() else "")
        errs["pocketsphinx"].append(speech.word_error_rate(ps, said))
        ms = normalize(moon.recognize(pcm).text).replace("%", " percent")
        errs["moonshine"].append(speech.word_error_rate(ms, said))
    for name, values in errs.items():
        rows.append((f"replies recognised back: word error rate, {name} free-form",
                     f"{statistics.mean(values):.1%} ({len(values)} replies)"))  # fmt: skip
    return rows


def self_wakes(sounds: list[Sound], config_path: Path) -> list[tuple[str, str]]:
    """The agent's own replies, as the microphone would hear them, through the wake stage."""
    config = load_config(config_path)
    recognizer = make_recognizer(config.voice, config.home)
    wake = for_phrase(config.voice.wake_word, None)
    woke = 0
    for sound in sounds:
        pcm16 = (np.clip(sound.samples, -1, 1) * 32767).astype(np.int16)
        pcm = resample(pcm16, sound.rate).astype("<i2")
        pad = np.zeros(8000, "<i2") + np.random.default_rng(0).integers(-60, 60, 8000).astype("<i2")
        audio = np.concatenate([pad, pcm, pad, pad]).tobytes()
        blocks = [audio[i : i + 960] for i in range(0, len(audio), 960)]
        found = list(voice_commands(blocks, config.voice, recognizer, wake=wake,
                                    on_wake=lambda _f: None))  # fmt: skip
        woke += len(found)
    return [("wakes or commands heard in the agent's own replies",
             f"{woke} of {len(sounds)} replies")]  # fmt: skip


def dialogues(tmp: Path, count: int, config_path: Path) -> list[tuple[str, str]]:
    """A question by text, its answer spoken with no wake phrase (the answer window open)."""
    config = load_config(config_path)
    recognizer = make_recognizer(config.voice, config.home)
    good = 0
    for i in range(count):
        area, question, answer, topics = DIALOGUES[i % len(DIALOGUES)]
        voice = VOICES[i % len(VOICES)]
        pipeline = Pipeline(config.home, tiers_for(config.understanding), site_area="Kitchen")
        asked = pipeline.handle(question, area=area)
        wav = speech.say(tmp / f"a{i}.wav", answer, voice=voice, after=1.0)
        heard = list(voice_commands(WavSource(wav).blocks(), config.voice, recognizer,
                                    pushed=lambda: True))  # fmt: skip
        outcome = pipeline.handle(heard[-1].text, area=area) if heard else None
        got = {a.topic for a in outcome.actions} if outcome else None
        good += asked.actions == () and got == topics
    return [("follow-up answers without the wake phrase acted as meant",
             f"{good / count:.1%} ({good}/{count})")]  # fmt: skip


def agent_rss(tmp: Path, config_path: Path) -> list[tuple[str, str]]:
    """`voice-agent run` with voice and speech on, hearing three commands and answering."""
    home = tmp / "home"
    home.mkdir()
    port_config = tmp / "agent.yaml"
    port_config.write_text(config_path.read_text())
    with pulse.null_sink(home, speaker=True) as sink:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf = tmp / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        broker = subprocess.Popen(
            ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        text = port_config.read_text().replace("  port: 1883 ", f"  port: {port} ", 1)
        port_config.write_text(text)
        env = dict(os.environ, HOME=sink.env["HOME"], XDG_RUNTIME_DIR=sink.env["XDG_RUNTIME_DIR"])
        agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(port_config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(12)
            for i, text in enumerate(COMMANDS[:3]):
                wav = speech.say(
                    tmp / f"m{i}.wav", f"hey computer {text}", voice="hibari", after=3.0
                )
                pulse.play(sink.env, wav)
            time.sleep(3)
            status = Path(f"/proc/{agent.pid}/status").read_text()
            hwm = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
            )
        finally:
            agent.terminate()
            agent.wait(10)
            broker.terminate()
            broker.wait(10)
    return [("`voice-agent run`, voice and hibari speech on: peak RSS", f"{hwm / 1024:.0f} MB")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50, help="spoken commands end to end")
    ap.add_argument("--dialogues", type=int, default=40)
    ap.add_argument("--engines-only", action="store_true", help="the first table only")
    ap.add_argument("--engine-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine_child:
        engine_child(args.engine_child[0], json.loads(args.engine_child[1]))
        return
    if args.engines_only:
        with tempfile.TemporaryDirectory() as name:
            config_path = Path(name) / "voice.yaml"
            config_path.write_text(
                EXAMPLE.read_text().replace("  model: ../models/", f"  model: {ROOT}/models/", 1)
            )
            print_table(engines_table(config_path))
        return
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config_path = tmp / "voice.yaml"
        text = EXAMPLE.read_text().replace("  enabled: false ", "  enabled: true ", 1)
        text = text.replace("  model: ../models/", f"  model: {ROOT}/models/", 1)
        config_path.write_text(text)
        rows = engines_table(config_path)
        home = tmp / "pulse"
        home.mkdir()
        with pulse.null_sink(home, speaker=True) as sink:
            os.environ.update(HOME=sink.env["HOME"], XDG_RUNTIME_DIR=sink.env["XDG_RUNTIME_DIR"])
            e2e, sounds, texts = end_to_end(tmp, args.n, config_path)
        rows += e2e
        rows += round_trip(sounds, texts, tmp)
        rows += self_wakes(sounds, config_path)
        rows += dialogues(tmp, args.dialogues, config_path)
        rows += agent_rss(tmp, config_path)
    print_table(rows)


if __name__ == "__main__":
    main()
