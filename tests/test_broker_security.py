"""TLS and a broker login, for real: Mosquitto with a test CA and a password file."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Agent, Broker, Recorder, example_config, run_cli


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[Broker, Path]]:
    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    ssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    )
    ssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    )
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(tmp_path / "passwd"), "agent", "s3cret"],
        check=True,
        capture_output=True,
    )
    broker = Broker(
        tmp_path,
        extra=(
            f"cafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
            f"keyfile {tmp_path}/server.key\npassword_file {tmp_path}/passwd\n"
        ),
    ).start()
    yield broker, tmp_path
    broker.stop()


def secure_config(tmp_path: Path, port: int, password: str) -> Path:
    (tmp_path / "mqtt.pw").write_text(password + "\n")
    config = example_config(tmp_path, port)
    text = (
        config.read_text()
        .replace("  username: null ", "  username: agent ", 1)
        .replace("  password: null ", "  # password: null ", 1)
        .replace("  password_file: null", "  password_file: mqtt.pw", 1)
        .replace("  # tls:  ", "  tls:\n    ca_file: ca.crt\n  # ", 1)
    )
    config.write_text(text)
    return config


def test_tls_and_password_file(secure_broker: tuple[Broker, Path]) -> None:
    broker, tmp_path = secure_broker
    recorder = Recorder(broker.port, ca_file=str(tmp_path / "ca.crt"), login=("agent", "s3cret"))
    try:
        config = secure_config(tmp_path, broker.port, "s3cret")
        shown = run_cli("config", "--config", str(config))
        assert "s3cret" not in shown.stdout
        assert f"ca_file: {tmp_path}/ca.crt" in shown.stdout
        result = run_cli("say", "--config", str(config), "turn on the coffee machine")
        assert result.returncode == 0, result.stderr
        assert recorder.on("cmnd/coffee/POWER").payload == "ON"
    finally:
        recorder.close()


def test_wrong_password_is_a_clear_error(secure_broker: tuple[Broker, Path]) -> None:
    broker, tmp_path = secure_broker
    config = secure_config(tmp_path, broker.port, "wrong")
    result = run_cli("say", "--config", str(config), "turn on the coffee machine")
    assert result.returncode == 3
    assert f"voice-agent: the MQTT broker at 127.0.0.1:{broker.port} did not accept us: " in (
        result.stderr
    )
    assert "Not authorized" in result.stderr or "Bad user name or password" in result.stderr


def test_missing_tls_file_is_a_config_error(tmp_path: Path) -> None:
    config = example_config(tmp_path, 1883)
    config.write_text(
        config.read_text().replace("  # tls:  ", "  tls:\n    ca_file: nope.crt\n  # ", 1)
    )
    result = run_cli("say", "--config", str(config), "turn on the coffee machine")
    assert result.returncode == 2
    assert f"{config}:13: mqtt.tls.ca_file: cannot read {tmp_path}/nope.crt: No such file" in (
        result.stderr
    )


def test_run_says_when_the_tls_files_are_not_certificates(tmp_path: Path) -> None:
    (tmp_path / "not-a-cert.pem").write_text("x\n")
    config = example_config(tmp_path, 8883, "")
    text = config.read_text().replace(
        "  # tls:                     # give this block to use TLS",
        f"  tls:\n    ca_file: {tmp_path / 'not-a-cert.pem'}",
        1,
    )
    config.write_text(text)
    for command in (["run"], ["say", "turn on the coffee machine"]):
        done = run_cli(command[0], "--config", str(config), *command[1:])
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert "cannot use the TLS files in mqtt.tls" in done.stderr
        assert "point mqtt.tls.ca_file, cert_file and key_file at PEM files" in done.stderr


def test_run_logs_why_tls_fails_once_and_keeps_trying(
    secure_broker: tuple[Broker, Path], agent_factory: Callable[..., Agent]
) -> None:
    broker, tmp_path = secure_broker
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=other-ca",
            "-keyout",
            "other.key",
            "-out",
            "other.crt",
        ],
        cwd=other,
        check=True,
        capture_output=True,
    )
    config = secure_config(tmp_path, broker.port, "s3cret")
    config.write_text(config.read_text().replace("ca_file: ca.crt", f"ca_file: {other}/other.crt"))
    agent = agent_factory(config)
    agent.wait_log("TLS certificate not trusted", 20)
    time.sleep(5)  # retried every second meanwhile: said once, not per try
    log = agent.output()
    assert log.count("TLS certificate not trusted") == 1
    assert f"cannot connect to the MQTT broker at 127.0.0.1:{broker.port}" in log
    assert "check mqtt.tls.ca_file" in log
    # plain MQTT spoken to the TLS port: said as such
    plain = example_config(tmp_path, broker.port)
    agent2 = agent_factory(plain)
    agent2.wait_log("closed the connection before accepting us", 20)
    assert "is that port TLS only? see mqtt.tls" in agent2.output()
