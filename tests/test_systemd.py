"""The service manager's side, without systemd: READY once the broker is connected, watchdog
pings while the audio loop takes audio, none once it hangs; journald log priorities."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.systemd import JournalFormatter
from tests import pulse
from tests.conftest import Agent, Broker, example_config, free_port


class NotifySocket:
    """What systemd would receive on $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.backlog: list[str] = []

    def messages(self, seconds: float) -> list[tuple[float, str]]:
        """(time, datagram) received within `seconds`."""
        out = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            out.append((time.monotonic(), data.decode()))
        return out

    def wait_for(self, text: str, timeout: float) -> str:
        """The first datagram with `text`; those read after it wait for the next call."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.backlog:
                self.backlog = [m for _, m in self.messages(min(1.0, deadline - time.monotonic()))]
            while self.backlog:
                message = self.backlog.pop(0)
                if text in message:
                    return message
        raise AssertionError(f"no {text!r} within {timeout} s")


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.sock.close()


def test_ready_before_the_broker_and_status_says_what_it_waits_for(
    tmp_path: Path, notify: NotifySocket, agent_factory: Callable[..., Agent]
) -> None:
    """READY once the models are loaded (a Pi booting before its broker must not hang in
    "activating"); STATUS tells whether the broker is there."""
    port = free_port()
    agent = agent_factory(example_config(tmp_path, port), {"NOTIFY_SOCKET": str(notify.path)})
    ready = notify.wait_for("READY=1", 60)
    assert ready == f"READY=1\nSTATUS=connecting to the MQTT broker at 127.0.0.1:{port}"
    waiting = notify.wait_for("STATUS=waiting", 10)
    assert waiting == f"STATUS=waiting for the MQTT broker at 127.0.0.1:{port}"
    broker = Broker(tmp_path, port=port).start()
    try:
        back = notify.wait_for("STATUS=ready", 10)
        assert back == f"STATUS=ready, broker 127.0.0.1:{port}"
    finally:
        agent.stop()
        broker.stop()


def test_watchdog_fed_while_audio_flows_and_not_when_it_hangs(
    tmp_path: Path,
    broker: Broker,
    notify: NotifySocket,
    agent_factory: Callable[..., Agent],
) -> None:
    config = example_config(tmp_path, broker.port)
    config.write_text(config.read_text().replace("  enabled: false ", "  enabled: true ", 1))
    home = tmp_path / "home"
    home.mkdir()
    with pulse.null_sink(home) as sink:
        agent = agent_factory(
            config,
            {
                "HOME": sink.env["HOME"],
                "XDG_RUNTIME_DIR": sink.env["XDG_RUNTIME_DIR"],
                "NOTIFY_SOCKET": str(notify.path),
                "WATCHDOG_USEC": "3000000",  # 3 s: pings every second
            },
        )
        notify.wait_for("READY=1", 60)
        agent.wait_log("audio input open", 60)
        pings = [t for t, m in notify.messages(4.0) if m == "WATCHDOG=1"]
        assert len(pings) >= 3, pings
        # The sound server freezes: no audio reaches the loop, so the pings stop.
        os.kill(sink.pid, signal.SIGSTOP)
        try:
            notify.messages(4.0)  # past the 3 s the loop may go without audio
            quiet = [m for _, m in notify.messages(3.0) if m == "WATCHDOG=1"]
            assert quiet == []
            assert "the audio loop has taken no audio for" in agent.output()
        finally:
            os.kill(sink.pid, signal.SIGCONT)
        # Audio again: fed again (under systemd the agent would have been restarted by now).
        notify.wait_for("WATCHDOG=1", 15)


def test_journal_lines_carry_syslog_priorities() -> None:
    formatter = JournalFormatter()

    def line(level: int, msg: str) -> str:
        return formatter.format(logging.LogRecord("agent.mqtt", level, __file__, 1, msg, (), None))

    assert line(logging.INFO, "connected") == "<6>agent.mqtt: connected"
    assert line(logging.WARNING, "lost the broker") == "<4>agent.mqtt: lost the broker"
    assert line(logging.ERROR, "one\ntwo") == "<3>agent.mqtt: one\n<3>two"
