"""Text-to-speech engines behind one interface: text in, a Sound out.

- `hibari` (default): the PyPI package hibari-tts (Apache-2.0, onnxruntime; its American
  voice "heart" ships inside the wheel: nothing downloads). Warmed at start (its first call
  is slow).
- `espeak-ng`: the Debian package's command; tiny and robotic, always there.
- `piper`: optional; the PyPI package piper-tts and a voice installed by
  `voice-agent models download piper-<voice>` (a folder holding <voice>.onnx and
  <voice>.onnx.json).
- `none`: says nothing.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Protocol

import numpy as np

from agent.config import Config
from agent.errors import AgentError
from agent.speak.lean_g2p import lean_g2p
from agent.speak.sound import Sound, from_wav

log = logging.getLogger(__name__)
SPEECH_EXTRA = "pip install 'voice-agent[speech]' (or scripts/bootstrap.sh)"


class SpeechError(AgentError):
    """An engine can't be had (not installed, no such voice) or failed on a text."""


class Engine(Protocol):
    name: str

    def synthesize(self, text: str) -> Sound: ...


class Silent:
    name = "none"

    def synthesize(self, text: str) -> Sound:
        return Sound(np.zeros(0, np.float32), 16000)


class Hibari:
    name = "hibari"

    def __init__(self, voice: str | None, speed: float) -> None:
        try:
            from hibari import Hibari as Model
            from hibari.voices import VOICES
        except ImportError as exc:
            raise SpeechError(f"speech.engine hibari needs hibari-tts: {SPEECH_EXTRA}") from exc
        voice = voice or "heart"
        if voice not in VOICES:
            known = ", ".join(sorted(VOICES))
            raise SpeechError(f"hibari has no voice {voice!r} (it has {known})")
        if not _on_disk(voice):
            raise SpeechError(
                f"hibari's voice {voice!r} is not on this machine (only 'heart' ships in the "
                "package); use speech.voice: heart"
            )
        british = bool(VOICES[voice]["british"])
        self.model = Model(voice=voice, g2p=lean_g2p(british))  # None: hibari's own
        self.speed = speed

    def synthesize(self, text: str) -> Sound:
        audio = self.model(text, speed=self.speed, seed=0)
        return Sound(np.asarray(audio, np.float32), int(self.model.sample_rate))


def _on_disk(voice: str) -> bool:
    """Whether hibari has the voice's file already (getting it otherwise would download)."""
    import hibari
    from hibari.voices import VOICES, cache_dir

    file = VOICES[voice]["file"]
    packaged = Path(hibari.__file__).parent / "assets" / file
    return bool(packaged.is_file() or (Path(cache_dir()) / file).is_file())


class Espeak:
    name = "espeak-ng"

    def __init__(self, voice: str | None, speed: float) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise SpeechError(
                "speech.engine espeak-ng needs the espeak-ng program (apt install espeak-ng)"
            )
        voice = voice or "en-us"
        try:
            known = subprocess.run([exe, "-v", voice, "-q", "x"], capture_output=True, timeout=10)
        except (subprocess.SubprocessError, OSError) as exc:
            raise SpeechError(f"espeak-ng failed: {exc}") from exc
        if known.returncode != 0:
            raise SpeechError(f"espeak-ng has no voice {voice!r} (espeak-ng --voices lists them)")
        self.command = [exe, "-v", voice, "-s", str(round(160 * speed)), "--stdout"]

    def synthesize(self, text: str) -> Sound:
        try:
            done = subprocess.run(
                [*self.command, "--", text], capture_output=True, timeout=30, check=True
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise SpeechError(f"espeak-ng failed: {exc}") from exc
        return from_wav(done.stdout, "espeak-ng's output")


class Piper:
    name = "piper"

    def __init__(self, voice: str | None, speed: float, models_dir: Path) -> None:
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise SpeechError("speech.engine piper needs piper-tts: pip install piper-tts") from exc
        name = voice or "en_US-lessac-medium"
        folder = models_dir / f"piper-{name}"
        model = folder / f"{name}.onnx"
        if not model.is_file() or not model.with_suffix(".onnx.json").is_file():
            raise SpeechError(
                f"no piper voice {name!r} in {folder}: voice-agent models download piper-{name}"
            )
        self.voice = PiperVoice.load(str(model))
        self.speed = speed

    def synthesize(self, text: str) -> Sound:
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=1.0 / self.speed)
        chunks = [c.audio_float_array for c in self.voice.synthesize(text, syn_config=config)]
        rate = int(self.voice.config.sample_rate)
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return Sound(audio.astype(np.float32), rate)


def make_engine(name: str, voice: str | None, speed: float, models_dir: Path) -> Engine:
    """The configured engine; a piper voice that can't be had falls back to hibari, said in
    the log (the reply is still spoken)."""
    if name == "none":
        return Silent()
    if name == "espeak-ng":
        return Espeak(voice, speed)
    if name == "piper":
        try:
            return Piper(voice, speed, models_dir)
        except SpeechError as exc:
            log.error("%s; speaking with hibari instead", exc)
            return Hibari(None, speed)
    return Hibari(voice, speed)


def engine_for(config: Config, name: str | None = None) -> Engine:
    """The engine `speech` configures (or the one `name`s), with Piper's voices looked for
    where the downloaded models are (beside voice.moonshine_model)."""
    s = config.speech
    models_dir = Path(config.voice.moonshine_model).parent
    return make_engine(name or s.engine, s.voice, s.speed, models_dir)
