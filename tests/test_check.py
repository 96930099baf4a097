"""`voice-agent check`: one PASS/FAIL/SKIP line per item, the fix beside each failure, and a
non-zero exit when anything fails."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from tests import pulse
from tests import test_broker_security as security
from tests.conftest import ROOT, Broker, example_config, free_port, run_cli

MODEL = ROOT / "models" / "intent-minilm"


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
        "hass": "SKIP",  # no home_assistant.url
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
        "hass": "SKIP",
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
        assert "pocketsphinx, open recognition" in good.stdout
        assert "PASS  audio     the default device: 0.5 s read, level" in good.stdout
        config.write_text(config.read_text().replace("  device: null ", "  device: no-such-mic "))
        bad = run_cli("check", "--config", str(config), env=env)
    assert bad.returncode == 1
    assert _lines(bad.stdout)["audio"] == "FAIL"
    assert "cannot open audio input 'no-such-mic'" in bad.stdout
    assert "fix: list devices with arecord -l, set voice.device" in bad.stdout


# -- TLS: the fix names the cause and the keys, not host and port ------------------------------
secure_broker = security.secure_broker  # Mosquitto with a test CA, TLS only, login agent/s3cret


def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _broker_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[1:2] == ["broker"])
    return [" ".join(line.split()) for line in lines[at : at + 2]]


def test_tls_passes_with_the_right_ca(secure_broker: tuple[Broker, Path]) -> None:
    broker, tmp_path = secure_broker
    result = run_cli(
        "check", "--config", str(security.secure_config(tmp_path, broker.port, "s3cret"))
    )
    assert f"PASS  broker    connected to 127.0.0.1:{broker.port} as agent over TLS" in (
        result.stdout
    )


def test_tls_wrong_ca_names_ca_file(secure_broker: tuple[Broker, Path]) -> None:
    broker, tmp_path = secure_broker
    _openssl(tmp_path, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=other-ca", "-keyout", "other-ca.key", "-out", "other-ca.crt")  # fmt: skip
    config = security.secure_config(tmp_path, broker.port, "s3cret")
    config.write_text(config.read_text().replace("ca_file: ca.crt", "ca_file: other-ca.crt"))
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    detail, fix = _broker_lines(result)
    assert detail.startswith(
        f"FAIL broker TLS with 127.0.0.1:{broker.port}: the broker's certificate is not signed "
        f"by the CA in mqtt.tls.ca_file, {tmp_path}/other-ca.crt ("
    )
    assert fix == (
        "fix: mqtt.tls.ca_file is not the CA that signed the broker's certificate: set it to "
        "the CA certificate that did (Mosquitto's cafile)"
    )


def test_tls_certificate_for_another_host_names_mqtt_host(
    secure_broker: tuple[Broker, Path],
) -> None:
    _, tmp_path = secure_broker
    other = tmp_path / "other"
    other.mkdir()
    _openssl(other, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=broker.home",
             "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (other / "san.ext").write_text("subjectAltName=DNS:broker.home\n")
    _openssl(other, "x509", "-req", "-in", "server.csr", "-CA", "../ca.crt", "-CAkey",
             "../ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out",
             "server.crt")  # fmt: skip
    broker = Broker(
        other,
        extra=(
            f"cafile {tmp_path}/ca.crt\ncertfile {other}/server.crt\nkeyfile {other}/server.key\n"
            f"password_file {tmp_path}/passwd\n"
        ),
    ).start()
    try:
        config = security.secure_config(tmp_path, broker.port, "s3cret")
        result = run_cli("check", "--config", str(config))
    finally:
        broker.stop()
    assert result.returncode == 1
    assert _broker_lines(result) == [
        f"FAIL broker TLS with 127.0.0.1:{broker.port}: the broker's certificate is for "
        "broker.home, not for mqtt.host '127.0.0.1'",
        "fix: the certificate names another host: set mqtt.host to one of broker.home, or give "
        "the broker a certificate for 127.0.0.1",
    ]


def test_tls_to_a_plain_port_names_mqtt_tls_and_port(tmp_path: Path, broker: Broker) -> None:
    _openssl(tmp_path, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=ca", "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    config = example_config(tmp_path, broker.port)
    config.write_text(
        config.read_text().replace("  # tls:  ", "  tls:\n    ca_file: ca.crt\n  # ", 1)
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _broker_lines(result) == [
        f"FAIL broker 127.0.0.1:{broker.port} speaks plain MQTT, not TLS, but mqtt.tls is set",
        "fix: TLS spoken to a plain port: set mqtt.port to the broker's TLS listener (usually "
        "8883), or remove mqtt.tls to connect without TLS",
    ]


def test_plain_to_a_tls_port_names_mqtt_tls_and_port(secure_broker: tuple[Broker, Path]) -> None:
    broker, tmp_path = secure_broker
    config = security.secure_config(tmp_path, broker.port, "s3cret")
    config.write_text(config.read_text().replace("  tls:\n    ca_file: ca.crt\n", "", 1))
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _broker_lines(result) == [
        f"FAIL broker 127.0.0.1:{broker.port} speaks TLS, but mqtt.tls is not set, so we spoke "
        "plain MQTT to it",
        "fix: plain MQTT spoken to a TLS port: add mqtt.tls with ca_file (the CA certificate "
        "that signed the broker's certificate), or set mqtt.port to the broker's plain listener "
        "(usually 1883)",
    ]


def test_tls_client_certificate_wanted_names_cert_file(
    secure_broker: tuple[Broker, Path],
) -> None:
    _, tmp_path = secure_broker
    broker = Broker(
        tmp_path,
        extra=(
            f"cafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
            f"keyfile {tmp_path}/server.key\nrequire_certificate true\n"
        ),
    ).start()
    try:
        config = security.secure_config(tmp_path, broker.port, "s3cret")
        result = run_cli("check", "--config", str(config))
    finally:
        broker.stop()
    assert result.returncode == 1
    assert _broker_lines(result) == [
        f"FAIL broker TLS with 127.0.0.1:{broker.port}: the broker asks for a client "
        "certificate, and mqtt.tls.cert_file is not set",
        "fix: the broker wants a client certificate: set mqtt.tls.cert_file and "
        "mqtt.tls.key_file to one signed by the CA the broker trusts",
    ]


# -- the model's tokenizer and labels must be its own ------------------------------------------
def _model_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the shipped model folder and a config that uses it."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("labels.json", "tokenizer.json"):
        shutil.copy(MODEL / name, folder / name)
    (folder / "model.int8.onnx").symlink_to(MODEL / "model.int8.onnx")
    config = example_config(tmp_path, free_port())
    config.write_text(config.read_text().replace(str(MODEL), str(folder), 1))
    return folder, config


def _models_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[1:2] == ["models"])
    return [" ".join(line.split()) for line in lines[at : at + 2]]


MISMATCH_FIX = (
    "fix: put the tokenizer.json and labels.json made with the model in {folder} (python -m "
    "agent.train writes the three together; the shipped ones are in models/intent-minilm), or "
    "set understanding.model: null for templates only"
)


def test_labels_of_another_model_fail_check_and_parse(tmp_path: Path) -> None:
    folder, config = _model_copy(tmp_path)
    labels = json.loads((MODEL / "labels.json").read_text())
    n = len(labels["intents"])
    labels["intents"] = labels["intents"][:-1]
    (folder / "labels.json").write_text(json.dumps(labels))
    problem = (
        f"{folder}/labels.json does not match {folder}/model.int8.onnx: it lists {n - 1} "
        f"intents, the model gives {n} (its output 'intent'); use the labels.json the model "
        "was trained with"
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _models_lines(result) == [f"FAIL models {problem}", MISMATCH_FIX.format(folder=folder)]
    parsed = run_cli("parse", "--config", str(config), stdin="it's way too dark in here\n")
    assert parsed.returncode == 2
    assert parsed.stderr == f"voice-agent: {problem}\n"


def test_tokenizer_with_more_tokens_than_the_model_fails_check_and_parse(tmp_path: Path) -> None:
    folder, config = _model_copy(tmp_path)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    size = tokenizer.get_vocab_size()
    tokenizer.add_tokens(["zorblax", "glimmerdark"])
    tokenizer.save(str(folder / "tokenizer.json"))
    problem = (
        f"{folder}/tokenizer.json does not match {folder}/model.int8.onnx: the tokenizer has "
        f"{size + 2} tokens, the model has embeddings for {size} tokens; use the tokenizer.json "
        "the model was trained with"
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _models_lines(result) == [f"FAIL models {problem}", MISMATCH_FIX.format(folder=folder)]
    parsed = run_cli("parse", "--config", str(config), stdin="it's way too glimmerdark in here\n")
    assert parsed.returncode == 2
    assert parsed.stderr == f"voice-agent: {problem}\n"


def test_tokenizer_of_another_model_fails_check(tmp_path: Path) -> None:
    folder, config = _model_copy(tmp_path)
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "turn": 3, "on": 4}
    other = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    other.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    other.save(str(folder / "tokenizer.json"))
    size = Tokenizer.from_file(str(MODEL / "tokenizer.json")).get_vocab_size()
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _models_lines(result) == [
        f"FAIL models {folder}/tokenizer.json does not match {folder}/model.int8.onnx: the "
        f"tokenizer has 5 tokens, the model has embeddings for {size} tokens; use the "
        "tokenizer.json the model was trained with",
        MISMATCH_FIX.format(folder=folder),
    ]


def test_ca_file_that_is_no_certificate_fails_with_the_key(tmp_path: Path) -> None:
    config = example_config(tmp_path, free_port())
    (tmp_path / "ca.crt").write_text("not a certificate\n")
    config.write_text(
        config.read_text().replace("  # tls:  ", "  tls:\n    ca_file: ca.crt\n  # ", 1)
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    detail, fix = _broker_lines(result)
    assert detail.startswith("FAIL broker cannot use the TLS files in mqtt.tls: ")
    assert fix == "fix: point mqtt.tls.ca_file (and cert_file, key_file) at PEM files"


def test_a_wake_word_pocketsphinx_does_not_know_is_a_message_with_a_fix(
    tmp_path: Path, broker: Broker
) -> None:
    """`check` names the word and the fix; `listen` says the same and exits 2, no traceback
    (the grammar's ValueError used to escape)."""
    config = example_config(tmp_path, broker.port)
    text = config.read_text()
    for old, new in (
        ("  enabled: false ", "  enabled: true "),
        ("  engine: auto ", "  engine: pocketsphinx "),
        ("  wake_word: hey computer", "  wake_word: hey zorblax"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    config.write_text(text)
    wanted = "the wake word 'hey zorblax' has words the recogniser does not know: zorblax"
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert wanted in result.stdout
    assert "fix: set voice.wake_word to dictionary words (the default: hey computer)" in (
        result.stdout
    )
    wav = tmp_path / "empty.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(wav), "trim", "0", "0.5"],
                   check=True)  # fmt: skip
    listened = run_cli("listen", "--config", str(config), "--wav", str(wav))
    assert listened.returncode == 2
    assert wanted in listened.stderr and "Traceback" not in listened.stderr


def test_exit_codes_say_what_went_wrong(tmp_path: Path) -> None:
    """One place turns errors into a message and an exit code: 2 setup (config, model,
    recogniser), 3 broker, 4 audio, 5 download; a traceback never."""
    config = example_config(tmp_path, free_port())
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    listened = run_cli("listen", "--config", str(config), "--wav", str(bad))
    assert listened.returncode == 4, listened.stderr
    assert f"cannot read {bad}" in listened.stderr and "Traceback" not in listened.stderr
    said = run_cli("say", "--config", str(config), "turn on the coffee machine")
    assert said.returncode == 3 and "cannot connect to the MQTT broker" in said.stderr


def test_home_assistant_not_answering_or_a_token_others_can_read(tmp_path: Path) -> None:
    token = tmp_path / "ha.token"
    token.write_text("abc.def.ghi\n")
    token.chmod(0o600)
    config = tmp_path / "agent.yaml"
    url = f"http://127.0.0.1:{free_port()}"
    config.write_text(
        f"mqtt: {{host: 127.0.0.1, port: {free_port()}}}\nsite: {{id: s}}\n"
        f"voice: {{enabled: false}}\nhome_assistant: {{url: '{url}', token_file: ha.token}}\n"
    )
    result = run_cli("check", "--config", str(config))
    assert _lines(result.stdout)["hass"] == "FAIL"
    assert f"cannot connect to ws://127.0.0.1:{url.rsplit(':', 1)[1]}/api/websocket" in (
        result.stdout
    )
    assert "fix: start Home Assistant, or correct home_assistant.url" in result.stdout
    token.chmod(0o644)
    result = run_cli("check", "--config", str(config))
    assert f"{token} can be read by others (mode 644)" in result.stdout
    assert f"fix: chmod 600 {token} (640 with the service's group" in result.stdout
