"""`voice-agent check`: is everything the service needs in place? One line per item, with
the fix when it fails: the config, the understanding models, speech recognition, the broker
and the audio device."""

from __future__ import annotations

import math
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.config import Config, MqttConfig, TlsConfig, load_config
from agent.errors import AgentError, BrokerError, ConfigError

PROBE_S = 0.5  # audio read from the microphone
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Result:
    item: str
    status: str  # PASS | FAIL | SKIP
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.status}  {self.item:<9} {self.detail}"]
        if self.fix:
            out.append(f"      {'':<9} fix: {self.fix}")
        return out


def _config(path: str) -> tuple[Result, Config | None]:
    try:
        config = load_config(path)
    except ConfigError as exc:
        return Result("config", "FAIL", str(exc), f"edit {path}; each line names the key"), None
    home = config.home
    detail = f"{path}: {len(home.devices)} devices in {len(home.areas)} areas"
    return Result("config", "PASS", detail), config


def _understanding(config: Config) -> Result:
    from agent.understand.cascade import build_tiers

    u = config.understanding
    try:
        build_tiers(u)
    except AgentError as exc:
        fix = "reinstall voice-agent (the model ships with it)"
        if u.model is not None:
            from agent.understand.model_tier import ModelMismatch

            if isinstance(exc, ModelMismatch):
                fix = (
                    f"put the tokenizer.json and labels.json made with the model in {u.model} "
                    "(python -m agent.train writes the three together; the shipped ones are "
                    "in models/intent-minilm)"
                )
        return Result(
            "models",
            "FAIL",
            str(exc),
            f"{fix}, or set understanding.model: null for templates only",
        )
    what = [*(["templates"] if u.templates else []), *([f"model {u.model}"] if u.model else [])]
    return Result("models", "PASS", "understanding: " + " + ".join(what))


def _speech(config: Config) -> Result:
    v = config.voice
    if not v.enabled:
        return Result("speech", "SKIP", "voice.enabled is false")
    from agent.voice.engines import engine_in_use, make_engine
    from agent.voice.recognition import UnknownWakeWord
    from agent.voice.wake import for_phrase

    try:
        engine = make_engine(v, config.home)
    except UnknownWakeWord as exc:
        fix = (
            "set voice.wake_word to dictionary words (the default: hey computer), or install "
            "Moonshine, which hears any words: voice-agent models download moonshine-base-en"
        )
        return Result("speech", "FAIL", str(exc), fix)
    except AgentError as exc:
        model = {"moonshine": "moonshine-base-en", "vosk": "vosk-small-en"}.get(engine_in_use(v))
        fix = f"voice-agent models download {model}" if model else "reinstall voice-agent"
        return Result("speech", "FAIL", str(exc), fix)
    try:
        wake = for_phrase(v.wake_word, v.wake_model) if v.mode == "wake" else None
    except AgentError as exc:
        return Result("speech", "FAIL", str(exc), "reinstall, or point voice.wake_model at it")
    waking = ""
    if v.mode == "wake":
        waking = (
            f"; wake classifier for {wake.phrase!r}"
            if wake is not None
            else f"; no wake classifier for {v.wake_word!r}: the recogniser's word "
            "confidences decide"
        )
    name = getattr(engine, "name", type(engine).__name__)
    if name == "moonshine":
        return Result("speech", "PASS", f"Moonshine, model {v.moonshine_model}{waking}")
    if name == "vosk":
        return Result("speech", "PASS", f"Vosk, model {v.vosk_model}{waking}")
    hint = (
        f" (no Moonshine model at {v.moonshine_model}: voice-agent models download "
        "moonshine-base-en installs it, and hears free phrasings far better)"
        if v.engine == "auto"
        else ""
    )
    return Result(
        "speech", "PASS", f"pocketsphinx, {v.recognition_in_use} recognition{waking}{hint}"
    )


def _broker(config: Config) -> Result:
    from agent.mqtt import MqttClient

    m = config.mqtt
    try:
        client = MqttClient(m, f"voice-agent-{config.site.id}-check-{os.getpid()}")
    except ConfigError as exc:  # a TLS file that is no PEM
        detail = str(exc).split(" (point mqtt.tls", 1)[0]
        return Result(
            "broker",
            "FAIL",
            detail,
            "point mqtt.tls.ca_file (and cert_file, key_file) at PEM files",
        )
    try:
        client.connect_once(timeout=5.0)
    except BrokerError as exc:
        cause = _tls_cause(m)
        if cause is not None:
            return Result("broker", "FAIL", *cause)
        return Result(
            "broker",
            "FAIL",
            str(exc),
            "start the broker (systemctl status mosquitto) or correct mqtt.host, mqtt.port, "
            "mqtt.username and mqtt.password_file",
        )
    finally:
        client.stop()
    who = f" as {m.username}" if m.username else ""
    tls = " over TLS" if m.tls else ""
    return Result("broker", "PASS", f"connected to {m.host}:{m.port}{who}{tls}")


