"""The broker dies (SIGKILL) and comes back 5 s later while commands arrive at 20 a second.
Every command is put in a class: acted on in time, acted on late (must not happen), accepted
by the broker but never acted on, or never accepted. A persistent Mosquitto (Debian's
default) keeps the agent's session, and the commands waiting for it, across the crash."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import Agent, Broker, example_config

COMMAND = "voice-agent/kitchen-pi/command"
SEARCH = "home/tv/search"  # the example TV's play_media template: "song <n>" per command
RATE = 20.0
MAX_AGE = 10.0


def _client(port: int, name: str, topic: str | None = None) -> paho.Client:
    """A client with a persistent session that reconnects fast: what it could not send it
    sends on reconnect, what was sent to it while away waits for it."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, clean_session=False)
    client.on_socket_open = lambda c, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.reconnect_delay_set(0.2, 0.5)  # type: ignore[arg-type]
    client.max_queued_messages_set(0)
    if topic is not None:
        client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_a_broker_crash_loses_and_replays_nothing(
    tmp_path: Path, agent_factory: Callable[..., Agent]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    persistent = f"persistence true\npersistence_location {store}/\nautosave_interval 1\n"
    broker = Broker(tmp_path, extra=persistent).start()
    acted: dict[int, float] = {}
    lock = threading.Lock()

    def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        n = int(msg.payload.decode().split()[-1])
        with lock:
            acted.setdefault(n, time.monotonic())

    tv = _client(broker.port, "fault-test-tv", SEARCH)
    tv.on_message = on_message
    agent = agent_factory(example_config(tmp_path, broker.port))
    agent.wait_log("connected to MQTT broker", 30)
    phone = _client(broker.port, "fault-test-phone")
    time.sleep(3)  # the sessions are in the broker's database by now
    sent: dict[int, float] = {}
    acked: set[int] = set()
    phone.on_publish = lambda c, u, mid, rc, p: acked.add(mid)
    mids: dict[int, int] = {}
    killed_at = restarted_at = 0.0
    start = time.monotonic()
    n = 0
    try:
        while time.monotonic() - start < 14:
            if killed_at == 0.0 and time.monotonic() - start >= 4:
                assert broker.proc is not None
                broker.proc.kill()
                broker.proc.wait(5)
                killed_at = time.monotonic()
            if killed_at and not restarted_at and time.monotonic() - killed_at >= 5:
                broker.start()
                restarted_at = time.monotonic()
            n += 1
            sent[n] = time.monotonic()
            info = phone.publish(COMMAND, f"play song {n} on the tv", qos=1)
            mids[info.mid] = n
            time.sleep(1 / RATE)
        time.sleep(MAX_AGE + 2)  # everything still on its way arrives, or is late
    finally:
        for client in (phone, tv):
            client.disconnect()
            client.loop_stop()
        agent.stop()
        broker.stop()
    accepted = {mids[m] for m in acked if m in mids}
    late = sorted(k for k, t in acted.items() if t - sent[k] > MAX_AGE)
    lost = sorted(k for k in accepted if k not in acted)
    during = [k for k in lost if sent[k] >= killed_at]  # sent while down or reconnecting
    assert late == [], f"acted on more than {MAX_AGE} s after being sent: {late}"
    assert during == [], f"accepted by the broker but never acted on: {during}"
    # the broker can die between taking a command and passing it on: that one is gone,
    # and only one sent in the moment before the kill may be
    assert all(killed_at - sent[k] < 0.5 for k in lost), lost
    assert len(lost) <= 1, lost
    assert len(acted) >= n - 2, f"{n} sent, {len(acted)} acted on"
