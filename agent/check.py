"""`voice-agent check`: is everything the service needs in place? One line per item, with
the fix when it fails: the config, the understanding models, speech recognition, the broker,
the audio device and Home Assistant's API."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.check_tls import tls_cause
from agent.config import Config, audio_device, load_config
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
    from agent.understand.cascade import tiers_for

    u = config.understanding
    try:
        tiers_for(u)
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
        cause = tls_cause(m)
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


def _level_dbfs(audio: bytes) -> float:
    samples = np.frombuffer(audio, "<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples**2))) if samples.size else 0.0
    return 20 * math.log10(max(rms, 1.0) / 32768)


def _audio(config: Config) -> Result:
    v = config.voice
    if not v.enabled:
        return Result("audio", "SKIP", "voice.enabled is false")
    from agent.voice.audio import AudioError, MicSource

    device = audio_device(v.device)
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


def _hass(config: Config) -> Result:
    from agent.check_hass import check_home_assistant

    return check_home_assistant(config)


def run_checks(config_path: str | Path) -> Iterator[Result]:
    result, config = _config(str(config_path))
    yield result
    steps: list[tuple[str, Callable[[Config], Result]]] = [
        ("models", _understanding),
        ("speech", _speech),
        ("broker", _broker),
        ("audio", _audio),
        ("hass", _hass),
    ]
    for item, step in steps:
        if config is None:
            yield Result(item, "SKIP", "needs a valid config")
        else:
            yield step(config)