# -- why the broker probe failed, when TLS is the cause ------------------------------------------
# A bare MQTT 3.1.1 CONNECT (no client id, clean session): any broker answers with a CONNACK.
MQTT_CONNECT = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0])
CONNACK = b"\x20"
ALERT_WAIT_S = 0.5
HOSTNAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
NOT_YET_VALID, EXPIRED = 9, 10
CLIENT_CERT_WANTED = ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_HANDSHAKE_FAILURE")
CLIENT_CERT_REFUSED = (
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
)


def _tls_context(tls: TlsConfig | None, *, check_hostname: bool = True) -> ssl.SSLContext:
    """What the client uses (paho's tls_set); with tls None, one that only asks whether a
    port speaks TLS at all."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if tls.cert_file is not None:
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.ca_file is not None:
        ctx.load_verify_locations(tls.ca_file)
    else:
        ctx.load_default_certs()
    ctx.check_hostname = check_hostname and not tls.insecure
    return ctx


def _exchange(m: MqttConfig, ctx: ssl.SSLContext | None) -> tuple[bool, OSError | None]:
    """Connect (over TLS when ctx is given) and send a bare CONNECT. Returns whether a TLS
    handshake completed and what went wrong (None: a CONNACK came back)."""
    handshake = False
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S) as raw:
            sock = raw if ctx is None else ctx.wrap_socket(raw, server_hostname=m.host)
            handshake = ctx is not None
            with sock:
                if handshake:
                    _alert(sock)
                sock.sendall(MQTT_CONNECT)
                if sock.recv(1) == CONNACK:
                    return handshake, None
                return handshake, ConnectionError("the connection closed without a CONNACK")
    except OSError as exc:  # ssl.SSLError is an OSError
        return handshake, exc


def _alert(sock: socket.socket) -> None:
    """In TLS 1.3 a broker refuses our certificate (or its absence) after the handshake:
    wait briefly for that alert before sending, which could reset the connection first."""
    sock.settimeout(ALERT_WAIT_S)
    try:
        if sock.recv(1) == b"":
            raise ConnectionError("the broker closed the connection after the TLS handshake")
    except TimeoutError:
        pass  # nothing to say: the broker waits for our CONNECT
    sock.settimeout(PROBE_TIMEOUT_S)


def _reachable(m: MqttConfig) -> bool:
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _cert_names(m: MqttConfig) -> str:
    """The names the broker's certificate carries (its subjectAltName, else its CN)."""
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S) as raw:
            ctx = _tls_context(m.tls, check_hostname=False)
            with ctx.wrap_socket(raw, server_hostname=m.host) as sock:
                cert = sock.getpeercert() or {}
    except OSError:
        return "other names"
    names = [v for k, v in _pairs(cert.get("subjectAltName")) if k in ("DNS", "IP Address")]
    if not names:
        subject = cert.get("subject")
        rdns = subject if isinstance(subject, tuple) else ()
        names = [v for rdn in rdns for k, v in _pairs(rdn) if k == "commonName"]
    return ", ".join(names) or "no host name"


def _pairs(value: object) -> list[tuple[str, str]]:
    """(key, value) pairs of a decoded certificate field (ssl's getpeercert)."""
    if not isinstance(value, tuple):
        return []
    return [(str(p[0]), str(p[1])) for p in value if isinstance(p, tuple) and len(p) == 2]


def _tls_cause(m: MqttConfig) -> tuple[str, str] | None:
    """(detail, fix) when the broker is there but TLS is why we could not talk to it: a CA
    that did not sign its certificate, a certificate for another name, TLS spoken to a plain
    port or plain MQTT to a TLS port. None when TLS is not the cause."""
    try:
        if not _reachable(m):
            return None  # nothing listens there: host, port or a stopped broker
        if m.tls is None:
            return _plain_cause(m)
        return _secure_cause(m, m.tls)
    except (OSError, ValueError):  # unreadable TLS files: the client said so already
        return None


def _plain_cause(m: MqttConfig) -> tuple[str, str] | None:
    where = f"{m.host}:{m.port}"
    if _exchange(m, None)[1] is None:
        return None  # it speaks plain MQTT after all
    handshake, _ = _exchange(m, _tls_context(None))
    if not handshake:
        return None
    return (
        f"{where} speaks TLS, but mqtt.tls is not set, so we spoke plain MQTT to it",
        "plain MQTT spoken to a TLS port: add mqtt.tls with ca_file (the CA certificate that "
        "signed the broker's certificate), or set mqtt.port to the broker's plain listener "
        "(usually 1883)",
    )


