"""A real Home Assistant Core for tests: `hass -c <dir> --skip-pip` on a free loopback port
with template lights, a switch, a cover, a lock and a fan backed by input_boolean
(tests/data/hass/configuration.yaml), onboarded over its API (an owner, then a long-lived
access token over WebSocket, no browser), stopped by its PID.

Home Assistant lives in venvs of its own (scripts/bootstrap.sh --dev, with its own pins:
tests/data/hass/requirements-*.txt): `.venv-ha` holds 2024.3.3 on Python 3.11, always;
`.venv-ha-2025` holds 2025.4.4 (floors) where the machine has a Python 3.13."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from agent.hass_ws import HassConnection

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "hass"
HASS = ROOT / ".venv-ha" / "bin" / "hass"
NEWER = ROOT / ".venv-ha-2025" / "bin" / "hass"


def releases() -> list[Path]:
    """The Home Assistants installed here: 2024.3.3 always (missing: the tests say so), and
    2025.4.4 where bootstrap found a Python for it."""
    return [HASS] + ([NEWER] if NEWER.exists() else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def installed(hass: Path = HASS) -> str:
    """`hass`'s version and Python, as the test output says it ("" when not installed)."""
    if not hass.exists():
        return ""
    python = hass.parent / "python"
    out = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, homeassistant.const as c; "
            "print(c.__version__, '%d.%d.%d' % sys.version_info[:3])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    version, _, py = out.stdout.strip().partition(" ")
    return f"Home Assistant {version} on Python {py}" if out.returncode == 0 else ""


def _post(url: str, body: dict[str, Any], *, form: bool = False) -> Any:
    data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    req = urllib.request.Request(url, data=data, headers={"Content-Type": kind})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read())


class HomeAssistant:
    """One Home Assistant; `start` it (again after `stop`: same config dir, same port)."""

    def __init__(self, workdir: Path, hass: Path = HASS) -> None:
        self.hass = hass
        self.dir = workdir / "hass-config"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        text = (DATA / "configuration.yaml").read_text().replace("__PORT__", str(self.port))
        (self.dir / "configuration.yaml").write_text(text)
        self.log = workdir / "hass.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""

    def start(self, timeout: float = 60.0) -> HomeAssistant:
        if not self.hass.exists():
            raise RuntimeError(f"{self.hass} is missing: run scripts/bootstrap.sh --dev")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(self.hass), "-c", str(self.dir), "--skip-pip"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hass exited:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"hass did not answer:\n{self.log.read_text()[-4000:]}")
        if not self.token:
            self.token = self._onboard()
        while self.ws({"type": "get_config"}).get("state") != "RUNNING":  # all set up
            if time.monotonic() > deadline:
                raise RuntimeError(f"hass did not finish starting:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)
        return self

    def _onboard(self) -> str:
        client_id = f"{self.url}/"
        user = {
            "client_id": client_id,
            "name": "Test",
            "username": "test",
            "password": "test-password-1",
            "language": "en",
        }
        code = _post(f"{self.url}/api/onboarding/users", user)["auth_code"]
        grant = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
        access = _post(f"{self.url}/auth/token", grant, form=True)["access_token"]
        conn = HassConnection(self.url, access)
        try:
            made = conn.request(
                {
                    "type": "auth/long_lived_access_token",
                    "client_name": "voice-agent tests",
                    "lifespan": 365,
                }
            )
        finally:
            conn.close()
        return str(made)

    def ws(self, command: dict[str, Any]) -> Any:
        """One command over a fresh WebSocket connection, as an admin would send it."""
        conn = HassConnection(self.url, self.token)
        try:
            return conn.request(command)
        finally:
            conn.close()

    def set(self, entity_id: str, service: str) -> None:
        """An entity set as a test begins: `set("fan.desk_fan", "turn_on")`."""
        domain = entity_id.split(".", 1)[0]
        target = {"entity_id": entity_id}
        self.ws({"type": "call_service", "domain": domain, "service": service, "target": target})

    def state(self, entity_id: str) -> str:
        req = urllib.request.Request(
            f"{self.url}/api/states/{entity_id}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as answer:
            return str(json.loads(answer.read())["state"])

    def wait_state(self, entity_id: str, want: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < deadline:
            seen = self.state(entity_id)
            if seen == want:
                return
            time.sleep(0.05)
        raise AssertionError(f"{entity_id} is {seen!r}, not {want!r}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def token_file(self, folder: Path) -> Path:
        path = folder / "hass.token"
        path.write_text(self.token + "\n")
        path.chmod(0o600)
        return path


def remove(home: HomeAssistant) -> None:
    home.stop()
    shutil.rmtree(home.dir, ignore_errors=True)
