"""The grammar worker: the newest home asked for wins, whatever order builds finish in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from agent.voice.rebuild import LatestWins


def _until(check: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_an_older_build_finishing_late_never_replaces_a_newer_one() -> None:
    release_old = threading.Event()
    started: list[str] = []
    installed: list[str] = []

    def build(home: str) -> str:
        started.append(home)
        if home == "old":
            release_old.wait(5)  # the old home's grammar takes longer
        return f"grammar for {home}"

    worker: LatestWins[str, str] = LatestWins(build, installed.append)
    worker.want("old")
    _until(lambda: started == ["old"])
    worker.want("middle")
    worker.want("new")  # "middle" is never built: "new" replaced it before the worker was free
    release_old.set()
    _until(lambda: installed)
    time.sleep(0.1)
    assert installed == ["grammar for new"]
    assert started == ["old", "new"]


def test_a_build_that_fails_keeps_the_installed_one() -> None:
    installed: list[str] = []

    def build(home: str) -> str:
        if home == "broken":
            raise ValueError("no grammar")
        return home

    worker: LatestWins[str, str] = LatestWins(build, installed.append)
    worker.want("first")
    _until(lambda: installed == ["first"])
    worker.want("broken")
    worker.want("second")
    _until(lambda: installed[-1] == "second")
    assert installed == ["first", "second"]  # the broken one never replaced "first"
