"""`voice-agent check`: one PASS/FAIL/SKIP line per item, the fix beside each failure, and a
non-zero exit when anything fails."""

from __future__ import annotations

from pathlib import Path

from tests import pulse
from tests.conftest import Broker, example_config, free_port, run_cli


def _lines(out: str) -> dict[str, str]:
    """item -> its status, from the check's output."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("PASS", "FAIL", "SKIP"):
            found[parts[1]] = parts[0]
    return found


def test_all_pass_with_a_broker(tmp_path: Path, broker: Broker) -> None:
    result = run_cli("check", "--config", str(example_config(tmp_path, broker.port)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert _lines(result.stdout) == {
        "config": "PASS",
        "models": "PASS",
        "speech": "SKIP",  # voice.enabled is false in the example
        "broker": "PASS",
        "audio": "SKIP",
    }
    assert f"connected to 127.0.0.1:{broker.port}" in result.stdout
    assert result.stdout.rstrip().endswith("all checks passed")


def test_broker_down_fails_with_the_fix(tmp_path: Path) -> None:
    port = free_port()
    result = run_cli("check", "--config", str(example_config(tmp_path, port)))
    assert result.returncode == 1
    assert _lines(result.stdout)["broker"] == "FAIL"
    assert f"cannot connect to the MQTT broker at 127.0.0.1:{port}: Connection refused" in (
        result.stdout
    )
    assert "fix: start the broker (systemctl status mosquitto)" in result.stdout
    assert result.stdout.rstrip().endswith("1 check(s) failed")


def test_bad_config_fails_and_skips_the_rest(tmp_path: Path) -> None:
    config = example_config(tmp_path, free_port())
    config.write_text(config.read_text().replace("  port: ", "  prot: ", 1))
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _lines(result.stdout) == {
        "config": "FAIL",
        "models": "SKIP",
        "speech": "SKIP",
        "broker": "SKIP",
        "audio": "SKIP",
    }
    assert "mqtt.prot: unknown key (did you mean 'port'?)" in result.stdout
    assert f"fix: edit {config}" in result.stdout


def test_audio_device_opened_or_its_fix(tmp_path: Path, broker: Broker) -> None:
    config = example_config(tmp_path, broker.port)
    config.write_text(config.read_text().replace("  enabled: false ", "  enabled: true ", 1))
    home = tmp_path / "home"
    home.mkdir()
    with pulse.null_sink(home) as sink:
        env = {k: sink.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")}
        good = run_cli("check", "--config", str(config), env=env)
        assert good.returncode == 0, good.stdout + good.stderr
        assert _lines(good.stdout)["speech"] == "PASS"
        assert "pocketsphinx with the home's grammar" in good.stdout
        assert "PASS  audio     the default device: 0.5 s read, level" in good.stdout
        config.write_text(config.read_text().replace("  device: null ", "  device: no-such-mic "))
        bad = run_cli("check", "--config", str(config), env=env)
    assert bad.returncode == 1
    assert _lines(bad.stdout)["audio"] == "FAIL"
    assert "cannot open audio input 'no-such-mic'" in bad.stdout
    assert "fix: list devices with arecord -l, set voice.device" in bad.stdout
