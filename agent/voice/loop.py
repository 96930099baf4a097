"""The voice loop: audio blocks -> end of speech -> streaming recognition -> commands.

In wake mode a command counts when it follows the wake phrase, in the same breath ("hey
computer turn on the light") or within `follow_s` after it; in always mode every utterance
counts. `sensitivity` (0..1) says how readily: the wake classifier's score (agent/voice/wake;
where it has no model for the phrase, the wake phrase's words' confidence) and the command's
words' confidence (speech matched to silence counting as 0) must be at least 1 - sensitivity.
Pure apart from the recogniser and classifier it is given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from agent.config import VoiceConfig
from agent.language.normalize import normalize
from agent.voice.recognition import Recognition, Word, confidence, phrase_words
from agent.voice.vad import Segmenter, SpeechAudio, SpeechStarted, VadSettings
from agent.voice.wake import SPAN_S, WakeModel, for_phrase

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
    wake: float | None = None  # the wake classifier's score of its start, where there is one
    unexplained_s: float = 0.0  # speech the recogniser matched to silence
    verbatim: bool = False  # free-form words, taken as said (Recognition.verbatim)


PARTIAL_EVERY = 10  # blocks (300 ms) between partial transcripts
# After the wake phrase, this much speech the grammar could only match to silence means the
# rest was no command ("hey computer, what a lovely day" heard as "light on please").
UNEXPLAINED_MAX_S = 1.2
# A wake phrase heard nearly ("a computer") by a recogniser that hears words as said wakes
# only where the classifier's doubt is this share of what the sensitivity allows (0.95 at
# the default sensitivity 0.5)
NEAR_SHARE = 0.1
PREROLL_MS = 300  # audio kept from before speech starts, unless the recogniser wants more
# Where the classifier's doubt is at most this share of what the sensitivity allows (at least
# 0.99 at the default 0.5) and a recogniser that hears words as said heard the phrase as
# other words ("Play computer", "A hay computer" in babble), it hears the utterance again
# made to start with the phrase; its words count where the model finds the phrase's own
# tokens there this likely (the geometric mean of their probabilities; hibari-tts and
# espeak-ng at 10 dB, commands and near misses kept apart from the benchmark's: the phrase
# said 0.02-0.9, heard as other words 0-0.41, no near miss with the classifier this sure)
REHEAR_SHARE = 0.02
REHEAR_LEAST = 0.05


@runtime_checkable
class Rehearing(Protocol):
    def heard_after(self, phrase: str) -> tuple[Recognition, float]: ...


def heard(
    blocks: Iterable[bytes],
    segmenter: Segmenter,
    engine: Recognizer,
    *,
    on_speech: Callable[[bool], None] | None = None,
    on_partial: Callable[[str], None] | None = None,
    wake: WakeModel | None = None,
    phrase: str = "",
    sure_wake: float = 1.0,
) -> Iterator[Heard]:
    """`phrase`, `sure_wake`: a recogniser that can hear an utterance again as starting
    with the wake phrase does so where it heard other words and the classifier's score is
    at least `sure_wake` (REHEAR_SHARE)."""
    phrase = normalize(phrase)
    start = 0.0
    fed = 0
    head = bytearray()  # the utterance's first SPAN_S, for the wake classifier
    span = int(SPAN_S * 16000) * 2
    score: float | None = None  # scored as soon as the head is whole, while speech goes on
    for event in segmenter.events(blocks):
        if isinstance(event, SpeechStarted):
            start, fed, score = event.at_s, 0, None
            head = bytearray(event.audio[:span])
            engine.start()
            engine.feed(event.audio)
            if on_speech:
                on_speech(True)
        elif isinstance(event, SpeechAudio):
            if len(head) < span:
                head += event.audio[: span - len(head)]
                if len(head) == span and wake is not None:
                    score = wake.score(bytes(head))
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
            if score is None and wake is not None and result.text:
                score = wake.score(bytes(head))
            if score is not None and score >= sure_wake:
                result = _reheard(engine, result, phrase)
            ms = (time.perf_counter() - begun) * 1000
            yield Heard(
                result.text, start, event.at_s, ms, result.words, score, result.unexplained_s,
                result.verbatim,
            )  # fmt: skip


def _reheard(engine: object, result: Recognition, phrase: str) -> Recognition:
    """`result`, or the utterance heard again as starting with `phrase` where the recogniser
    can and heard other words first (REHEAR_LEAST)."""
    if not phrase or not isinstance(engine, Rehearing) or not result.verbatim:
        return result
    if phrase_words(normalize(result.text), phrase, near=True):
        return result
    again, sure = engine.heard_after(phrase)
    if sure < REHEAR_LEAST:
        return result
    log.info("heard %r again as %r (the wake phrase's words %.2f)", result.text, again.text, sure)
    return again


def _wake_phrase(h: Heard, phrase: str, least: float) -> tuple[bool, bool, int, str]:
    """Whether the utterance starts with the wake phrase's words (said), whether that wakes
    the agent (woke), how many words the phrase took (lead), and the rest of the words."""
    text = normalize(h.text)
    # a recogniser forced into the home's sentences mishears the phrase ("a computer"), and
    # the classifier decides; one that hears words as said hears it nearly in some accents
    # ("here computer"), where the classifier must be all but sure ("a computer" itself, a
    # near miss, scored up to 0.87; the accents 0.99)
    classified = h.wake is not None
    near_sure = h.wake is not None and h.wake >= 1.0 - (1.0 - least) * NEAR_SHARE
    lead = phrase_words(
        text, phrase, loose=classified and not h.verbatim, near=near_sure and h.verbatim
    )
    said = lead > 0
    woke = said
    if phrase and h.wake is not None:
        # the classifier decides, and the recogniser must have heard the phrase's words
        # where they belong: with open recognition, "he left his computer at the office"
        # (wake score 0.94) came out as a command otherwise
        woke = said and h.wake >= least
        if said and not woke:
            log.info("not the wake phrase: %r (wake score %.2f < %.2f)", h.text, h.wake, least)
            text = ""
        elif h.wake >= least and not said:
            log.info("not the wake phrase: %r (its words not heard first)", h.text)
    elif said and (sure := confidence(h.words[: len(phrase.split())])) < least:
        log.info("not the wake phrase: %r (confidence %.2f < %.2f)", h.text, sure, least)
        woke = False
        text = ""
    rest = " ".join(text.split()[lead:]) if said and woke else text
    return said, woke, lead, rest


def commands(
    heard_: Iterable[Heard],
    *,
    wake: str | None,
    mode: str = "wake",
    follow_s: float = 8.0,
    sensitivity: float = 0.5,
    pushed: Callable[[], bool] | None = None,
    on_wake: Callable[[bool], None] | None = None,
) -> Iterator[Heard]:
    """`pushed` says whether push-to-talk was pressed since the last utterance (or the
    utterance answers the agent's question): then it is a command, wake phrase or not.
    `on_wake` hears of each wake phrase that woke the agent, and whether words followed."""
    phrase = normalize(wake) if wake else ""
    least = 1.0 - sensitivity
    awaiting_until: float | None = None
    for h in heard_:
        said, woke, lead, rest = _wake_phrase(h, phrase, least)
        if said and woke and on_wake is not None:
            on_wake(bool(rest))
        pushed_now = pushed is not None and pushed()
        if pushed_now:
            if rest:
                yield replace(h, text=rest)
            continue
        if mode == "always" or not phrase:
            if rest and (sure := confidence(h.words, h.unexplained_s)) < least:
                log.info("not a command: %r (confidence %.2f < %.2f)", h.text, sure, least)
            elif rest:
                yield replace(h, text=rest)
            continue
        if rest and (woke or awaiting_until is not None):
            command = h.words[lead:] if said else h.words
            sure = confidence(command, h.unexplained_s)
            if h.unexplained_s >= UNEXPLAINED_MAX_S or sure < least:
                log.info(
                    "not a command: %r (confidence %.2f < %.2f, %.1f s of speech unexplained)",
                    h.text, sure, least, h.unexplained_s,
                )  # fmt: skip
                awaiting_until = None
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


def sure_wake(sensitivity: float) -> float:
    """The classifier's score from which a misheard wake phrase is heard again. Pure."""
    return 1.0 - sensitivity * REHEAR_SHARE


def own_lead_ms(engine: object) -> int:
    """The audio a recogniser wants from before speech starts: its `preroll_ms`, or
    PREROLL_MS."""
    return int(getattr(engine, "preroll_ms", PREROLL_MS))


def lead_ms(voice: VoiceConfig, engine: object) -> int:
    """The audio kept from before speech starts: voice.preroll_ms, or the recogniser's own."""
    return voice.preroll_ms if voice.preroll_ms is not None else own_lead_ms(engine)


def vad_settings(voice: VoiceConfig, engine: object) -> VadSettings:
    """The end-of-speech settings the config and the recogniser ask for."""
    return VadSettings(
        silence_ms=voice.silence_ms,
        max_utterance_s=voice.max_utterance_s,
        preroll_ms=lead_ms(voice, engine),
    )


def hear(
    blocks: Iterable[bytes],
    voice: VoiceConfig,
    engine: Recognizer,
    wake: WakeModel | None,
    *,
    on_speech: Callable[[bool], None] | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> Iterator[Heard]:
    """The loop's first stage (`heard`) as the config sets it up."""
    return heard(
        blocks, Segmenter(vad_settings(voice, engine)), engine,
        on_speech=on_speech, on_partial=on_partial, wake=wake,
        phrase=voice.wake_word if voice.mode == "wake" else "",
        sure_wake=sure_wake(voice.sensitivity),
    )  # fmt: skip


def voice_commands(
    blocks: Iterable[bytes],
    voice: VoiceConfig,
    engine: Recognizer,
    *,
    on_speech: Callable[[bool], None] | None = None,
    on_partial: Callable[[str], None] | None = None,
    pushed: Callable[[], bool] | None = None,
    wake: WakeModel | str | None = "auto",
    on_wake: Callable[[bool], None] | None = None,
) -> Iterator[Heard]:
    """The whole loop as the config sets it: audio blocks in, commands out. `wake`: the wake
    classifier ("auto": the shipped one, where it knows the configured phrase)."""
    if wake == "auto":
        wake = for_phrase(voice.wake_word, voice.wake_model) if voice.mode == "wake" else None
    return commands(
        hear(
            blocks,
            voice,
            engine,
            wake if isinstance(wake, WakeModel) else None,
            on_speech=on_speech,
            on_partial=on_partial,
        ),
        wake=voice.wake_word,
        mode=voice.mode,
        sensitivity=voice.sensitivity,
        pushed=pushed,
        on_wake=on_wake,
    )
