"""A private PulseAudio daemon with a null sink, for capture paced in real time: what is
played into the sink (paplay) comes out of its monitor, which ALSA's pulse plugin offers to
sounddevice as the default input. Unlike ALSA's file plugin it runs at the speed of speech."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SINK = "va"


@dataclass(frozen=True)
class Sink:
    env: dict[str, str]  # HOME and XDG_RUNTIME_DIR that capture from the sink's monitor
    pid: int  # the daemon's


OUT = "out"  # the agent's speaker, where `speaker=True`


@contextmanager
def null_sink(home: Path, *, speaker: bool = False, echo: bool = False) -> Iterator[Sink]:
    """Start the daemon with HOME=`home`. `speaker`: a second null sink, OUT, is the default
    ALSA output (what the agent says goes there, and comes out of its monitor). `echo`: the
    default output is the microphone's own sink, as a room where the speaker reaches the
    microphone (what the agent says, it hears)."""
    for tool in ("pulseaudio", "paplay"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (scripts/bootstrap.sh --dev installs it)")
    run_dir = home / "run"
    run_dir.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(run_dir))
    mic = f'pcm.mic {{\n type pulse\n device "{SINK}.monitor"\n}}\n'
    out = f'pcm.spk {{\n type pulse\n device "{OUT}"\n}}\n'
    default = (
        "pcm.!default {\n type asym\n capture.pcm mic\n playback.pcm spk\n}\n"
        if speaker or echo
        else f'pcm.!default {{\n type pulse\n device "{SINK}.monitor"\n}}\n'
    )
    (home / ".asoundrc").write_text(mic + out + default + "ctl.!default {\n type pulse\n}\n")
    sinks = [f"--load=module-null-sink sink_name={SINK} rate=16000 channels=1"]
    if speaker:
        sinks.append(f"--load=module-null-sink sink_name={OUT} rate=24000 channels=1")
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--load=module-native-protocol-unix",
            *sinks,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not start")
            time.sleep(0.1)
        if speaker or echo:  # through ALSA's asym, the pulse plugin takes Pulse's defaults
            played = OUT if speaker else SINK
            subprocess.run(["pactl", "set-default-sink", played], env=env, check=True)
            subprocess.run(["pactl", "set-default-source", f"{SINK}.monitor"], env=env, check=True)
        yield Sink(env, daemon.pid)
    finally:
        daemon.terminate()
        daemon.wait(10)


def play(env: dict[str, str], wav: Path) -> None:
    """Play `wav` into the sink, in real time; returns when it has been played."""
    subprocess.run(["paplay", f"--device={SINK}", str(wav)], env=env, check=True)


@contextmanager
def recording(env: dict[str, str], out: Path) -> Iterator[Path]:
    """Record what is played into the OUT sink (its monitor) to the WAV `out`, 16 kHz mono,
    until the block ends."""
    rec = subprocess.Popen(
        ["parecord", f"--device={OUT}.monitor", "--rate=16000", "--channels=1",
         "--format=s16le", "--file-format=wav", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield out
    finally:
        rec.terminate()
        rec.wait(10)
