"""Speech recognition with Vosk (Kaldi). The model comes from a path in the config; nothing is
ever downloaded here. A grammar narrows recognition to the home's words; when its answer is
empty or [unk], the audio is recognised again free-form."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from agent.voice.recognition import SPEECH_EXTRA, Recognition, RecognizerError, Word

log = logging.getLogger(__name__)
RATE = 16000
INSTALL_HINT = "voice-agent models download vosk-small-en"
_MISSING = re.compile(r"Ignoring word missing in vocabulary: '(.*)'")


def _words(result: dict[str, object]) -> list[Word]:
    """Vosk's per-word results (SetWords), with its word posteriors as confidences."""
    items = result.get("result")
    if not isinstance(items, list):
        return []
    return [
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w["conf"]))
        for w in items
        if isinstance(w, dict) and w.get("word") != "[unk]"
    ]


@contextlib.contextmanager
def _stderr_lines() -> Iterator[list[str]]:
    """Collect what the native library writes to stderr (its warnings bypass Python)."""
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


class VoskEngine:
    name = "vosk"

    def __init__(self, model_path: str | Path, phrases: list[str] | None = None) -> None:
        path = Path(model_path)
        if not (path / "am" / "final.mdl").is_file() or not (path / "conf").is_dir():
            raise RecognizerError(
                f"no Vosk model at {path} (am/final.mdl and conf/ expected); "
                f"install one with: {INSTALL_HINT}"
            )
        try:
            import vosk
        except ImportError:
            raise RecognizerError(f"vosk is not installed ({SPEECH_EXTRA})") from None
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        try:
            self.model = vosk.Model(str(path))  # a path, never a name: no downloads
        except Exception as exc:
            raise RecognizerError(f"cannot load the Vosk model at {path}: {exc}") from None
        self.grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False) if phrases else None
        self.missing: list[str] = []
        self._recognizer = self._make(self.grammar)
        self._audio: list[bytes] = []
        self._parts: list[dict[str, object]] = []
        self.grammar_text = ""  # what the grammar heard last, before any free-form retry

    def _make(self, grammar: str | None) -> object:
        if grammar is None:
            recognizer = self._vosk.KaldiRecognizer(self.model, RATE)
            recognizer.SetWords(True)
            return recognizer
        with _stderr_lines() as lines:
            recognizer = self._vosk.KaldiRecognizer(self.model, RATE, grammar)
        recognizer.SetWords(True)
        found = [m.group(1) for line in lines if (m := _MISSING.search(line))]
        self.missing = sorted({w for w in found if w != "[unk]"})
        if self.missing:
            log.warning("grammar words the Vosk model does not know: %s", ", ".join(self.missing))
        return recognizer

    def start(self) -> None:
        self._recognizer.Reset()  # type: ignore[attr-defined]
        self._audio, self._parts = [], []

    def feed(self, audio: bytes) -> None:
        self._audio.append(audio)
        if self._recognizer.AcceptWaveform(audio):  # type: ignore[attr-defined]
            self._parts.append(json.loads(self._recognizer.Result()))  # type: ignore[attr-defined]

    def partial(self) -> str:
        return str(json.loads(self._recognizer.PartialResult()).get("partial", ""))  # type: ignore[attr-defined]

    def finish(self) -> Recognition:
        parts = [*self._parts, json.loads(self._recognizer.FinalResult())]  # type: ignore[attr-defined]
        text = " ".join(str(p.get("text", "")) for p in parts if p.get("text")).strip()
        self.grammar_text = text
        if self.grammar is not None and (not text or "[unk]" in text.split()):
            free = self._make(None)
            free.AcceptWaveform(b"".join(self._audio))  # type: ignore[attr-defined]
            parts = [json.loads(free.FinalResult())]  # type: ignore[attr-defined]
            text = str(parts[0].get("text", ""))
        heard = tuple(w for p in parts for w in _words(p))
        return Recognition(text, 1.0 if text else 0.0, heard)

    def recognize(self, audio: bytes) -> Recognition:
        self.start()
        self.feed(audio)
        return self.finish()
