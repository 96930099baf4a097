"""A text-only install (without the `speech` extra) says what to install when voice is used,
instead of failing on an import."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent.home.inventory import Home
from agent.voice.audio import AudioError, MicSource
from agent.voice.recognition import RecognizerError
from agent.voice.sphinx import SphinxEngine
from agent.voice.vosk_engine import VoskEngine

WANTED = "pip install 'voice-agent[speech]'"


def test_each_speech_library_missing_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("pocketsphinx", "vosk", "sounddevice"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    with pytest.raises(RecognizerError, match=r"pocketsphinx is not installed \(pip install"):
        SphinxEngine(Home())
    model = tmp_path / "vosk"
    (model / "am").mkdir(parents=True)
    (model / "conf").mkdir()
    (model / "am" / "final.mdl").write_bytes(b"")
    with pytest.raises(RecognizerError, match=r"vosk is not installed") as vosk:
        VoskEngine(model)
    with pytest.raises(AudioError, match=r"sounddevice is not installed") as mic:
        list(MicSource(None, max_blocks=10).blocks())
    assert WANTED in str(vosk.value) and WANTED in str(mic.value)
