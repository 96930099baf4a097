"""Choosing the speech recogniser: Vosk when its model is installed (or asked for), else
pocketsphinx, whose English model ships in its wheel."""

from __future__ import annotations

import logging
from pathlib import Path

from agent.config import VoiceConfig
from agent.home.inventory import Home
from agent.voice import grammar, lm
from agent.voice.loop import Recognizer
from agent.voice.sphinx import SphinxEngine
from agent.voice.vosk_engine import VoskEngine

log = logging.getLogger(__name__)


def make_engine(voice: VoiceConfig, home: Home) -> Recognizer:
    wake = voice.wake_word if voice.mode == "wake" else None
    use_vosk = voice.engine == "vosk" or (
        voice.engine == "auto" and (Path(voice.vosk_model) / "am" / "final.mdl").is_file()
    )
    if use_vosk:
        if voice.recognition_in_use == "open":
            words = sorted(lm.words(home, wake=wake))
        else:
            words = sorted(grammar.build(home, wake=wake).words)
        log.info("speech recognition: Vosk, model %s", voice.vosk_model)
        return VoskEngine(voice.vosk_model, phrases=words)
    log.info("speech recognition: pocketsphinx, %s (voice.recognition)", voice.recognition_in_use)
    return SphinxEngine(home, wake=wake, recognition=voice.recognition_in_use)
