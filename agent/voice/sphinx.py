"""Speech recognition with CMU pocketsphinx (its en-US model ships in the PyPI wheel); fully
offline. It decodes with a statistical model of what people say to this home (agent/voice/lm,
`voice.recognition: open`) or against the closed grammar (agent/voice/grammar, `closed`).

Either turns any sound into some words it knows. To tell a command from other speech, a
second decoder runs a free phone loop over the same audio: per word, the decoder's acoustic
score against the phone loop's over the same frames (a likelihood ratio per frame) says how
well the audio fits that word rather than any sounds at all.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from agent.home.inventory import Home
from agent.language.normalize import normalize
from agent.voice import grammar, lm
from agent.voice.recognition import (
    SPEECH_EXTRA,
    Recognition,
    RecognizerError,
    UnknownWakeWord,
    Word,
    confidence,
    phrase_words,
)

log = logging.getLogger(__name__)
CHUNK = 3200  # bytes fed at a time: 100 ms
FRAMES_PER_S = 100
# Log-likelihood ratio per frame (in the units pocketsphinx's Python scores come in, x1000)
# that maps to confidence 0; 0 maps to 1. Measured on espeak-ng voices: the wake phrase spoken
# scores -1.8..-3.2, near misses ("hey cupboard") -4..-5.6, chatter forced into the grammar
# -4..-6.3.
FLOOR = -7.0
# With `recognition: open`, the closed grammar's sentence stands where its command's words'
# confidence is at least SURE, or MARGIN above the statistical model's; else the model's words
# are taken. On 100 of the second author's commands per voice family (clean, 150 entities):
# right 38 espeak / 70 hibari (the model alone 38 / 70, the grammar alone 17 / 36); with a
# bare threshold below 0.5 the grammar forced free phrasings into wrong commands (wrong acts
# 13 -> 31 of 100). Short commands the grammar knows keep its sentence and confidences.
SURE = 0.7
MARGIN = 0.1
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
        raise RecognizerError(f"pocketsphinx is not installed ({SPEECH_EXTRA})") from None
    base = os.path.join(get_model_path(), "en-us")
    return (
        os.path.join(base, "en-us"),
        os.path.join(base, "cmudict-en-us.dict"),
        os.path.join(base, "en-us-phone.lm.bin"),
    )


def _segments(decoder: Any) -> list[Segment]:
    out = []
    for s in decoder.seg() or []:
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


def _entries(dictionary: str, words: set[str]) -> Iterator[str]:
    """The dictionary's lines for `words` (all pronunciations): each decoder holds only
    these, not all 134,000 words (about 25 MB a decoder)."""
    with open(dictionary, encoding="utf-8") as f:
        for line in f:
            if line.split(" ", 1)[0].split("(", 1)[0] in words:
                yield line


def _decoder(decoder_class: Any, hmm: str, dictionary: str, key: str, text: str) -> Any:
    """A decoder of `text`: a JSGF grammar (key "jsgf") or an ARPA model ("lm")."""
    suffix = ".gram" if key == "jsgf" else ".arpa"
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
        f.write(text)
        path = f.name
    try:
        # no lattice best-path pass at the end: it is most of the work left after speech
        return decoder_class(
            hmm=hmm, dict=dictionary, loglevel="FATAL", bestpath=False, **{key: path}
        )
    except Exception as exc:
        raise RecognizerError(f"pocketsphinx could not load the {key} model: {exc}") from None
    finally:
        os.unlink(path)


def sure(recognition: Recognition, wake: str | None) -> float:
    """How sure the closed grammar is of its command: its words' confidence after the wake
    phrase, speech it matched to silence counting as 0 (0.0 when it heard nothing). Pure."""
    if not recognition.text:
        return 0.0
    spoken = " ".join(normalize(w.text) for w in recognition.words)
    lead = phrase_words(spoken, normalize(wake)) if wake else 0
    return confidence(recognition.words[lead:], recognition.unexplained_s)


def choose(closed: Recognition, open_: Recognition, wake: str | None) -> Recognition:
    """The closed grammar's sentence where it is sure of it (SURE), hears the same words as
    the statistical model, or fits the audio clearly better (MARGIN); else the model's. Pure."""
    if not closed.text:
        return open_
    closed_sure = sure(closed, wake)
    if (
        closed_sure >= SURE
        or normalize(closed.text) == normalize(open_.text)
        or closed_sure >= sure(open_, wake) + MARGIN
    ):
        return closed
    return open_


