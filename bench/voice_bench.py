"""Benchmark the voice loop with real synthetic speech (espeak-ng voices, clean and noisy).

    .venv/bin/python bench/voice_bench.py [--voices en-us,en-gb,en-us+f3,en-gb-scotland]

Each command is spoken after the wake phrase into a WAV; the loop (end of speech, streaming
pocketsphinx on the home's grammar) must recover it. Success: the recognised text leads to
exactly the device messages the true text does. Latency: work left at end of speech
(finishing recognition) plus understanding and resolving, without the trailing-silence wait.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from agent.config import Config, VoiceConfig, load_config
from agent.pipeline import Pipeline
from agent.understand.cascade import build_tiers
from agent.voice.audio import WavSource
from agent.voice.loop import voice_commands
from agent.voice.sphinx import SphinxEngine
from tests import speech

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "turn on the kitchen light",
    "turn off the big light",
    "switch on the coffee machine",
    "set the bedroom lamp to fifty percent",
    "dim the lights",
    "make the bedroom lamp blue",
    "lock the front door",
    "unlock the back door",
    "open the blinds",
    "close the garage door",
    "set the thermostat to twenty one degrees",
    "turn up the heating",
    "pause the tv",
    "next song",
    "start the vacuum",
    "send the vacuum home",
    "turn off all the lights downstairs",
    "turn on the desk lamp",
    "set the volume to thirty",
    "is the front door locked",
]
# Wake-alike phrases before a command: waking on them is a false accept.
NEAR_MISSES = [
    "hey cupboard turn off the lights",
    "hey compost turn on the light",
    "okay google turn on the kitchen light",
    "a computer turned the fan off",
    "hey community open the blinds",
    "they compute her lock the front door",
]
# Speech that is no command: in always mode, taking it as one is a false accept.
CHATTER = [
    "what a lovely day it is outside today",
    "I was going to the shop to buy some bread",
    "did you see the football last night",
    "heavy computation is hard",
    "the computer is broken again",
    "can you pass me the salt please",
    "we should visit grandma on sunday",
    "my phone battery is almost empty",
]


def false_accepts(config: Config, tmp: Path, voices: list[str]) -> list[tuple[str, str]]:
    """How often wake-alike phrases wake the agent, and how often chatter (and real
    commands) are taken as commands in always mode, at the configured sensitivity."""
    v = config.voice
    wake_engine = SphinxEngine(config.home, wake=v.wake_word)
    always = replace(v, mode="always")
    always_engine = SphinxEngine(config.home)

    def taken(engine: SphinxEngine, voice_config: VoiceConfig, texts: list[str]) -> int:
        count = 0
        for voice in voices:
            for n, text in enumerate(texts):
                wav = speech.say(tmp / f"fa-{voice}-{n}-{hash(text)}.wav", text, voice=voice)
                count += bool(list(voice_commands(WavSource(wav).blocks(), voice_config, engine)))
        return count

    n = len(voices)
    woke = taken(wake_engine, v, NEAR_MISSES)
    chatter = taken(always_engine, always, CHATTER)
    kept = taken(always_engine, always, COMMANDS)
    return [
        (
            f"sensitivity {v.sensitivity}: near-miss wake phrases that woke",
            f"{woke} / {n * len(NEAR_MISSES)}",
        ),
        ("always mode: chatter taken as a command", f"{chatter} / {n * len(CHATTER)}"),
        ("always mode: commands taken", f"{kept} / {n * len(COMMANDS)}"),
    ]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--voices", default="en-us,en-gb,en-us+f3")
    ap.add_argument("--config", default=str(ROOT / "configs" / "agent.example.yaml"))
    ap.add_argument("--sensitivity", type=float, default=None, help="voice.sensitivity to use")
    args = ap.parse_args()
    config = load_config(args.config)
    if args.sensitivity is not None:
        config = replace(config, voice=replace(config.voice, sensitivity=args.sensitivity))
    pipeline = Pipeline(config.home, build_tiers(config.understanding), site_area=config.site.area)
    engine = SphinxEngine(config.home, wake=config.voice.wake_word)
    rows: list[tuple[str, str]] = []
    conditions = {"clean": 0.002, "noisy": 0.03}
    with tempfile.TemporaryDirectory() as tmp:
        for condition, noise in conditions.items():
            exact = success = total = 0
            latencies: list[float] = []
            audio_s = decode_s = 0.0
            for voice in args.voices.split(","):
                for n, text in enumerate(COMMANDS):
                    wav = Path(tmp) / f"{condition}-{voice}-{n}.wav"
                    speech.say(wav, f"{config.voice.wake_word} {text}", voice=voice, noise=noise)
                    blocks = list(WavSource(wav).blocks())
                    audio_s += sum(len(b) for b in blocks) / 32000
                    begun = time.perf_counter()
                    got = list(voice_commands(blocks, config.voice, engine))
                    decode_s += time.perf_counter() - begun
                    total += 1
                    want = pipeline.handle(text)
                    pipeline.handle("no")
                    if not got:
                        continue
                    said = got[0]
                    exact += said.text == text
                    outcome = pipeline.handle(said.text)
                    pipeline.handle("no")
                    success += (outcome.intent.name, outcome.actions, outcome.targets) == (
                        want.intent.name,
                        want.actions,
                        want.targets,
                    )
                    latencies.append(said.decode_ms + outcome.latency_ms)
            latencies.sort()
            rows += [
                (f"{condition}: commands", f"{total} ({len(args.voices.split(','))} voices)"),
                (f"{condition}: recognition exact-match", f"{exact / total:.1%}"),
                (f"{condition}: command success", f"{success / total:.1%}"),
                (
                    f"{condition}: end of speech -> actions p50/p95",
                    f"{statistics.median(latencies):.0f} / "
                    f"{latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms",
                ),
                (f"{condition}: real-time factor", f"{decode_s / audio_s:.3f}"),
            ]
        rows += false_accepts(config, Path(tmp), args.voices.split(","))
    rows.append(("peak RSS of this process", f"{peak_rss_mb():.0f} MB"))
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
