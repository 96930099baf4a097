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


def confidence(words: Sequence[Word], unexplained_s: float = 0.0) -> float:
    """The duration-weighted mean confidence of `words`, with `unexplained_s` of speech the
    words leave out counting as confidence 0; 1.0 when there is nothing to judge."""
    total = sum(max(w.end_s - w.start_s, 0.01) for w in words) + unexplained_s
    if total <= 0:
        return 1.0
    return sum(w.confidence * max(w.end_s - w.start_s, 0.01) for w in words) / total
