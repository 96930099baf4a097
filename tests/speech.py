"""Real speech for tests: espeak-ng voices and hibari-tts's neural voice, converted to 16 kHz
mono with sox, padded with silence and mixed with a low noise floor (exact digital silence
confuses recognisers). sox runs with -R: its noise and dither are the same on every run."""

from __future__ import annotations

import functools
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest


def _need(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        pytest.fail(f"{tool} is not installed (scripts/bootstrap.sh --dev installs it)")
    return exe


def say(
    out: Path,
    text: str,
    *,
    voice: str = "en-us",
    before: float = 0.5,
    after: float = 1.0,
    noise: float | str = 0.002,
    rate: int = 16000,
    channels: int = 1,
) -> Path:
    """Speak `text` into the WAV `out`; returns it. `voice`: an espeak-ng voice, or
    "hibari" (hibari-tts's neural American voice) with an optional speed: "hibari:0.9".
    `noise`: the white-noise floor's amplitude, or "dither" (sox's dither alone: all but
    digital silence)."""
    raw = out.with_suffix(".tts.wav")
    if voice.startswith("hibari"):
        _hibari(raw, text, float(voice.partition(":")[2] or 1.0))
    else:
        subprocess.run(
            [_need("espeak-ng"), "-v", voice, "-s", "160", "-w", str(raw), text], check=True
        )
    return pad(raw, out, before=before, after=after, noise=noise, rate=rate, channels=channels)


def pad(
    raw: Path,
    out: Path,
    *,
    before: float = 0.5,
    after: float = 1.0,
    noise: float | str = 0.002,
    rate: int = 16000,
    channels: int = 1,
) -> Path:
    """Any WAV `raw` as the tests' speech: at `rate`, padded with quiet, over a noise floor
    (see `say`)."""
    padded = out.with_suffix(".padded.wav")
    sox = _need("sox")
    subprocess.run(
        [
            sox,
            "-R",
            str(raw),
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(padded),
            "pad",
            str(before),
            str(after),
        ],
        check=True,
    )
    if noise == "dither":
        subprocess.run(
            [sox, "-R", str(padded), "-c", str(channels), str(out), "dither"], check=True
        )
        return out
    length = str(seconds(padded))
    floor = out.with_suffix(".noise.wav")
    subprocess.run(
        [
            sox,
            "-R",
            "-n",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(floor),
            "synth",
            length,
            "whitenoise",
            "vol",
            str(noise),
        ],
        check=True,
    )
    subprocess.run(
        [sox, "-R", "-m", str(padded), str(floor), "-c", str(channels), "-b", "16", str(out)],
        check=True,
    )
    return out


def _hibari(out: Path, text: str, speed: float) -> None:
    """hibari-tts (Apache-2.0; its default voice ships in the wheel): 24 kHz float audio,
    the same for the same text and seed."""
    import numpy as np

    audio = _tts()(text, speed=speed, seed=1)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())


@functools.cache
def _tts() -> Any:
    from hibari import Hibari

    return Hibari()


def join(out: Path, *parts: Path) -> Path:
    subprocess.run([_need("sox"), "-R", *map(str, parts), str(out)], check=True)
    return out


def seconds(path: Path) -> float:
    out = subprocess.run(
        [_need("sox"), "--i", "-D", str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def word_error_rate(heard: str, said: str) -> float:
    """Word-level edit distance over the words said (both normalised by the caller)."""
    a, b = said.split(), heard.split()
    row = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return row[-1] / max(1, len(a))
