"""Where an MQTT message goes once it arrives: the subscription table (the agent's own topics
apart from the watched, untrusted ones) and the worker thread that runs the slow handlers,
with a bounded backlog. See agent/mqtt.py for the whole adapter."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as paho

from agent.topic_rules import topic_problem

log = logging.getLogger(__name__)

WORK_BACKLOG = 20_000  # messages waiting for the worker before paho's thread waits for it
WORK_BYTES = 32 * 1024 * 1024  # and their payloads' bytes
MAX_WORK_PAYLOAD = 2 * 1024 * 1024  # bigger messages for the worker are dropped (logged once)


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool
    # time.monotonic() when it arrived; or, when it may have waited in a stalled or broken
    # link, when that began: the earliest it can have been sent
    received: float = 0.0


Handler = Callable[[Message], None]


class Subscriptions:
    """Topic -> handler. Own topics (exact or filters) first; watched topics are exact and
    never one of ours, under a reserved filter, or malformed. Not thread-safe by itself."""

    def __init__(self, reserved: Sequence[str] = ()) -> None:
        self.own: dict[str, tuple[Handler, bool]] = {}
        self.watched: dict[str, Handler] = {}
        self.reserved = tuple(reserved)

    def add_own(self, topic: str, handler: Handler, slow: bool) -> None:
        problem = topic_problem(topic, wildcards=True)
        if problem is not None:
            raise ValueError(f"cannot subscribe to {topic!r}: {problem}")
        self.own[topic] = (handler, slow)
        self.watched.pop(topic, None)

    def watch_problem(self, topic: str) -> str | None:
        problem = topic_problem(topic)
        if problem is not None:
            return problem
        for mine in (*self.own, *self.reserved):
            if mine == topic or paho.topic_matches_sub(mine, topic):
                return f"it is one of the agent's own topics ({mine})"
        return None

    def lookup(self, topic: str) -> tuple[Handler, bool] | None:
        """The handler for a message on `topic`, and whether it is slow."""
        found = self.own.get(topic)
        if found is not None:
            return found
        watched = self.watched.get(topic)
        if watched is not None:
            return watched, True
        for mine, entry in self.own.items():
            if ("+" in mine or "#" in mine) and paho.topic_matches_sub(mine, topic):
                return entry
        return None

    def topics(self) -> list[str]:
        return [*self.own, *self.watched]


class Worker:
    """One thread that runs slow handlers in arrival order; `busy_for` tells a watchdog
    whether it is stuck."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Handler, Message] | None] = queue.Queue(WORK_BACKLOG)
        self._busy_since: float | None = None
        self._bytes = 0
        self._room = threading.Condition()
        self._told_big = False
        self._thread = threading.Thread(target=self._run, name="mqtt-work", daemon=True)
        self._thread.start()

    def put(self, handler: Handler, msg: Message) -> None:
        """Queued in order; waits when far behind (back-pressure to the broker), so memory
        stays bounded by WORK_BACKLOG messages and WORK_BYTES."""
        size = len(msg.payload)
        if size > MAX_WORK_PAYLOAD:
            if not self._told_big:
                self._told_big = True
                log.warning(
                    "dropping a %d-byte message on %r (and others over %d bytes)",
                    size,
                    msg.topic[:200],
                    MAX_WORK_PAYLOAD,
                )
            return
        with self._room:
            self._room.wait_for(lambda: self._bytes + size <= WORK_BYTES, timeout=30)
            self._bytes += size
        self._queue.put((handler, msg))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            handler, msg = item
            with self._room:
                self._bytes -= len(msg.payload)
                self._room.notify_all()
            self._busy_since = time.monotonic()
            try:
                handler(msg)
            except Exception:  # a task boundary: one bad message never stops the worker
                log.exception("handling a message on %r failed", msg.topic[:200])
            finally:
                self._busy_since = None

    def settle(self, timeout: float) -> None:
        """Wait (at most `timeout`) until everything handed in so far is handled."""
        deadline = time.monotonic() + timeout
        while (self._queue.qsize() or self._busy_since is not None) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.002)

    def busy_for(self) -> float:
        since = self._busy_since
        return 0.0 if since is None else time.monotonic() - since

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
