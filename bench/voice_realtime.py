"""End of speech -> words, with audio arriving in real time as from a microphone.

    .venv/bin/python bench/voice_realtime.py [--n 20] [--engines moonshine,pocketsphinx]
        [--moonshine-model models/moonshine-base-en]

voice_bench.py feeds audio as fast as the recogniser takes it, so it measures the whole
decode at the end; live, a recogniser can work while the speaker is still talking
(pocketsphinx streams) or during the silence that ends the utterance (Moonshine hears ahead
after 240 ms of quiet). Here each utterance (the second author's commands after "hey
computer", hibari-tts and espeak-ng voices alternating, clean room) is fed in 30 ms blocks
paced to the clock, and the time from the end of speech being decided to the words is
measured (Heard.decode_ms). The pipeline's own time (a few ms) is not included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import voice_bench as vb
from table import print_table

from agent.voice.engines import make_engine
from agent.voice.loop import hear
from agent.voice.wake import for_phrase


def paced(blocks: list[bytes]) -> Iterator[bytes]:
    begun = time.perf_counter()
    for i, block in enumerate(blocks):
        wait = begun + (i + 1) * 0.03 - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        yield block


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--engines", default="moonshine,pocketsphinx")
    ap.add_argument("--config", default=str(vb.ROOT / "configs" / "agent.example.yaml"))
    ap.add_argument("--moonshine-model", default=str(vb.ROOT / "models" / "moonshine-base-en"))
    args = ap.parse_args()
    vb.repeatable_sox()
    config = vb.load_config(args.config)
    chosen = vb.home_entities(vb.MAIN)
    home = vb.home_of(chosen)
    commands = vb.pick_commands(chosen, vb.make_pipeline(config, home), args.n)
    audio = []
    for i, c in enumerate(commands):
        voice = vb.pick_voice(vb.FAMILIES[i % 2], vb.random.Random(f"realtime:{i}"), i)
        voice = replace(voice, reverb=False)
        speech = vb.placed(vb.speak(voice, f"{vb.WAKE}, {c.text}"), voice, np.random.default_rng(i))
        padded = np.concatenate([vb.silence(0.4), speech, vb.silence(1.0)])
        room = vb.room_noise(vb.CLEAN, len(padded), voice.dbfs, np.random.default_rng(i), [])
        audio.append(vb.pcm_blocks(padded + room))
    rows = []
    for name in args.engines.split(","):
        voice = replace(config.voice, engine=name, moonshine_model=args.moonshine_model)
        engine = make_engine(voice, home)
        wake = for_phrase(voice.wake_word, voice.wake_model)
        ms = []
        for blocks in audio:
            found = hear(paced(blocks), voice, engine, wake)
            ms += [h.decode_ms for h in found]
        q = statistics.quantiles(ms, n=20) if len(ms) > 1 else ms * 19
        p50, p95 = statistics.median(ms), q[18]
        label = f"{name}: end of speech -> words p50 / p95"
        rows.append((label, f"{p50:.0f} / {p95:.0f} ms ({len(ms)} utterances)"))
    print_table(rows)


if __name__ == "__main__":
    main()
