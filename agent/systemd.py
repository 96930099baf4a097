"""The service manager's notification protocol (sd_notify), without libsystemd: READY, STATUS
and WATCHDOG datagrams to $NOTIFY_SOCKET. Outside systemd every call is a no-op."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(*fields: str) -> bool:
    """Send "KEY=value" fields; False when not run by systemd or the send failed."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path  # '@': an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(fields).encode())
    except OSError as exc:
        log.warning("cannot notify the service manager at %s: %s", path, exc)
        return False
    return True


def watchdog_seconds() -> float | None:
    """The watchdog timeout systemd set for this process (WatchdogSec=), or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1_000_000 or None
    except ValueError:
        return None


_PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class JournalFormatter(logging.Formatter):
    """Under systemd, stderr goes to the journal: a "<N>" syslog priority prefix gives each
    line its level there (journalctl -p warning), and the journal adds the time itself."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITIES.get(record.levelno, 2)
        text = super().format(record)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def under_journal() -> bool:
    return bool(os.environ.get("JOURNAL_STREAM"))
