"""What a speech recogniser hands on: the words it heard, each with a confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.errors import AgentError

# the microphone and the recognisers with libraries of their own are an extra of the package
SPEECH_EXTRA = "pip install 'voice-agent[speech]'; install.sh and scripts/bootstrap.sh do"


class RecognizerError(AgentError):
    pass


class UnknownWakeWord(RecognizerError):
    """The wake phrase has words the recogniser's dictionary lacks."""


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


def phrase_words(text: str, phrase: str, *, loose: bool = False, near: bool = False) -> int:
    """How many of `text`'s first words are the wake phrase (0: it does not start with it).
    `loose` (where a classifier, not these words, decides the wake): a phrase misheard in
    its first words ("a computer", "hey compute her") still ends at its last word, within
    one word of where it should. `near` (words heard as said, a classifier deciding): the
    last word must be heard as itself and each one before it as a word that sounds close
    ("a computer", "here computer" for "hey computer"; not "okay computer"). Pure."""
    words, wanted = text.split(), phrase.split()
    if not wanted:
        return 0
    if words[: len(wanted)] == wanted:
        return len(wanted)
    if loose and wanted[-1] in words[: len(wanted) + 1]:
        return words.index(wanted[-1]) + 1
    lead, last = words[: len(wanted) - 1], words[len(wanted) - 1 : len(wanted)]
    near = near and last == wanted[-1:] and len(lead) == len(wanted) - 1
    if near and all(_sounds_close(h, w) for h, w in zip(lead, wanted, strict=False)):
        return len(wanted)
    return 0


def _sounds_close(heard: str, wanted: str) -> bool:
    """A word a recogniser may hear for `wanted`: one letter ("a" for "hey"), or at most two
    letters' edits from it ("here", "be", "hi"). Pure."""
    return len(heard) == 1 or _edits(heard, wanted) <= 2


def _edits(a: str, b: str) -> int:
    """Levenshtein distance. Pure."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