class SphinxEngine:
    """`recognition` "closed": the closed grammar alone. "open": the closed grammar and the
    home's statistical model decode side by side, and `choose` takes one."""

    name = "pocketsphinx"

    def __init__(self, home: Home, *, wake: str | None = None, recognition: str = "open") -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise RecognizerError(f"pocketsphinx is not installed ({SPEECH_EXTRA})") from None

        hmm, dictionary, phones = _model_paths()
        self.wake = wake
        known = vocabulary(dictionary)
        if wake and (unknown := [w for w in normalize(wake).split() if w not in known]):
            raise UnknownWakeWord(
                f"the wake word {wake!r} has words the recogniser does not know: "
                f"{', '.join(unknown)} (choose voice.wake_word from dictionary words)"
            )
        spoken = grammar.build(home, wake=wake, vocabulary=known)
        missing, used = set(spoken.missing), set(spoken.words)
        model = None
        if recognition == "open":
            model = lm.build(home, wake=wake, vocabulary=known)
            missing |= set(model.missing)
            used |= model.words
        del known
        if missing:
            log.warning(
                "words not in the recogniser's dictionary, never heard: %s",
                ", ".join(sorted(missing)),
            )
        with tempfile.NamedTemporaryFile("w", suffix=".dict", delete=False) as f:
            f.writelines(_entries(dictionary, used))
            small = f.name
        try:
            self.decoder = _decoder(Decoder, hmm, small, "jsgf", spoken.jsgf)
            self.open: Any = None
            if model is not None:
                self.open = _decoder(Decoder, hmm, small, "lm", model.arpa)
            self.phones = Decoder(
                hmm=hmm, dict=small, allphone=phones, loglevel="FATAL", bestpath=False,
                lw=2.0, beam=1e-20, pbeam=1e-20,
            )  # fmt: skip
        finally:
            os.unlink(small)
        self._rng = np.random.default_rng(0)
        self.decoders: list[Any] = [
            d for d in (self.decoder, self.open, self.phones) if d is not None
        ]
        self._warm_up()

    def _warm_up(self) -> None:
        """The decoders normalise the audio by a running mean (live CMN) that starts from the
        model's defaults and learns from what they decode: the first utterance of a fresh
        engine was misheard about half the time ("hey computer, turn off the desk lamp" as
        "could you turn the telly off in the office please"). A moment of quiet noise first
        sets it as a room would."""
        rng = np.random.default_rng(0)
        quiet = rng.uniform(-WARM_LEVEL, WARM_LEVEL, int(WARM_S * 16000)).astype("<i2")
        self.start()
        self.feed(quiet.tobytes())
        for d in self.decoders:
            d.end_utt()

    # Streaming: start at the start of speech, feed while it lasts, finish at its end, so
    # that little decoding is left once the speaker stops.
    def start(self) -> None:
        for d in self.decoders:
            d.start_utt()

    def feed(self, audio: bytes) -> None:
        samples = np.frombuffer(audio, dtype="<i2").astype(np.int32)
        samples += self._rng.integers(-DITHER, DITHER + 1, len(samples), dtype=np.int32)
        audio = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
        for i in range(0, len(audio), CHUNK):
            for d in self.decoders:
                d.process_raw(audio[i : i + CHUNK], False, False)

    def partial(self) -> str:
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def finish(self) -> Recognition:
        for d in self.decoders:
            d.end_utt()
        phones = _segments(self.phones)
        closed = _recognition(self.decoder, phones)
        if self.open is None:
            return closed
        return choose(closed, _recognition(self.open, phones), self.wake)


def _recognition(decoder: Any, phones: list[Segment]) -> Recognition:
    hyp = decoder.hyp()
    if hyp is None or not hyp.hypstr:
        return Recognition("", 0.0)
    said = _segments(decoder)
    return Recognition(hyp.hypstr, float(hyp.prob), words(said, phones), unexplained(said, phones))
