"""One reply or text said once, for `voice-agent say --speak` and `voice-agent speak`:
played on speech.device, or written to a WAV file."""

from __future__ import annotations

import threading
from pathlib import Path

from agent.config import Config
from agent.speak.engines import make_engine
from agent.speak.output import DeviceOutput
from agent.speak.wording import speakable


def speak_once(config: Config, text: str, wav: Path | None = None) -> None:
    s = config.speech
    engine = make_engine(
        "hibari" if s.engine == "none" else s.engine,  # asked for by name: said anyway
        s.voice,
        s.speed,
        Path(config.voice.moonshine_model).parent,
    )
    sound = engine.synthesize(speakable(text)).louder(s.volume)
    if wav is not None:
        wav.write_bytes(sound.wav())
        return
    device: str | int | None = int(s.device) if s.device and s.device.isdigit() else s.device
    DeviceOutput(device).play(sound, threading.Event())