def _secure_cause(m: MqttConfig, tls: TlsConfig) -> tuple[str, str] | None:
    where = f"{m.host}:{m.port}"
    handshake, error = _exchange(m, _tls_context(tls))
    if error is None:
        return None  # TLS works: the failure is elsewhere
    if isinstance(error, ssl.SSLCertVerificationError):
        return _verify_cause(m, tls, error)
    reason = getattr(error, "reason", None) or ""
    if reason in CLIENT_CERT_WANTED and tls.cert_file is None:
        return (
            f"TLS with {where}: the broker asks for a client certificate, and "
            "mqtt.tls.cert_file is not set",
            "the broker wants a client certificate: set mqtt.tls.cert_file and "
            "mqtt.tls.key_file to one signed by the CA the broker trusts",
        )
    if reason in CLIENT_CERT_REFUSED + CLIENT_CERT_WANTED and tls.cert_file is not None:
        return (
            f"TLS with {where}: the broker refused the client certificate in "
            f"mqtt.tls.cert_file ({tls.cert_file}): {error}",
            "the broker refused mqtt.tls.cert_file: set mqtt.tls.cert_file and "
            "mqtt.tls.key_file to a certificate signed by the CA the broker trusts "
            "(Mosquitto's cafile)",
        )
    if handshake:
        return None  # TLS itself worked
    if _exchange(m, None)[1] is None:
        return (
            f"{where} speaks plain MQTT, not TLS, but mqtt.tls is set",
            "TLS spoken to a plain port: set mqtt.port to the broker's TLS listener (usually "
            "8883), or remove mqtt.tls to connect without TLS",
        )
    return (
        f"TLS handshake with {where} failed: {error}",
        "the TLS handshake failed: check that mqtt.port is the broker's TLS listener (usually "
        "8883) and that mqtt.tls matches the broker's certificates",
    )


def _verify_cause(
    m: MqttConfig, tls: TlsConfig, error: ssl.SSLCertVerificationError
) -> tuple[str, str]:
    where = f"{m.host}:{m.port}"
    what = error.verify_message or str(error)
    if error.verify_code in HOSTNAME_MISMATCH:
        names = _cert_names(m)
        return (
            f"TLS with {where}: the broker's certificate is for {names}, not for mqtt.host "
            f"{m.host!r}",
            f"the certificate names another host: set mqtt.host to one of {names}, or give "
            f"the broker a certificate for {m.host}",
        )
    if error.verify_code == EXPIRED:
        return (
            f"TLS with {where}: the broker's certificate has expired ({what})",
            "the broker's certificate has expired: renew it (Mosquitto's certfile), or check "
            "this machine's clock (timedatectl)",
        )
    if error.verify_code == NOT_YET_VALID:
        return (
            f"TLS with {where}: the broker's certificate is not valid yet ({what})",
            "the certificate is not valid yet: set this machine's clock (timedatectl; a Pi "
            "without network time starts in the past)",
        )
    if tls.ca_file is None:
        return (
            f"TLS with {where}: the broker's certificate is not signed by a CA this system "
            f"trusts ({what})",
            "no CA this system trusts signed the broker's certificate: set mqtt.tls.ca_file "
            "to the CA certificate that did (Mosquitto's cafile)",
        )
    return (
        f"TLS with {where}: the broker's certificate is not signed by the CA in "
        f"mqtt.tls.ca_file, {tls.ca_file} ({what})",
        "mqtt.tls.ca_file is not the CA that signed the broker's certificate: set it to the "
        "CA certificate that did (Mosquitto's cafile)",
    )


def _level_dbfs(audio: bytes) -> float:
    samples = np.frombuffer(audio, "<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples**2))) if samples.size else 0.0
    return 20 * math.log10(max(rms, 1.0) / 32768)


def _audio(config: Config) -> Result:
    v = config.voice
    if not v.enabled:
        return Result("audio", "SKIP", "voice.enabled is false")
    from agent.voice.audio import AudioError, MicSource

    device: str | int | None = int(v.device) if v.device and v.device.isdigit() else v.device
    mic = MicSource(device, max_blocks=1000, max_seconds=PROBE_S)
    got: list[bytes] = []
    failed: list[str] = []

    def read() -> None:
        try:
            got.extend(mic.blocks())
        except AudioError as exc:
            failed.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(PROBE_TIMEOUT_S)
    mic.stop()
    fix = (
        "list devices with arecord -l, set voice.device to one of them, and keep the service "
        "user in group audio"
    )
    name = v.device or "the default device"
    if failed:
        return Result("audio", "FAIL", failed[0], fix)
    if not got:
        return Result("audio", "FAIL", f"no audio from {name} in {PROBE_TIMEOUT_S:.0f} s", fix)
    level = _level_dbfs(b"".join(got))
    return Result("audio", "PASS", f"{name}: {PROBE_S} s read, level {level:.0f} dBFS")


def run_checks(config_path: str | Path) -> Iterator[Result]:
    result, config = _config(str(config_path))
    yield result
    steps: list[tuple[str, Callable[[Config], Result]]] = [
        ("models", _understanding),
        ("speech", _speech),
        ("broker", _broker),
        ("audio", _audio),
    ]
    for item, step in steps:
        if config is None:
            yield Result(item, "SKIP", "needs a valid config")
        else:
            yield step(config)
