"""Audio sources: 16 kHz mono int16 in blocks of BLOCK_MS. A microphone (sounddevice), a WAV
file, or raw audio on stdin, behind one interface."""

from __future__ import annotations

import logging
import sys
import threading
import wave
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from agent.errors import AgentError
from agent.voice.recognition import SPEECH_EXTRA

log = logging.getLogger(__name__)
RATE = 16000
BLOCK_MS = 30
BLOCK_SAMPLES = RATE * BLOCK_MS // 1000
BLOCK_BYTES = BLOCK_SAMPLES * 2


class AudioError(AgentError):
    exit_code = 4  # the audio input or recording cannot be read


class AudioSource(Protocol):
    def blocks(self) -> Iterator[bytes]:
        """Blocks of BLOCK_BYTES (the last may be shorter); ends with the input."""
        ...


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Linear resampling to 16 kHz; enough for speech recognition."""
    samples = np.asarray(samples)
    if rate == RATE or len(samples) == 0:
        return samples
    n = round(len(samples) * RATE / rate)
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), samples.astype(np.float64)).astype(np.int16)


def _chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), BLOCK_BYTES):
        yield data[i : i + BLOCK_BYTES]


class WavSource:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def blocks(self) -> Iterator[bytes]:
        try:
            with wave.open(str(self.path), "rb") as wav:
                if wav.getsampwidth() != 2:
                    raise AudioError(
                        f"{self.path}: need 16-bit PCM WAV, got {8 * wav.getsampwidth()}-bit"
                    )
                frames = wav.readframes(wav.getnframes())
                channels, rate = wav.getnchannels(), wav.getframerate()
        except (OSError, wave.Error, EOFError) as exc:
            raise AudioError(f"cannot read {self.path}: {exc}") from None
        samples = np.frombuffer(frames, dtype="<i2")
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
        yield from _chunks(resample(samples, rate).astype("<i2").tobytes())


class RawSource:
    """Raw s16le mono 16 kHz from a stream (stdin)."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream or sys.stdin.buffer

    def blocks(self) -> Iterator[bytes]:
        while True:
            block = self.stream.read(BLOCK_BYTES)
            if not block:
                return
            yield block


class BlockQueue:
    """Bounded queue between the capture thread and the loop: when full, the oldest block is
    dropped and counted, so a slow consumer never grows memory."""

    def __init__(self, max_blocks: int) -> None:
        self._blocks: deque[bytes] = deque()
        self._max = max_blocks
        self._ready = threading.Condition()
        self.dropped = 0
        self.closed = False

    def put(self, block: bytes) -> None:
        with self._ready:
            if len(self._blocks) >= self._max:
                self._blocks.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100 == 0:
                    log.warning("audio queue full: %d blocks dropped so far", self.dropped)
            self._blocks.append(block)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify()

    def get(self, timeout: float | None = None) -> bytes | None:
        with self._ready:
            if not self._blocks and not self.closed:
                self._ready.wait(timeout)
            return self._blocks.popleft() if self._blocks else None


class MicSource:
    """A sounddevice input stream; the PortAudio callback only copies into a BlockQueue."""

    def __init__(
        self,
        device: str | int | None = None,
        max_blocks: int = 100,
        max_seconds: float | None = None,
    ) -> None:
        self.device = device
        self.queue = BlockQueue(max_blocks)
        self.max_seconds = max_seconds

    def blocks(self) -> Iterator[bytes]:
        try:
            import sounddevice as sd
        except ImportError:
            raise AudioError(f"sounddevice is not installed ({SPEECH_EXTRA})") from None
        except OSError as exc:  # PortAudio missing
            raise AudioError(
                f"cannot use the microphone: {exc} (apt-get install libportaudio2)"
            ) from None

        def callback(indata: object, frames: int, time: object, status: object) -> None:
            self.queue.put(bytes(indata))  # type: ignore[call-overload]

        rate = RATE
        try:
            sd.check_input_settings(device=self.device, samplerate=RATE, channels=1, dtype="int16")
        except Exception:  # the device can't do 16 kHz: take its own rate and resample
            try:
                rate = int(sd.query_devices(self.device, "input")["default_samplerate"])
            except Exception as exc:  # no such device, or no input on it
                raise AudioError(f"cannot open audio input {self.device!r}: {exc}") from None
        try:
            stream = sd.RawInputStream(
                samplerate=rate,
                channels=1,
                dtype="int16",
                device=self.device,
                blocksize=rate * BLOCK_MS // 1000,
                callback=callback,
            )
        except Exception as exc:
            raise AudioError(f"cannot open audio input {self.device!r}: {exc}") from None
        total = 0
        with stream:
            log.info("audio input open: %s at %d Hz", self.device or "default device", rate)
            while self.max_seconds is None or total < self.max_seconds * RATE:
                block = self.queue.get(timeout=1.0)
                if block is None:
                    if self.queue.closed:
                        return
                    continue
                if rate != RATE:
                    block = resample(np.frombuffer(block, "<i2"), rate).astype("<i2").tobytes()
                total += len(block) // 2
                yield block
        if self.queue.dropped:
            log.warning("audio input: %d blocks dropped in all", self.queue.dropped)

    def stop(self) -> None:
        self.queue.close()
