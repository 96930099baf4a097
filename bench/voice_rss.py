"""Peak memory of the agent's voice side: for each recogniser and home size, a fresh process
builds the home, the pipeline and the recogniser as the service does, hears two spoken
commands (hibari-tts and espeak-ng) through the whole voice loop and acts on them, then
reports its peak RSS (VmHWM).

    .venv/bin/python bench/voice_rss.py [--engines pocketsphinx,moonshine] [--sizes 10,150,500]
        [--moonshine-model models/moonshine-base-en]

Homes are voice_bench's (the second author's devices). The speech is made once, in the
parent, so the children hold no speech synthesiser.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from table import print_table

ROOT = Path(__file__).resolve().parent.parent
SAID = (("hey computer, turn on the kitchen light", "hibari"),
        ("hey computer, what is the temperature in the office", "en-us"))  # fmt: skip


def child(engine: str, size: int, wav: str, model: str) -> None:
    from dataclasses import replace

    import voice_bench as vb

    from agent.voice.audio import WavSource
    from agent.voice.engines import make_engine
    from agent.voice.loop import voice_commands

    config = vb.settings_config(str(ROOT / "configs" / "agent.example.yaml"), None, engine)
    voice = replace(config.voice, moonshine_model=model)
    home = vb.home_of(vb.home_entities(size))
    pipeline = vb.make_pipeline(config, home)
    recogniser = make_engine(voice, home)
    heard = [c.text for c in voice_commands(WavSource(wav).blocks(), voice, recogniser)]
    acted = [bool(pipeline.handle(text).targets) for text in heard]
    print(json.dumps({"heard": heard, "acted": acted, "rss_mb": vb.peak_rss_mb()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engines", default="pocketsphinx,moonshine")
    ap.add_argument("--sizes", default="10,150,500")
    ap.add_argument("--moonshine-model", default=str(ROOT / "models" / "moonshine-base-en"))
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, size, wav = args.child
        child(engine, int(size), wav, args.moonshine_model)
        return
    sys.path.insert(0, str(ROOT))
    from tests import speech

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        parts = [speech.say(Path(tmp) / f"{i}.wav", t, voice=v) for i, (t, v) in enumerate(SAID)]
        wav = str(speech.join(Path(tmp) / "all.wav", *parts))
        for engine in args.engines.split(","):
            for size in args.sizes.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", engine, size, wav,
                     "--moonshine-model", args.moonshine_model],
                    capture_output=True, text=True, check=True, cwd=ROOT,
                )  # fmt: skip
                got = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append((f"{engine}, {size} entities",
                             f"{got['rss_mb']:.0f} MB (heard {len(got['heard'])}, "
                             f"acted or answered {sum(got['acted'])})"))  # fmt: skip
    print("Peak RSS of the voice loop + pipeline")
    print_table(rows)


if __name__ == "__main__":
    main()
