"""Speech recognition with CMU pocketsphinx (its en-US model ships in the PyPI wheel), decoding
against the closed grammar; fully offline.

A closed grammar turns any sound into some sentence of the grammar. To tell a command from
other speech, a second decoder runs a free phone loop over the same audio: per word, the
grammar's acoustic score against the phone loop's over the same frames (a likelihood ratio
per frame) says how well the audio fits that word rather than any sounds at all.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Iterable

import numpy as np

from agent.home.inventory import Home
from agent.voice import grammar
from agent.voice.recognition import Recognition, RecognizerError, Word

log = logging.getLogger(__name__)
CHUNK = 3200  # bytes fed at a time: 100 ms
FRAMES_PER_S = 100
# Log-likelihood ratio per frame (in the units pocketsphinx's Python scores come in, x1000)
# that maps to confidence 0; 0 maps to 1. Measured on espeak-ng voices: the wake phrase spoken
# scores -1.8..-3.2, near misses ("hey cupboard") -4..-5.6, chatter forced into the grammar
# -4..-6.3.
FLOOR = -7.0
WARM_S = 2.0  # seconds of quiet noise decoded once at start (see `_warm_up`)
WARM_LEVEL = 160  # its amplitude in 16-bit samples: a quiet room through a USB microphone
# A floor of noise under all audio (amplitude in 16-bit samples, about -58 dBFS): digital
# near-silence (a sound card's dither) between words left the decoders' running mean so far
# from speech that 4 of 18 commands after it were misheard; with it, 0 of 18.
DITHER = 40

Segment = tuple[str, int, int, float]  # word, first frame, last frame, ln(acoustic score)


def _model_paths() -> tuple[str, str, str]:
    try:
        from pocketsphinx import get_model_path
    except ImportError:
        raise RecognizerError("pocketsphinx is not installed (pip install pocketsphinx)") from None
    base = os.path.join(get_model_path(), "en-us")
    return (
        os.path.join(base, "en-us"),
        os.path.join(base, "cmudict-en-us.dict"),
        os.path.join(base, "en-us-phone.lm.bin"),
    )


def _segments(decoder: object) -> list[Segment]:
    out = []
    for s in decoder.seg() or []:  # type: ignore[attr-defined]
        if s.start_frame >= 0 and s.ascore > 0:
            out.append((s.word, s.start_frame, s.end_frame, math.log(s.ascore)))
    return out


def _score_over(segments: Iterable[Segment], first: int, last: int) -> float:
    """The summed acoustic score of `segments` over frames first..last, pro rata."""
    total = 0.0
    for _, start, end, score in segments:
        overlap = min(end, last) - max(start, first) + 1
        if overlap > 0:
            total += score * overlap / (end - start + 1)
    return total


def words(grammar_segments: list[Segment], phone_segments: list[Segment]) -> tuple[Word, ...]:
    """The grammar's words, each with its confidence against the phone loop. Pure."""
    out = []
    for word, start, end, score in grammar_segments:
        if word.startswith(("<", "(", "[")):
            continue  # silence, fillers, null transitions
        frames = end - start + 1
        ratio = (score - _score_over(phone_segments, start, end)) / frames * 1000
        out.append(
            Word(
                word.split("(", 1)[0],
                start / FRAMES_PER_S,
                (end + 1) / FRAMES_PER_S,
                min(max(1.0 - ratio / FLOOR, 0.0), 1.0),
            )
        )
    return tuple(out)


def unexplained(grammar_segments: list[Segment], phone_segments: list[Segment]) -> float:
    """Seconds of speech the grammar calls silence: frames where the phone loop hears phones
    but the grammar sits in a silence. Chatter forced into a short command ("what a lovely
    day it is" as "light on please") leaves most of its speech there. Pure."""
    frames = 0
    for word, start, end, _ in grammar_segments:
        if not word.startswith("<"):
            continue
        for phone, p_start, p_end, _ in phone_segments:
            if phone != "SIL" and not phone.startswith("+"):
                frames += max(0, min(end, p_end) - max(start, p_start) + 1)
    return frames / FRAMES_PER_S


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

        hmm, dictionary, phones = _model_paths()
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
        self._rng = np.random.default_rng(0)
        self.phones = Decoder(
            hmm=hmm, dict=dictionary, allphone=phones, loglevel="FATAL", bestpath=False,
            lw=2.0, beam=1e-20, pbeam=1e-20,
        )  # fmt: skip
        self._warm_up()

    def _warm_up(self) -> None:
        """Both decoders normalise the audio by a running mean (live CMN) that starts from the
        model's defaults and learns from what they decode: the first utterance of a fresh
        engine was misheard about half the time ("hey computer, turn off the desk lamp" as
        "could you turn the telly off in the office please"). A moment of quiet noise first
        sets it as a room would."""
        rng = np.random.default_rng(0)
        quiet = rng.uniform(-WARM_LEVEL, WARM_LEVEL, int(WARM_S * 16000)).astype("<i2")
        self.start()
        self.feed(quiet.tobytes())
        self.decoder.end_utt()
        self.phones.end_utt()

    # Streaming: start at the start of speech, feed while it lasts, finish at its end, so
    # that little decoding is left once the speaker stops.
    def start(self) -> None:
        self.decoder.start_utt()
        self.phones.start_utt()

    def feed(self, audio: bytes) -> None:
        samples = np.frombuffer(audio, dtype="<i2").astype(np.int32)
        samples += self._rng.integers(-DITHER, DITHER + 1, len(samples), dtype=np.int32)
        audio = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
        for i in range(0, len(audio), CHUNK):
            self.decoder.process_raw(audio[i : i + CHUNK], False, False)
            self.phones.process_raw(audio[i : i + CHUNK], False, False)

    def partial(self) -> str:
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def finish(self) -> Recognition:
        self.decoder.end_utt()
        self.phones.end_utt()
        hyp = self.decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return Recognition("", 0.0)
        said, phones = _segments(self.decoder), _segments(self.phones)
        return Recognition(
            hyp.hypstr, float(hyp.prob), words(said, phones), unexplained(said, phones)
        )
