"""Rooms for synthetic speech: noise of several kinds mixed in at a signal-to-noise ratio, a
little reverberation, a level. numpy only; used to train the wake classifier and by the voice
benchmark (with other seeds and other speech)."""

from __future__ import annotations

import numpy as np

from agent.voice.features import active_rms

RATE = 16000
KINDS = ("white", "pink", "brown", "babble", "music")


def _coloured(n: int, rng: np.random.Generator, power: float) -> np.ndarray:
    """Noise whose power falls as 1/f**power (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    f[0] = f[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / f ** (power / 2), n)
    return noise / (np.std(noise) + 1e-12)


def _music(n: int, rng: np.random.Generator) -> np.ndarray:
    """Tones of a tune: notes of a few harmonics with an attack and decay, and a bass line."""
    out = np.zeros(n)
    t = 0
    while t < n:
        length = int(RATE * rng.uniform(0.12, 0.5))
        k = np.arange(min(length, n - t))
        for base in (
            220.0 * 2 ** (rng.integers(-12, 13) / 12),
            55.0 * 2 ** (rng.integers(0, 12) / 12),
        ):
            note = sum(np.sin(2 * np.pi * base * h * k / RATE) / h for h in (1, 2, 3, 4))
            out[t : t + len(k)] += note * np.exp(-k / (0.3 * length)) * np.minimum(1, k / 80)
        t += length
    return out / (np.std(out) + 1e-12)


def _babble(n: int, rng: np.random.Generator, speech: list[np.ndarray]) -> np.ndarray:
    """Several other voices at once, from `speech` (float clips)."""
    out = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        clip = speech[int(rng.integers(len(speech)))]
        if len(clip) < n:
            clip = np.tile(clip, n // max(len(clip), 1) + 1)
        start = int(rng.integers(0, len(clip) - n + 1))
        out += clip[start : start + n] * rng.uniform(0.5, 1.0)
    return out / (np.std(out) + 1e-12)


def noise(
    kind: str, n: int, rng: np.random.Generator, speech: list[np.ndarray] | None = None
) -> np.ndarray:
    """`n` samples of unit-RMS noise of `kind` (one of KINDS)."""
    if kind == "white":
        return rng.standard_normal(n)
    if kind == "pink":
        return _coloured(n, rng, 1.0)
    if kind == "brown":
        return _coloured(n, rng, 2.0)
    if kind == "music":
        return _music(n, rng)
    if kind == "babble":
        if not speech:
            raise ValueError("babble needs other speech to mix")
        return _babble(n, rng, speech)
    raise ValueError(f"unknown noise kind {kind!r}; one of {', '.join(KINDS)}")


def mix(speech: np.ndarray, noise_: np.ndarray, snr_db: float) -> np.ndarray:
    """`speech` with `noise_` (same length) at `snr_db` below the speech's active level."""
    level = active_rms(speech) / 10 ** (snr_db / 20)
    return speech + noise_ * level


def reverb(audio: np.ndarray, rng: np.random.Generator, rt60: float | None = None) -> np.ndarray:
    """A small room: the direct sound plus exponentially decaying diffuse echoes."""
    rt60 = rt60 if rt60 is not None else float(rng.uniform(0.15, 0.6))
    length = int(RATE * rt60)
    t = np.arange(length) / RATE
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60) * 0.3
    tail[: int(0.005 * RATE)] = 0.0
    tail[0] = 1.0
    n = len(audio) + length - 1
    size = 1 << (n - 1).bit_length()
    wet = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(tail, size), size)[: len(audio)]
    out: np.ndarray = wet * (np.std(audio) / (np.std(wet) + 1e-12))
    return out


def level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """`audio` scaled so its active level is `dbfs` (clipped to -1..1 like a sound card)."""
    scaled: np.ndarray = np.clip(audio * (10 ** (dbfs / 20) / (active_rms(audio) + 1e-12)), -1, 1)
    return scaled
