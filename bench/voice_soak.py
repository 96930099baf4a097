"""Soak test of the voice side of `voice-agent run`, with capture paced in real time.

    .venv/bin/python bench/voice_soak.py [--minutes 10]

Starts a private PulseAudio with a null sink (sounddevice records its monitor through ALSA's
pulse plugin) and a private Mosquitto, runs the agent with voice on, and plays a minute of
spoken commands (each after the wake phrase) into the sink again and again. Prints commands
spoken and acted on, audio blocks dropped, and the agent's peak RSS. Needs pulseaudio,
pulseaudio-utils, libasound2-plugins, mosquitto, espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from tests import pulse, speech
from tests.conftest import Broker, Recorder, example_config

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "turn on the kitchen light",
    "lock the front door",
    "open the blinds",
    "set the bedroom lamp to fifty percent",
    "pause the tv",
    "turn off the big light",
]


def soak(tmp: Path, env: dict[str, str], minutes: float) -> tuple[str, int, int, Recorder]:
    """Play a minute of commands into the sink until `minutes` are up; returns the agent's
    log, the commands spoken, the agent's peak RSS in kB and what the broker saw."""
    parts = [
        speech.say(tmp / f"c{i}.wav", f"hey computer {text}", before=1.0, after=6.0)
        for i, text in enumerate(COMMANDS)
    ]
    minute = speech.join(tmp / "minute.wav", *parts)
    broker = Broker(tmp).start()
    recorder = Recorder(broker.port)
    config = example_config(tmp, broker.port)
    config.write_text(config.read_text().replace("  enabled: false ", "  enabled: true ", 1))
    log = tmp / "agent.log"
    agent = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(config)],
        cwd=ROOT,
        env=dict(env, PYTHONUNBUFFERED="1"),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    recorder.wait_for(lambda m: m.topic.endswith("/status") and m.payload == "online", 60)
    spoken = 0
    peak_kb = 0
    deadline = time.monotonic() + minutes * 60
    try:
        while time.monotonic() < deadline:
            pulse.play(env, minute)
            spoken += len(COMMANDS)
            status = Path(f"/proc/{agent.pid}/status").read_text()
            peak_kb = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        time.sleep(2.0)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(20)
        recorder.close()
        broker.stop()
    return log.read_text(errors="replace"), spoken, peak_kb, recorder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with pulse.null_sink(tmp) as sink:
            text, spoken, peak_kb, recorder = soak(tmp, sink.env, args.minutes)
        heard = len(re.findall(r"heard '", text))
        acted = len([m for m in recorder.messages if not m.topic.startswith("voice-agent/")])
        drops = re.findall(r"(\d+) blocks dropped", text)
        rows = [
            ("minutes of real-time audio", f"{args.minutes:g}"),
            ("commands spoken", str(spoken)),
            ("commands heard", str(heard)),
            ("device messages sent", str(acted)),
            ("audio blocks dropped", drops[-1] if drops else "0"),
            ("agent peak RSS", f"{peak_kb / 1024:.0f} MB"),
        ]
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
