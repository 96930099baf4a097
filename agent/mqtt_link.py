"""Whether a command arriving now may have waited somewhere on the way, and since when.

A command's age is counted from when it reached us, unless it may have waited in the link:
after a reconnect that resumed our session (the broker kept commands for us), or after the
link stalled without breaking (a packet ends a silence longer than a ping allows). Then it
may have been sent any time since the link was last heard from, and `since` says that time:
the service skips the command once it is longer ago than `mqtt.command_max_age_s`. To learn
that nothing older waits any more, we send ourselves a probe: the broker delivers to us in
order, so when it comes back every older message has arrived.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from agent.config import MqttConfig

log = logging.getLogger("agent.mqtt")


class Link:
    def __init__(self, topic: str, publish: Callable[[str, str], None], *, keepalive: int) -> None:
        """`publish(topic, payload)`: QoS 1, to the broker."""
        self.topic = topic
        self._publish = publish
        self._give_up_s = max(5.0, 2.0 * keepalive)
        # what a resumed session holds may be from before we started
        self._behind: float | None = time.monotonic()
        self._nonce = ""
        self._sent_at = 0.0

    def since(self, now: float) -> float:
        """The earliest a message arriving `now` can have been sent."""
        if self._behind is None:
            return now
        if self._nonce and now - self._sent_at > self._give_up_s:
            log.warning(
                "our probe on %s did not come back in %.0f s (may the agent read and write it?"
                " see the broker's ACL); taking commands as sent when they arrive",
                self.topic,
                now - self._sent_at,
            )
            self._behind = None
            self._nonce = ""
            return now
        return self._behind

    def lost(self, last_heard: float) -> None:
        """The connection dropped; the broker was last heard from at `last_heard`."""
        if self._behind is None:
            self._behind = last_heard or time.monotonic()
        self._nonce = ""

    def silence(self, began: float) -> None:
        """A packet came after a silence no working link has: what follows may be old."""
        if self._behind is None:
            self._behind = began
            log.warning(
                "nothing came from the broker for %.0f s although it is pinged: commands that"
                " waited in the link are skipped once older than the max age",
                time.monotonic() - began,
            )
        self._probe()

    def connected(self, session_present: bool) -> None:
        if not session_present:
            self._behind = None  # a new session: nothing waited for us
            self._nonce = ""
            return
        self._probe()

    def on_probe(self, payload: bytes) -> None:
        if self._nonce and payload.decode("utf-8", "replace") == self._nonce:
            self._behind = None
            self._nonce = ""

    def _probe(self) -> None:
        self._nonce = secrets.token_hex(16)  # nobody else can send it ahead of ours
        self._sent_at = time.monotonic()
        self._publish(self.topic, self._nonce)


def keepalive_for(cfg: MqttConfig) -> int:
    """`mqtt.keepalive`, but at most half the max age: a link that stalls without breaking
    is noticed (no answer to a ping) before a command in it grows too old."""
    return max(2, min(cfg.keepalive, int(cfg.command_max_age_s / 2)))


def status_ttl(keepalive: int) -> int:
    """Seconds a retained "online" lives; refreshed every keepalive."""
    return 3 * keepalive
