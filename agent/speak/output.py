"""Playing a Sound on an output device through sounddevice (PortAudio), interruptibly.
One stream per sound, opened at the device's own rate where it takes no other."""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import numpy as np

from agent.errors import AgentError
from agent.speak.sound import Sound

log = logging.getLogger(__name__)


class OutputError(AgentError):
    exit_code = 4  # an audio device


class Output(Protocol):
    def play(self, sound: Sound, stop: threading.Event) -> float | None:
        """Play to the end, or until `stop` is set; blocking. Returns when (time.monotonic())
        the last sample left the speaker, where it can tell."""
        ...


class DeviceOutput:
    def __init__(self, device: str | int | None) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as exc:
            raise OutputError(
                f"speaking needs sounddevice and PortAudio: {exc}; "
                "pip install 'voice-agent[speech]' (or speech.engine: none)"
            ) from exc
        self.sd = sounddevice
        self.device = device
        self._rates: dict[int, int] = {}

    def _rate(self, rate: int) -> int:
        """The sound's own rate where the device takes it, else the device's default."""
        if rate not in self._rates:
            try:
                self.sd.check_output_settings(self.device, channels=1, samplerate=rate)
                self._rates[rate] = rate
            except Exception:  # PortAudio's own errors: the device wants its rate
                info = self.sd.query_devices(self.device, "output")
                self._rates[rate] = int(info["default_samplerate"])
        return self._rates[rate]

    def play(self, sound: Sound, stop: threading.Event) -> float | None:
        if len(sound.samples) == 0:
            return None
        try:
            rate = self._rate(sound.rate)
        except Exception as exc:  # no such device
            raise OutputError(f"audio output {self.device!r}: {exc}") from exc
        samples = sound.at(rate).samples
        done = threading.Event()
        at = 0
        first: list[float] = []  # when the first block was asked for

        def callback(out: np.ndarray, frames: int, _time: object, _status: object) -> None:
            nonlocal at
            if not first:
                first.append(time.monotonic())
            chunk = samples[at : at + frames]
            out[: len(chunk), 0] = chunk
            out[len(chunk) :, 0] = 0.0
            at += frames
            if at >= len(samples) or stop.is_set():
                raise self.sd.CallbackStop

        try:
            with self.sd.OutputStream(
                samplerate=rate,
                channels=1,
                dtype="float32",
                device=self.device,
                callback=callback,
                finished_callback=done.set,
            ) as stream:
                # the stream ends itself (CallbackStop); waiting on `stop` too ends it sooner
                while not done.wait(0.02):
                    if stop.is_set():
                        break
                latency = float(stream.latency)
        except self.sd.PortAudioError as exc:
            raise OutputError(f"audio output {self.device!r}: {exc}") from exc
        now = time.monotonic()
        if not first or stop.is_set():
            return now
        # a stream may report itself finished well after its sound (a sound server drains
        # late): the sound ended once its samples had played, and the output's latency
        return min(now, first[0] + min(at, len(samples)) / rate + latency)
