"""Log-mel features of 16 kHz audio, in numpy: what the wake classifier hears (the same code
makes its training data, so training and the device agree); and the active level of speech.
Pure."""

from __future__ import annotations

import functools

import numpy as np

RATE = 16000
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms: 100 frames a second
FFT = 512
MELS = 40


@functools.cache
def _mel_matrix() -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(60.0)), mel(np.array(7600.0)), MELS + 2))
    bins = np.fft.rfftfreq(FFT, 1.0 / RATE)
    out = np.zeros((MELS, len(bins)), dtype=np.float32)
    for i in range(MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        rise = (bins - lo) / (mid - lo)
        fall = (hi - bins) / (hi - mid)
        out[i] = np.clip(np.minimum(rise, fall), 0.0, None)
    return out


@functools.cache
def _bands() -> tuple[tuple[int, int, np.ndarray], ...]:
    """Each mel filter as (first bin, last bin + 1, weights): summed band by band, not by a
    matrix product, which multi-threaded BLAS makes 100x slower on a busy CPU."""
    out = []
    for row in _mel_matrix():
        nonzero = np.nonzero(row)[0]
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        out.append((lo, hi, row[lo:hi].copy()))
    return tuple(out)


@functools.cache
def _window() -> np.ndarray:
    return np.hanning(WINDOW).astype(np.float32)


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(frames, MELS) log-mel energies of float audio in -1..1; one frame per 10 ms."""
    if len(audio) < WINDOW:
        audio = np.pad(audio, (0, WINDOW - len(audio)))
    frames = 1 + (len(audio) - WINDOW) // HOP
    idx = np.arange(WINDOW)[None, :] + HOP * np.arange(frames)[:, None]
    bins = np.fft.rfft(audio[idx] * _window(), FFT)
    power = (bins.real**2 + bins.imag**2).astype(np.float32)
    out = np.empty((frames, MELS), dtype=np.float32)
    for i, (lo, hi, weights) in enumerate(_bands()):
        out[:, i] = (power[:, lo:hi] * weights).sum(axis=1)
    logged: np.ndarray = np.log(out + 1e-6)
    return logged


def pcm_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def windows(features: np.ndarray, size: int, hop: int) -> np.ndarray:
    """(n, MELS, size) windows of `features`, each less its own mean per band (so the level
    of the voice and the microphone cancel); padded at the end to one whole window."""
    if len(features) < size:
        fill = np.full((size - len(features), MELS), features.min(initial=np.log(1e-6)))
        features = np.concatenate([features, fill.astype(np.float32)])
    starts = range(0, len(features) - size + 1, hop)
    out = np.stack([features[s : s + size] for s in starts])
    out = out - out.mean(axis=1, keepdims=True)
    return np.ascontiguousarray(out.transpose(0, 2, 1), dtype=np.float32)


def active_rms(audio: np.ndarray) -> float:
    """The RMS of the louder half of 20 ms frames: the level of the speech, not its pauses."""
    frames = len(audio) // 320
    if frames == 0:
        return float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
    power = np.mean(audio[: frames * 320].reshape(frames, 320) ** 2, axis=1)
    loud = np.sort(power)[frames // 2 :]
    return float(np.sqrt(np.mean(loud)))
