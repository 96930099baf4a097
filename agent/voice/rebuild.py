"""One worker thread that rebuilds something for the newest input asked of it: a home's
speech grammar, which takes a while. The latest request wins: a build finished for an older
request than the newest is dropped, never installed over a newer one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
In = TypeVar("In")
Out = TypeVar("Out")


class LatestWins(Generic[In, Out]):
    """`want(x)` asks for `build(x)`; the worker installs it with `install` unless a newer
    `want` came while it was built (then it builds that one instead)."""

    def __init__(
        self, build: Callable[[In], Out], install: Callable[[Out], None], name: str = "rebuild"
    ) -> None:
        self._build = build
        self._install = install
        self._name = name
        self._cond = threading.Condition()
        self._wanted: tuple[int, In] | None = None
        self._asked = 0  # requests so far; a build is current while this has not moved on
        self._thread: threading.Thread | None = None

    def want(self, item: In) -> None:
        with self._cond:
            self._asked += 1
            self._wanted = (self._asked, item)
            self._cond.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._wanted is None:
                    self._cond.wait()
                asked, item = self._wanted
                self._wanted = None
            try:
                made = self._build(item)
            except Exception:  # keep what is installed rather than stop
                log.exception("%s failed; keeping the last one", self._name)
                continue
            with self._cond:
                if asked != self._asked:
                    continue  # a newer request came meanwhile: this build is stale
                self._install(made)
