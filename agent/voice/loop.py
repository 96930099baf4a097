"""The voice loop: audio blocks -> end of speech -> streaming recognition -> commands.

In wake mode a command counts when it follows the wake phrase, in the same breath ("hey
computer turn on the light") or within `follow_s` after it; in always mode every utterance
counts. Pure apart from the recogniser it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from agent.understand.normalize import normalize
from agent.voice.sphinx import Recognition
from agent.voice.vad import Segmenter, SpeechAudio, SpeechStarted


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
            yield Heard(result.text, start, event.at_s, ms)


def commands(
    heard_: Iterable[Heard],
    *,
    wake: str | None,
    mode: str = "wake",
    follow_s: float = 8.0,
    pushed: Callable[[], bool] | None = None,
) -> Iterator[Heard]:
    """`pushed` says whether push-to-talk was pressed since the last utterance: then the
    next utterance is a command, wake phrase or not."""
    phrase = normalize(wake) if wake else ""
    awaiting_until: float | None = None
    for h in heard_:
        text = normalize(h.text)
        woke = bool(phrase) and (text == phrase or text.startswith(phrase + " "))
        rest = text[len(phrase) :].strip() if woke else text
        pushed_now = pushed is not None and pushed()
        if pushed_now or mode == "always" or not phrase:
            if rest:
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
