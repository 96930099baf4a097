"""One reply or text said once, for `voice-agent say --speak` and `voice-agent speak`:
played on speech.device, or written to a WAV file."""

from __future__ import annotations

import threading
from pathlib import Path

from agent.config import Config, audio_device
from agent.speak.engines import engine_for
from agent.speak.output import DeviceOutput
from agent.speak.wording import speakable


def speak_once(config: Config, text: str, wav: Path | None = None) -> None:
    s = config.speech
    engine = engine_for(config, "hibari" if s.engine == "none" else None)  # asked: said anyway
    sound = engine.synthesize(speakable(text)).louder(s.volume)
    if wav is not None:
        wav.write_bytes(sound.wav())
        return
    DeviceOutput(audio_device(s.device)).play(sound, threading.Event())
