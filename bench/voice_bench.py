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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from agent.config import load_config
from agent.pipeline import Pipeline
from agent.understand.cascade import build_tiers
from agent.voice.audio import WavSource
from agent.voice.loop import commands, heard
from agent.voice.sphinx import SphinxEngine
from agent.voice.vad import Segmenter
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


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--voices", default="en-us,en-gb,en-us+f3")
    ap.add_argument("--config", default=str(ROOT / "configs" / "agent.example.yaml"))
    args = ap.parse_args()
    config = load_config(args.config)
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
                    got = list(
                        commands(heard(blocks, Segmenter(), engine), wake=config.voice.wake_word)
                    )
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
    rows.append(("peak RSS of this process", f"{peak_rss_mb():.0f} MB"))
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
