"""The config's sections as frozen objects, their defaults, and the effective config as a
dict (`voice-agent config`). Reading them: agent/config/load.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.home.expose import Expose
from agent.home.inventory import Device, Home
from agent.home.specs import (
    HomeAssistantSpec,
    TasmotaSpec,
    TemplateSpec,
    Zigbee2MqttSpec,
)

DEVICE_ID = re.compile(r"^([a-z_]+)\.([a-z0-9_]+)$")
TOPIC_FORBIDDEN = re.compile(r"[#+\x00]")
MASK = "********"


@dataclass(frozen=True)
class TlsConfig:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str | None = None
    keepalive: int = 60
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_file: str | None = None
    tls: TlsConfig | None = None
    topic_prefix: str = "voice-agent"
    command_max_age_s: float = 10.0  # a command older than this is never acted on


@dataclass(frozen=True)
class SiteConfig:
    id: str = "default"
    area: str | None = None
    media_player: str | None = None  # the player "louder" and "pause" mean here


@dataclass(frozen=True)
class UnderstandingConfig:
    templates: bool = True
    model: str | None = None
    threads: int = 1
    confidence_threshold: float = 0.6
    confirm_timeout_s: float = 30.0


def audio_device(name: str | None) -> str | int | None:
    """A config's `device` as sounddevice takes it: an index where it is digits, else the
    name (None: the system default)."""
    return int(name) if name and name.isdigit() else name


@dataclass(frozen=True)
class VoiceConfig:
    enabled: bool = True  # listen to the microphone in `voice-agent run`
    # auto: Moonshine when its model is there, else Vosk when its model is there, else
    # pocketsphinx | moonshine | vosk | pocketsphinx
    engine: str = "auto"
    vosk_model: str = "/var/lib/voice-agent/models/vosk-model-small-en-us-0.15"
    moonshine_model: str = "/var/lib/voice-agent/models/moonshine-base-en"
    mode: str = "wake"  # wake | always
    wake_word: str = "hey computer"
    sensitivity: float = 0.5  # 0..1: how readily speech is taken as the wake phrase (or command)
    wake_model: str | None = None  # the wake classifier's folder; None: the one shipped
    # open: the spoken grammar's sentences and a statistical model of the many ways to say
    # what the home can do; closed: only the grammar's (agent/voice/speech.yaml); auto: open
    # in wake mode, closed in always mode (where all the room's talk reaches the recogniser)
    recognition: str = "auto"

    @property
    def recognition_in_use(self) -> str:
        if self.recognition != "auto":
            return self.recognition
        return "open" if self.mode == "wake" else "closed"

    silence_ms: int = 700
    max_utterance_s: float = 8.0
    preroll_ms: int | None = None  # None: the recogniser's own (agent/voice/loop.lead_ms)
    device: str | None = None  # input device name or index; None: the default
    queue_blocks: int = 100
    # after a question from the agent ("Which light...?", "Say yes to confirm"), the next
    # utterance within this many seconds needs no wake phrase
    followup_s: float = 8.0


@dataclass(frozen=True)
class SpeechConfig:
    """Spoken replies (agent/speak)."""

    engine: str = "hibari"  # hibari | espeak-ng | piper | none
    voice: str | None = None  # the engine's voice; None: its default (hibari: heart)
    speed: float = 1.0
    volume: float = 1.0
    device: str | None = None  # output device name or index; None: the system default
    publish_audio: bool = False  # each reply as a WAV on <prefix>/<site>/reply/audio too
    earcons: bool = True  # a sound when it starts listening, another on "I didn't get that"
    listening_sound: str | None = None  # a WAV instead of the built-in listening earcon
    error_sound: str | None = None  # a WAV instead of the built-in error earcon


@dataclass(frozen=True)
class HomeAssistantConfig:
    discovery: bool = False  # build the inventory from MQTT discovery
    prefix: str = "homeassistant"
    announce: bool = False  # the agent's own entities in Home Assistant
    expose: Expose = field(default_factory=Expose)
    # the link over Home Assistant's WebSocket API (agent/hass_link.py): its URL
    # (http://homeassistant.local:8123) and the file holding a long-lived access token
    url: str | None = None
    token_file: str | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Config:
    path: str
    mqtt: MqttConfig
    site: SiteConfig
    home: Home
    understanding: UnderstandingConfig
    voice: VoiceConfig = VoiceConfig()
    home_assistant: HomeAssistantConfig = field(default_factory=HomeAssistantConfig)
    speech: SpeechConfig = SpeechConfig()

    def to_dict(self) -> dict[str, Any]:
        """The effective config, secrets masked: what `voice-agent config` prints."""
        m = self.mqtt
        return {
            "mqtt": {
                "host": m.host,
                "port": m.port,
                "client_id": m.client_id,
                "keepalive": m.keepalive,
                "username": m.username,
                "password": MASK if m.password else None,
                "password_file": m.password_file,
                "tls": None if m.tls is None else dict(m.tls.__dict__),
                "topic_prefix": m.topic_prefix,
                "command_max_age_s": m.command_max_age_s,
            },
            "site": dict(self.site.__dict__),
            "areas": [
                {"name": a.name, "aliases": list(a.aliases), "floor": a.floor}
                for a in self.home.areas
            ],
            "devices": [_device_dict(d) for d in self.home.devices],
            "understanding": dict(self.understanding.__dict__),
            "voice": dict(self.voice.__dict__),
            "speech": dict(self.speech.__dict__),
            "home_assistant": {
                "discovery": self.home_assistant.discovery,
                "prefix": self.home_assistant.prefix,
                "announce": self.home_assistant.announce,
                "expose": {k: list(v) for k, v in self.home_assistant.expose.__dict__.items()},
                "url": self.home_assistant.url,
                "token_file": self.home_assistant.token_file,
                "token": MASK if self.home_assistant.token else None,
            },
        }


def _device_dict(d: Device) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id,
        "name": d.name,
        "aliases": list(d.aliases),
        "area": d.area,
        "device_class": d.device_class,
    }
    if d.safety:
        out["safety"] = d.safety
    spec = d.command
    if isinstance(spec, HomeAssistantSpec):
        out["homeassistant"] = dict(spec.__dict__)
    elif isinstance(spec, Zigbee2MqttSpec):
        out["zigbee2mqtt"] = dict(spec.__dict__)
    elif isinstance(spec, TasmotaSpec):
        out["tasmota"] = dict(spec.__dict__)
    elif isinstance(spec, TemplateSpec):
        out["templates"] = {
            k: {kk: vv for kk, vv in v.__dict__.items() if vv is not None}
            for k, v in spec.commands.items()
        }
    return out
