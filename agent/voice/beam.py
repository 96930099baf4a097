"""The pieces of Moonshine's beam search (agent/voice/moonshine.py): hypotheses and what
each token adds to the words, the home's words favoured (agent/voice/bias.py); a hypothesis
that would only say again what it said; tokens forced on the decoder. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.voice.bias import Bias, letters

START, END = 1, 2  # the decoder's start and end tokens
SPACE = "\u2581"
REPEAT = 4  # a hypothesis never says the same this many tokens twice


@dataclass(frozen=True)
class Piece:
    """What a token adds to the text: a new word or more of the last one, in letters."""

    starts_word: bool
    letters: str
    special: bool


@dataclass(frozen=True)
class Hyp:
    """A hypothesis of the beam: its tokens, their probabilities, its log probability, the
    bonus its finished words kept and the word it is spelling."""

    ids: tuple[int, ...] = (START,)
    probs: tuple[float, ...] = ()
    logp: float = 0.0
    kept: float = 0.0
    word: str = ""
    partial: float = 0.0
    words: int = 0  # words begun

    @property
    def score(self) -> float:
        return self.logp + self.kept + self.partial

    def grown(self, token: int, logp: float, pieces: list[Piece], bias: Bias) -> Hyp:
        piece = pieces[token] if token < len(pieces) else Piece(False, "", True)
        kept, word, words = self.kept, self.word, self.words
        if token == END or piece.starts_word:
            kept, word = kept + bias.final(word), ""
            words += piece.starts_word
        if not piece.special:
            word += piece.letters
        partial = bias.partial(word) if token != END else 0.0
        return Hyp(
            (*self.ids, token), (*self.probs, float(np.exp(logp))), self.logp + logp,
            kept, word, partial, words,
        )  # fmt: skip


Scored = tuple[float, int, Hyp]  # a hypothesis's score, its parent's index, itself


def repeats(ids: tuple[int, ...], token: int) -> bool:
    """Whether `token` after `ids` says a run of REPEAT tokens again ("switch off the dining
    room fan switch off the dining ...") or is the same token a third time in a row ("light
    light light"): the model, unsure where speech ends in noise, says it again. Pure."""
    if ids[-2:] == (token, token):
        return True
    if len(ids) < REPEAT or token not in ids:  # mostly: a new word
        return False
    lead = ids[-(REPEAT - 1) :]
    return any(
        ids[i] == token and ids[i - REPEAT + 1 : i] == lead for i in range(REPEAT - 1, len(ids) - 1)
    )


def forced(logits: np.ndarray, prefix: tuple[int, ...]) -> tuple[float, ...]:
    """Each of `prefix`'s tokens' probability from the decoder's logits over START and the
    prefix (one row per position). Pure."""
    rows = log_softmax(logits[: len(prefix)])
    return tuple(float(np.exp(rows[i, t])) for i, t in enumerate(prefix))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Each row's log probabilities. Pure."""
    rows = logits.astype(np.float64)
    rows -= rows.max(axis=1, keepdims=True)
    rows -= np.log(np.exp(rows).sum(axis=1, keepdims=True))
    return rows


def piece(token: bytes) -> Piece:
    text = token.decode("utf-8", "replace")
    special = text.startswith("<") and text.endswith(">")
    return Piece(text.startswith(SPACE), "" if special else letters(text), special)
