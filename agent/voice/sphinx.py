"""Speech recognition with CMU pocketsphinx (its en-US model ships in the PyPI wheel), decoding
against the closed grammar; fully offline."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass

from agent.errors import AgentError
from agent.home.inventory import Home
from agent.voice import grammar

log = logging.getLogger(__name__)
CHUNK = 3200  # bytes fed at a time: 100 ms


class RecognizerError(AgentError):
    pass


@dataclass(frozen=True)
class Recognition:
    text: str  # "" when nothing matched
    score: float  # the decoder's posterior probability, 0..1 where known


def _model_paths() -> tuple[str, str]:
    try:
        from pocketsphinx import get_model_path
    except ImportError:
        raise RecognizerError("pocketsphinx is not installed (pip install pocketsphinx)") from None
    base = os.path.join(get_model_path(), "en-us")
    return os.path.join(base, "en-us"), os.path.join(base, "cmudict-en-us.dict")


def vocabulary(dictionary: str) -> set[str]:
    words = set()
    with open(dictionary, encoding="utf-8") as f:
        for line in f:
            words.add(line.split(" ", 1)[0].split("(", 1)[0])
    return words


class SphinxEngine:
    name = "pocketsphinx"

    def __init__(self, home: Home, *, wake: str | None = None) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise RecognizerError(
                "pocketsphinx is not installed (pip install pocketsphinx)"
            ) from None

        hmm, dictionary = _model_paths()
        self.grammar = grammar.build(home, wake=wake, vocabulary=vocabulary(dictionary))
        if self.grammar.missing:
            log.warning(
                "words not in the recogniser's dictionary, left out of the grammar: %s",
                ", ".join(self.grammar.missing),
            )
        with tempfile.NamedTemporaryFile("w", suffix=".gram", delete=False) as f:
            f.write(self.grammar.jsgf)
            path = f.name
        try:
            # no lattice best-path pass at the end: it is most of the work left after speech
            self.decoder = Decoder(
                hmm=hmm, dict=dictionary, jsgf=path, loglevel="FATAL", bestpath=False
            )
        except Exception as exc:
            raise RecognizerError(f"pocketsphinx could not load the grammar: {exc}") from None
        finally:
            os.unlink(path)

    # Streaming: start at the start of speech, feed while it lasts, finish at its end, so
    # that little decoding is left once the speaker stops.
    def start(self) -> None:
        self.decoder.start_utt()

    def feed(self, audio: bytes) -> None:
        for i in range(0, len(audio), CHUNK):
            self.decoder.process_raw(audio[i : i + CHUNK], False, False)

    def partial(self) -> str:
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def finish(self) -> Recognition:
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return Recognition("", 0.0)
        return Recognition(hyp.hypstr, float(hyp.prob))
