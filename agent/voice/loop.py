"""The voice loop: audio blocks -> end of speech -> streaming recognition -> commands.

In wake mode a command counts when it follows the wake phrase, in the same breath ("hey
computer turn on the light") or within `follow_s` after it; in always mode every utterance
counts. `sensitivity` (0..1) says how readily: the wake phrase's words (in always mode, the
whole utterance) must have a confidence of at least 1 - sensitivity. Pure apart from the
recogniser it is given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from agent.config import VoiceConfig
from agent.understand.normalize import normalize
from agent.voice.recognition import Recognition, Word, confidence
from agent.voice.vad import Segmenter, SpeechAudio, SpeechStarted, VadSettings

log = logging.getLogger(__name__)


class Recognizer(Protocol):
    def start(self) -> None: ...
    def feed(self, audio: bytes) -> None: ...
    def partial(self) -> str: ...
    def finish(self) -> Recognition: ...


@dataclass(frozen=True)
class Heard:
    text: str
    start_s: float  # where speech started in the stream
    end_s: float  # where end of speech was decided
    decode_ms: float  # recognition work left after the end of speech
    words: tuple[Word, ...] = ()  # with confidences, where the engine gives them


PARTIAL_EVERY = 10  # blocks (300 ms) between partial transcripts


def heard(
    blocks: Iterable[bytes],
    segmenter: Segmenter,
    engine: Recognizer,
    *,
    on_speech: Callable[[bool], None] | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> Iterator[Heard]:
    start = 0.0
    fed = 0
    for event in segmenter.events(blocks):
        if isinstance(event, SpeechStarted):
            start, fed = event.at_s, 0
            engine.start()
            engine.feed(event.audio)
            if on_speech:
                on_speech(True)
        elif isinstance(event, SpeechAudio):
            engine.feed(event.audio)
            fed += 1
            if on_partial and fed % PARTIAL_EVERY == 0:
                partial = engine.partial()
                if partial:
                    on_partial(partial)
        else:
            if on_speech:
                on_speech(False)
            begun = time.perf_counter()
            result = engine.finish()
            ms = (time.perf_counter() - begun) * 1000
            yield Heard(result.text, start, event.at_s, ms, result.words)


def commands(
    heard_: Iterable[Heard],
    *,
    wake: str | None,
    mode: str = "wake",
    follow_s: float = 8.0,
    sensitivity: float = 0.5,
    pushed: Callable[[], bool] | None = None,
) -> Iterator[Heard]:
    """`pushed` says whether push-to-talk was pressed since the last utterance: then the
    next utterance is a command, wake phrase or not."""
    phrase = normalize(wake) if wake else ""
    least = 1.0 - sensitivity
    awaiting_until: float | None = None
    for h in heard_:
        text = normalize(h.text)
        woke = bool(phrase) and (text == phrase or text.startswith(phrase + " "))
        if woke and (sure := confidence(h.words[: len(phrase.split())])) < least:
            log.info("not the wake phrase: %r (confidence %.2f < %.2f)", h.text, sure, least)
            woke = False
            text = ""
        rest = text[len(phrase) :].strip() if woke else text
        pushed_now = pushed is not None and pushed()
        if pushed_now:
            if rest:
                yield replace(h, text=rest)
            continue
        if mode == "always" or not phrase:
            if rest and (sure := confidence(h.words)) < least:
                log.info("not a command: %r (confidence %.2f < %.2f)", h.text, sure, least)
            elif rest:
                yield replace(h, text=rest)
            continue
        if woke:
            if rest:
                yield replace(h, text=rest)
                awaiting_until = None
            else:
                awaiting_until = h.end_s + follow_s
            continue
        if awaiting_until is not None and h.start_s <= awaiting_until and rest:
            awaiting_until = None
            yield replace(h, text=rest)


def voice_commands(
    blocks: Iterable[bytes],
    voice: VoiceConfig,
    engine: Recognizer,
    *,
    on_speech: Callable[[bool], None] | None = None,
    on_partial: Callable[[str], None] | None = None,
    pushed: Callable[[], bool] | None = None,
) -> Iterator[Heard]:
    """The whole loop as the config sets it: audio blocks in, commands out."""
    segmenter = Segmenter(
        VadSettings(
            silence_ms=voice.silence_ms,
            max_utterance_s=voice.max_utterance_s,
            preroll_ms=voice.preroll_ms,
        )
    )
    return commands(
        heard(blocks, segmenter, engine, on_speech=on_speech, on_partial=on_partial),
        wake=voice.wake_word,
        mode=voice.mode,
        sensitivity=voice.sensitivity,
        pushed=pushed,
    )
