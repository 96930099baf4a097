"""Audio as the speaking side uses it: mono float32 samples at a rate, to and from 16-bit
WAV, resampled, and the earcons (short tones made here, or a WAV file). Pure but for the
file reads."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.errors import AgentError


class SoundError(AgentError):
    """A sound file given in the config can't be read."""


@dataclass(frozen=True, eq=False)
class Sound:
    samples: np.ndarray  # float32, mono, -1..1
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def wav(self) -> bytes:
        """16-bit mono WAV bytes: what `say --speak` writes and reply/audio carries."""
        pcm = (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype("<i2")
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(pcm.tobytes())
        return out.getvalue()

    def louder(self, volume: float) -> Sound:
        return self if volume == 1.0 else Sound(self.samples * np.float32(volume), self.rate)

    def at(self, rate: int) -> Sound:
        """Linearly resampled to `rate` (for an output that takes only its own rate)."""
        if rate == self.rate or len(self.samples) == 0:
            return self
        n = round(len(self.samples) * rate / self.rate)
        x = np.linspace(0, len(self.samples) - 1, n)
        y = np.interp(x, np.arange(len(self.samples)), self.samples).astype(np.float32)
        return Sound(y, rate)


def from_wav(data: bytes, what: str = "audio") -> Sound:
    """16-bit WAV bytes, mono or the first channel."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise SoundError(f"{what}: not 16-bit PCM WAV")
            rate, channels = w.getframerate(), w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    except (wave.Error, EOFError) as exc:
        raise SoundError(f"{what}: not a WAV file ({exc})") from exc
    return Sound((pcm[::channels].astype(np.float32) / 32768.0), rate)


def read_wav(path: str | Path) -> Sound:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SoundError(f"can't read the sound {path}: {exc.strerror or exc}") from exc
    return from_wav(data, str(path))


RATE = 24000


def tones(*notes: tuple[float, float], rate: int = RATE, level: float = 0.3) -> Sound:
    """Notes (frequency Hz, seconds) one after another, each with a soft start and end."""
    parts = []
    for freq, seconds in notes:
        t = np.arange(int(rate * seconds)) / rate
        note = np.sin(2 * np.pi * freq * t) * level
        fade = min(len(t) // 4, int(rate * 0.01))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade)
            note[:fade] *= ramp
            note[-fade:] *= ramp[::-1]
        parts.append(note)
    return Sound(np.concatenate(parts).astype(np.float32), rate)


def listening_earcon() -> Sound:
    """Rising: it is listening (about 0.15 s)."""
    return tones((660.0, 0.07), (990.0, 0.08))


def error_earcon() -> Sound:
    """Falling: it didn't get that (about 0.2 s)."""
    return tones((440.0, 0.1), (330.0, 0.12))
