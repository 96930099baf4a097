"""What a speech recogniser hands on: the words it heard, each with a confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.errors import AgentError


class RecognizerError(AgentError):
    pass


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float  # 0..1: how well the audio fits this word rather than any other sounds


@dataclass(frozen=True)
class Recognition:
    text: str  # "" when nothing matched
    score: float  # the decoder's overall score, 0..1 where known
    words: tuple[Word, ...] = ()  # empty when the engine gives no word timings
    unexplained_s: float = 0.0  # speech the decoder matched to silence, where it can tell
    # the words are heard free-form, not forced into a grammar or the home's language model:
    # they are taken as said (the wake phrase must be heard as itself, not nearly)
    verbatim: bool = False


def confidence(words: Sequence[Word], unexplained_s: float = 0.0) -> float:
    """The duration-weighted mean confidence of `words`, with `unexplained_s` of speech the
    words leave out counting as confidence 0; 1.0 when there is nothing to judge."""
    total = sum(max(w.end_s - w.start_s, 0.01) for w in words) + unexplained_s
    if total <= 0:
        return 1.0
    return sum(w.confidence * max(w.end_s - w.start_s, 0.01) for w in words) / total


def phrase_words(text: str, phrase: str, *, loose: bool = False) -> int:
    """How many of `text`'s first words are the wake phrase (0: it does not start with it).
    `loose` (where a classifier, not these words, decides the wake): a phrase misheard in
    its first words ("a computer", "hey compute her") still ends at its last word, within
    one word of where it should. Pure."""
    words, wanted = text.split(), phrase.split()
    if not wanted:
        return 0
    if words[: len(wanted)] == wanted:
        return len(wanted)
    if loose and wanted[-1] in words[: len(wanted) + 1]:
        return words.index(wanted[-1]) + 1
    return 0
