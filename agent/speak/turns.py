"""Who has the floor: the agent while it speaks (and a moment after, while its voice dies
away in the room), the user for `voice.followup_s` after a question, with no wake phrase.
Shared by the speaker thread (which says when it speaks) and the voice thread (which asks).
Times are time.monotonic() seconds; the clock is given, so this is testable without audio."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

TAIL_S = 0.3  # the agent's voice still in the room after its last sample (and output latency)
KEEP = 8  # spoken stretches remembered, for utterances that started a while ago


class Turns:
    def __init__(self, clock: Callable[[], float] = time.monotonic, tail_s: float = TAIL_S):
        self.clock = clock
        self.tail_s = tail_s
        self._lock = threading.Lock()
        self._since: float | None = None  # speaking now, since then
        self._spoken: deque[tuple[float, float]] = deque(maxlen=KEEP)
        self._answer_until: float | None = None
        self._answer_after_s: float | None = None  # open once the current speech ends

    def started(self) -> None:
        with self._lock:
            self._since = self.clock()

    def ended(self, at: float | None = None) -> None:
        """The agent stopped speaking (at `at`, where the output could tell; else now)."""
        with self._lock:
            now = self.clock() if at is None else min(at, self.clock())
            if self._since is not None:
                self._spoken.append((self._since, now))
            self._since = None
            if self._answer_after_s is not None:
                self._answer_until = now + self.tail_s + self._answer_after_s
                self._answer_after_s = None

    def speaking(self) -> bool:
        with self._lock:
            return self._since is not None

    def overlapped(self, start: float, end: float) -> bool:
        """Whether an utterance heard from `start` to `end` met the agent's own voice."""
        with self._lock:
            if self._since is not None and self._since <= end:
                return True
            return any(s <= end and start <= e + self.tail_s for s, e in self._spoken)

    def expect_answer(self, followup_s: float, *, after_speech: bool) -> None:
        """A question was asked: the next utterance that starts within `followup_s` (counted
        from the end of the question's speech where it is spoken) needs no wake phrase."""
        with self._lock:
            if after_speech:
                self._answer_after_s = followup_s
                self._answer_until = None
            else:
                self._answer_until = self.clock() + followup_s

    def take_answer(self, start: float) -> bool:
        """Whether an utterance that started at `start` answers the open question (once)."""
        with self._lock:
            until = self._answer_until
            if until is None or start > until:
                return False
            self._answer_until = None
            return True

    def close(self) -> None:
        """No answer is awaited any more (the question was answered some other way)."""
        with self._lock:
            self._answer_until = None
            self._answer_after_s = None
