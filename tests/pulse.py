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


@contextmanager
def null_sink(home: Path) -> Iterator[Sink]:
    """Start the daemon with HOME=`home`."""
    for tool in ("pulseaudio", "paplay"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (scripts/bootstrap.sh --dev installs it)")
    run_dir = home / "run"
    run_dir.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(run_dir))
    (home / ".asoundrc").write_text(
        f'pcm.!default {{\n type pulse\n device "{SINK}.monitor"\n}}\n'
        "ctl.!default {\n type pulse\n}\n"
    )
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--load=module-native-protocol-unix",
            f"--load=module-null-sink sink_name={SINK} rate=16000 channels=1",
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
        yield Sink(env, daemon.pid)
    finally:
        daemon.terminate()
        daemon.wait(10)


def play(env: dict[str, str], wav: Path) -> None:
    """Play `wav` into the sink, in real time; returns when it has been played."""
    subprocess.run(["paplay", f"--device={SINK}", str(wav)], env=env, check=True)
