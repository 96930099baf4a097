"""Choosing the speech recogniser: Moonshine when its model is installed (or asked for), else
Vosk when its model is installed (or asked for), else pocketsphinx, whose English model
ships in its wheel."""

from __future__ import annotations

import logging
from pathlib import Path

from agent.config import VoiceConfig
from agent.home.inventory import Home
from agent.voice import bias, grammar, lm
from agent.voice.loop import Recognizer
from agent.voice.moonshine import MoonshineEngine
from agent.voice.sphinx import SphinxEngine
from agent.voice.vosk_engine import VoskEngine

log = logging.getLogger(__name__)


def engine_in_use(voice: VoiceConfig) -> str:
    """The recogniser `voice.engine` names, with auto resolved by which models are there."""
    if voice.engine != "auto":
        return voice.engine
    if (Path(voice.moonshine_model) / "decoder.onnx").is_file():
        return "moonshine"
    if (Path(voice.vosk_model) / "am" / "final.mdl").is_file():
        return "vosk"
    return "pocketsphinx"


def make_engine(voice: VoiceConfig, home: Home, *, threads: int = 0) -> Recognizer:
    """`threads`: onnxruntime's for Moonshine (0: its default, the machine's cores)."""
    wake = voice.wake_word if voice.mode == "wake" else None
    name = engine_in_use(voice)
    if name == "moonshine":
        log.info("speech recognition: Moonshine, model %s", voice.moonshine_model)
        return MoonshineEngine(
            voice.moonshine_model,
            threads=threads,
            words=bias.home_words(home),
            greedy_words=len(wake.split()) if wake else 0,
        )
    if name == "vosk":
        if voice.recognition_in_use == "open":
            words = sorted(lm.words(home, wake=wake))
        else:
            words = sorted(grammar.build(home, wake=wake).words)
        log.info("speech recognition: Vosk, model %s", voice.vosk_model)
        return VoskEngine(voice.vosk_model, phrases=words)
    log.info("speech recognition: pocketsphinx, %s (voice.recognition)", voice.recognition_in_use)
    return SphinxEngine(home, wake=wake, recognition=voice.recognition_in_use)
