"""quickstart.sh, as a newcomer runs it: it starts a broker when none answers, runs the agent,
and Ctrl-C stops both (before, its Mosquitto kept running)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT, free_port


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_ctrl_c_stops_the_agent_and_the_broker_it_started(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "agent.yaml"
    text = EXAMPLE.read_text().replace("  port: 1883 ", f"  port: {port} ", 1)
    config.write_text(text.replace("  model: ../models/", f"  model: {ROOT}/models/", 1))
    env = dict(os.environ, VOICE_AGENT_CONFIG=str(config), VOICE_AGENT_BROKER_PORT=str(port))
    script = subprocess.Popen(
        ["bash", str(ROOT / "quickstart.sh")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )  # fmt: skip
    seen: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in script.stdout or ()])
    reader.daemon = True
    reader.start()
    try:
        deadline = time.monotonic() + 120  # bootstrap first: pip checks the venv
        while not any("connected to MQTT broker" in s for s in seen):
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        assert _listening(port), "".join(seen)
        assert any(f"no broker on 127.0.0.1:{port}, starting Mosquitto" in s for s in seen)
        os.killpg(script.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        script.wait(timeout=30)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _listening(port), "the broker quickstart.sh started is still running"
