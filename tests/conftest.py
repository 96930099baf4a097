"""Shared fixtures: a real Mosquitto broker on a free loopback port, a recording subscriber,
and configs written for the test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

if TYPE_CHECKING:
    from tests.proxy import Relay

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "configs" / "agent.example.yaml"
VOICE_AGENT = [sys.executable, "-m", "agent"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(self, workdir: Path, port: int | None = None, extra: str = "") -> None:
        self.port = port or free_port()
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        anonymous = "false" if "password_file" in extra else "true"
        user = "user root\n" if os.geteuid() == 0 else ""  # read keys under a 0700 tmp dir
        self.conf.write_text(
            f"{user}listener {self.port} 127.0.0.1\nallow_anonymous {anonymous}\n"
            f"persistence false\nlog_dest stderr\n{extra}"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen(
            [exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    b = Broker(tmp_path).start()
    yield b
    b.stop()


@pytest.fixture
def relay(broker: Broker) -> Iterator[Relay]:
    """A TCP relay in front of the broker that can cut or stall the link (tests/proxy.py)."""
    from tests.proxy import Relay

    r = Relay(broker.port)
    yield r
    r.close()


@dataclass(frozen=True)
class Received:
    topic: str
    payload: str
    retain: bool
    qos: int = 0
    raw: bytes = b""  # the payload as sent (audio)


class Recorder:
    """Subscribes to topics on the broker and records every message."""

    def __init__(
        self,
        port: int,
        topics: tuple[str, ...] = ("#",),
        *,
        ca_file: str | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"rec-{time.time_ns()}")
        if ca_file:
            self.client.tls_set(ca_certs=ca_file)
        if login:
            self.client.username_pw_set(*login)
        subscribed = threading.Event()

        def on_connect(c: paho.Client, *_: object) -> None:
            for t in topics:
                c.subscribe(t, qos=1)

        def on_subscribe(*_: object) -> None:
            subscribed.set()

        def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
            with self._lock:
                self.messages.append(
                    Received(
                        msg.topic,
                        msg.payload.decode("utf-8", "replace"),
                        bool(msg.retain),
                        msg.qos,
                        bytes(msg.payload),
                    )
                )
                self._lock.notify_all()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(5), "recorder could not subscribe"

    def wait_for(self, pred: Callable[[Received], bool], timeout: float = 10.0) -> Received:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for m in self.messages:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n".join(f"  {m.topic} {m.payload!r}" for m in self.messages)
                    raise AssertionError(f"no matching message; seen:\n{seen}")
                self._lock.wait(left)

    def on(self, topic: str, timeout: float = 10.0) -> Received:
        return self.wait_for(lambda m: m.topic == topic, timeout)

    def device_messages(self) -> list[tuple[str, str]]:
        return [
            (m.topic, m.payload) for m in self.messages if not m.topic.startswith("voice-agent/")
        ]

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorder(broker: Broker) -> Iterator[Recorder]:
    r = Recorder(broker.port)
    yield r
    r.close()


def example_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    """The example config with the test broker's port (and optional lines appended)."""
    text = EXAMPLE.read_text().replace("  port: 1883 ", f"  port: {port} ", 1)
    text = text.replace("  model: ../models/", f"  model: {ROOT}/models/", 1)
    assert f"port: {port}" in text and f"{ROOT}/models/" in text
    path = tmp_path / "agent.yaml"
    path.write_text(text + extra)
    return path


def run_cli(
    *args: str, stdin: str | None = None, timeout: float = 30, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run(
        [*VOICE_AGENT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


class Agent:
    """`voice-agent run` as a child process."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [*VOICE_AGENT, "run", "--config", str(config)],
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, needle: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.output():
                return
            assert self.proc.poll() is None, f"agent exited:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not in agent log:\n{self.output()}")

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(10)
        finally:
            self._log_file.close()

    def end(self, grace: float = 3.0) -> None:
        """Stop it however it is: SIGTERM, then SIGKILL after `grace` (a hung agent)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log_file.close()


@pytest.fixture
def agent_factory(tmp_path: Path) -> Iterator[Callable[..., Agent]]:
    agents: list[Agent] = []

    def make(config: Path, env: dict[str, str] | None = None) -> Agent:
        a = Agent(config, tmp_path / f"agent-{len(agents)}.log", env)
        agents.append(a)
        return a

    yield make
    for a in agents:  # SIGTERM, and SIGKILL for one that hangs: no agent outlives its test
        a.end(grace=10)


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own state directory (what `say` keeps between calls) and user config
    directory, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


# Modules whose tests speak and hear real audio, boot an installer, fuzz, or wait out
# broker crashes and stalls: the full suite only (`-m "not slow"` leaves them out).
SLOW_MODULES = frozenset({
    "test_audio", "test_broker_fault", "test_discovery_abuse", "test_hostile", "test_install",
    "test_link", "test_listen", "test_moonshine", "test_outage", "test_quickstart", "test_room",
    "test_systemd", "test_vosk",
})  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_report_header() -> str:
    """Which Home Assistant the link's tests run against (tests/hass.py)."""
    from tests.hass import installed, releases

    found = [installed(h) for h in releases()]
    return "home assistant: " + ("; ".join(f for f in found if f) or "not installed")
