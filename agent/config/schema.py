"""The config schema: sections, defaults and cross-checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config.yamlread import Section, parse_file
from agent.errors import ConfigError
from agent.home.expose import DEFAULT_DOMAINS, SENSITIVE_DOMAINS, Expose
from agent.home.inventory import SAFETY_POLICIES, Area, Device, Home
from agent.home.specs import (
    STEPPING_INTENTS,
    CommandSpec,
    HomeAssistantSpec,
    TasmotaSpec,
    TemplateCommand,
    TemplateSpec,
    Zigbee2MqttSpec,
    template_problem,
)
from agent.home.template_filters import TemplateError
from agent.home.templating import tried
from agent.intents import DOMAINS, INTENTS

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
    preroll_ms: int = 300
    device: str | None = None  # input device name or index; None: the default
    queue_blocks: int = 100


@dataclass(frozen=True)
class HomeAssistantConfig:
    discovery: bool = False  # build the inventory from MQTT discovery
    prefix: str = "homeassistant"
    announce: bool = False  # the agent's own entities in Home Assistant
    expose: Expose = field(default_factory=Expose)


@dataclass(frozen=True)
class Config:
    path: str
    mqtt: MqttConfig
    site: SiteConfig
    home: Home
    understanding: UnderstandingConfig
    voice: VoiceConfig = VoiceConfig()
    home_assistant: HomeAssistantConfig = field(default_factory=HomeAssistantConfig)

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
            "home_assistant": {
                "discovery": self.home_assistant.discovery,
                "prefix": self.home_assistant.prefix,
                "announce": self.home_assistant.announce,
                "expose": {k: list(v) for k, v in self.home_assistant.expose.__dict__.items()},
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


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    node, problems, loader = parse_file(path)
    if node is None:
        raise ConfigError([f"{path}: config file is empty"])
    root = Section(node, "", problems, loader)
    problems.raise_if_any()
    mqtt = _mqtt(root.section("mqtt"), path)
    site = _site(root.section("site"))
    home_assistant = _home_assistant(root.section("home_assistant"))
    areas = _areas(root)
    devices = _devices(root, areas, overlays=home_assistant.discovery)
    understanding = _understanding(root.section("understanding"), path)
    voice = _voice(root.section("voice"), path)
    root.finish()
    # with discovery, the site's area may be one only Home Assistant's devices name
    known = any(a.name == site.area for a in areas) or home_assistant.discovery
    if site.area is not None and not known:
        root.error(
            "site",
            f"site.area {site.area!r} is not one of the areas (list it under areas:, or "
            "turn on home_assistant.discovery to take areas from discovered devices)",
        )
    problems.raise_if_any()
    return Config(
        path=str(path),
        mqtt=mqtt,
        site=site,
        home=Home(areas=tuple(areas), devices=tuple(devices)),
        understanding=understanding,
        voice=voice,
        home_assistant=home_assistant,
    )


def _home_assistant(sec: Section | None) -> HomeAssistantConfig:
    if sec is None:
        return HomeAssistantConfig()
    prefix = sec.text("prefix", "homeassistant") or "homeassistant"
    _topic(sec, "prefix", prefix)
    expose = Expose()
    sub = sec.section("expose")
    if sub is not None:
        known = (*DEFAULT_DOMAINS, *SENSITIVE_DOMAINS)
        domains = sub.str_list("domains") if sub.has("domains") else expose.domains
        for domain in domains:
            if domain not in known:
                expected = ", ".join(known)
                sub.error("domains", f"unknown domain {domain!r}; expected some of {expected}")
        expose = Expose(
            domains=domains,
            areas=sub.str_list("areas"),
            include=sub.str_list("include"),
            exclude=sub.str_list("exclude"),
        )
        sub.finish()
    cfg = HomeAssistantConfig(
        discovery=sec.flag("discovery", True),
        prefix=prefix,
        announce=sec.flag("announce", True),
        expose=expose,
    )
    sec.finish()
    return cfg


def _topic(sec: Section, key: str, value: str | None) -> str | None:
    if value is not None and (not value or TOPIC_FORBIDDEN.search(value)):
        sec.error(key, f"{value!r} is not a valid MQTT topic to publish to")
    return value


def _mqtt(sec: Section | None, path: Path) -> MqttConfig:
    if sec is None:
        return MqttConfig()
    defaults = MqttConfig()
    password = sec.text("password")
    password_file = sec.text("password_file")
    if password is not None and password_file is not None:
        sec.error("password_file", "give either password or password_file, not both")
    elif password_file is not None:
        pw_path = _beside(path, password_file)
        try:
            password = pw_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            sec.error("password_file", f"cannot read {pw_path}: {exc.strerror}")
    tls = None
    tls_sec = sec.section("tls")
    if tls_sec is not None:
        tls = TlsConfig(
            ca_file=_readable(tls_sec, "ca_file", path),
            cert_file=_readable(tls_sec, "cert_file", path),
            key_file=_readable(tls_sec, "key_file", path),
            insecure=tls_sec.flag("insecure", False),
        )
        tls_sec.finish()
        if (tls.cert_file is None) != (tls.key_file is None):
            tls_sec.error(None, "cert_file and key_file go together")
    prefix = sec.text("topic_prefix", defaults.topic_prefix) or defaults.topic_prefix
    _topic(sec, "topic_prefix", prefix)
    cfg = MqttConfig(
        host=sec.text("host", defaults.host) or defaults.host,
        port=sec.integer("port", defaults.port, minimum=1, maximum=65535),
        client_id=sec.text("client_id"),
        keepalive=sec.integer("keepalive", defaults.keepalive, minimum=5, maximum=3600),
        username=sec.text("username"),
        password=password,
        password_file=password_file,
        tls=tls,
        topic_prefix=prefix.strip("/"),
        command_max_age_s=sec.number(
            "command_max_age_s", defaults.command_max_age_s, minimum=1, maximum=3600
        ),
    )
    sec.finish()
    return cfg


def _beside(config_path: Path, name: str) -> Path:
    """A file named in the config, relative to the config file's folder."""
    file = Path(name).expanduser()
    return file if file.is_absolute() else config_path.parent / file


def _readable(sec: Section, key: str, config_path: Path) -> str | None:
    name = sec.text(key)
    if name is None:
        return None
    file = _beside(config_path, name)
    try:
        with file.open("rb"):
            pass
    except OSError as exc:
        sec.error(key, f"cannot read {file}: {exc.strerror}")
    return str(file)


def _site(sec: Section | None) -> SiteConfig:
    if sec is None:
        return SiteConfig()
    site_id = sec.text("id", "default") or "default"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", site_id):
        sec.error(
            "id", f"expected letters, digits, '-' or '_' (it is part of topics), got {site_id!r}"
        )
    player = sec.text("media_player")
    if player is not None and not re.fullmatch(r"media_player\.[a-z0-9_]+", player):
        sec.error("media_player", f"expected a media player's id (media_player.x), got {player!r}")
        player = None
    cfg = SiteConfig(id=site_id, area=sec.text("area"), media_player=player)
    sec.finish()
    return cfg


def _areas(root: Section) -> list[Area]:
    areas: list[Area] = []
    seen: dict[str, str] = {}
    for sec in root.sections("areas"):
        name = sec.req_text("name")
        area = Area(name=name, aliases=sec.str_list("aliases"), floor=sec.text("floor"))
        sec.finish()
        for spoken in (area.name, *area.aliases):
            key = spoken.casefold()
            if key in seen:
                sec.error("name", f"area name or alias {spoken!r} is already used by {seen[key]!r}")
            seen[key] = name
        areas.append(area)
    return areas


def _devices(root: Section, areas: list[Area], *, overlays: bool) -> list[Device]:
    """With discovery on, a device without a protocol renames or aliases the discovered
    entity with its id."""
    devices: list[Device] = []
    ids: set[str] = set()
    area_names = {a.name for a in areas}
    for sec in root.sections("devices"):
        device_id = sec.req_text("id")
        if device_id:
            match = DEVICE_ID.match(device_id)
            if match is None:
                sec.error("id", f"expected <domain>.<object_id> in lower case, got {device_id!r}")
            elif match.group(1) not in DOMAINS:
                sec.error(
                    "id", f"unknown domain {match.group(1)!r}; expected one of {', '.join(DOMAINS)}"
                )
            if device_id in ids:
                sec.error("id", f"duplicate device id {device_id!r}")
            ids.add(device_id)
        name = sec.req_text("name")
        area = sec.text("area")
        if area is not None and area not in area_names:
            known = ", ".join(sorted(area_names)) or "none defined"
            sec.error("area", f"unknown area {area!r} (areas: {known})")
        safety = sec.choice("safety", SAFETY_POLICIES, None)
        device = Device(
            id=device_id,
            name=name,
            area=area,
            aliases=sec.str_list("aliases"),
            device_class=sec.text("device_class"),
            command=_command(sec, device_id, name, optional=overlays),
            safety=safety,
        )
        sec.finish()
        devices.append(device)
    return devices


PROTOCOLS = ("homeassistant", "zigbee2mqtt", "tasmota", "templates")


def _command(
    sec: Section, device_id: str, name: str, *, optional: bool = False
) -> CommandSpec | None:
    given = [p for p in PROTOCOLS if sec.has(p)]
    domain = device_id.split(".", 1)[0]
    if len(given) > 1:
        sec.error(given[1], f"give one of {', '.join(PROTOCOLS)}, not {' and '.join(given)}")
    if not given:
        if domain not in ("sensor", "binary_sensor") and not optional:
            sec.error(None, f"missing how the device is commanded: one of {', '.join(PROTOCOLS)}")
        return None
    protocol = given[0]
    sub = sec.section(protocol)
    if sub is None:
        sec.error(protocol, "expected a mapping")
        return None
    spec: CommandSpec
    if protocol == "homeassistant":
        spec = _homeassistant(sub, domain)
    elif protocol == "zigbee2mqtt":
        defaults_z = Zigbee2MqttSpec(friendly_name=name)
        spec = Zigbee2MqttSpec(
            friendly_name=sub.text("friendly_name", name) or name,
            base_topic=sub.text("base_topic", defaults_z.base_topic) or defaults_z.base_topic,
            setpoint_key=sub.text("setpoint_key", defaults_z.setpoint_key)
            or defaults_z.setpoint_key,
        )
        _topic(sub, "base_topic", spec.base_topic)
    elif protocol == "tasmota":
        relay = sub.integer("relay", 0, minimum=1, maximum=32)
        spec = TasmotaSpec(
            topic=sub.req_text("topic"),
            relay=relay or None,
            shutter=sub.integer("shutter", 1, minimum=1, maximum=16),
            prefix=sub.text("prefix", "cmnd") or "cmnd",
        )
        _topic(sub, "topic", spec.topic)
    else:
        spec = _templates(sub)
    sub.finish()
    return spec


def _homeassistant(sub: Section, domain: str) -> HomeAssistantSpec:
    d = HomeAssistantSpec()
    schemas = ("default", "json", "template")
    values: dict[str, Any] = {"schema": sub.choice("schema", schemas, "default")}
    for key, default in d.__dict__.items():
        if key == "schema":
            continue
        if key == "brightness_scale":
            values[key] = sub.integer(key, default, minimum=1, maximum=65535)
        elif isinstance(default, int):  # position_open/closed, speed_range_min/max
            values[key] = sub.integer(key, default, minimum=0, maximum=65535)
        elif key.endswith("_topic"):
            values[key] = _topic(sub, key, sub.text(key))
        elif key.endswith("_template"):
            values[key] = _jinja(sub, key)
        else:
            values[key] = sub.text(key, default)
    spec = HomeAssistantSpec(**values)
    if spec.speed_range_max <= spec.speed_range_min or spec.speed_range_min < 1:
        sub.error("speed_range_max", "must be above speed_range_min, which must be 1 or more")
    if spec.schema == "template" and not (spec.command_on_template and spec.command_off_template):
        sub.error(None, "the template schema needs command_on_template and command_off_template")
    if (
        domain not in ("sensor", "binary_sensor", "climate")
        and spec.command_topic is None
        and (spec.brightness_command_topic is None)
    ):
        sub.error(None, "command_topic is required")
    return spec


def _jinja(sub: Section, key: str) -> str | None:
    """A Home Assistant command template: compiled and tried here, so a mistake is a
    config error with its line, not a failed command later."""
    text = sub.text(key)
    if text is not None:
        try:
            tried(text)
        except TemplateError as exc:
            sub.error(key, f"template: {exc}")
    return text


def _templates(sub: Section) -> TemplateSpec:
    commands: dict[str, TemplateCommand] = {}
    for intent in list(sub.keys):
        entry = sub.section(intent)
        if intent not in INTENTS or intent == "none":
            sub.error(intent, f"unknown intent {intent!r}")
            continue
        if entry is None:
            continue
        topic = entry.req_text("topic")
        _topic(entry, "topic", topic)
        payload = entry.text("payload", "") or ""
        step = entry.text("step_payload")
        if step is not None and intent not in STEPPING_INTENTS:
            only = ", ".join(STEPPING_INTENTS)
            entry.error("step_payload", f"{intent} takes no direction; only {only}")
        for key, text, stepping in (
            ("topic", topic, False), ("payload", payload, False), ("step_payload", step, True)
        ):  # fmt: skip
            if text is not None and (problem := template_problem(text, intent, step=stepping)):
                entry.error(key, problem)
        commands[intent] = TemplateCommand(topic=topic, payload=payload, step_payload=step)
        entry.finish()
    return TemplateSpec(commands=commands)


def _understanding(sec: Section | None, path: Path) -> UnderstandingConfig:
    if sec is None:
        return UnderstandingConfig()
    d = UnderstandingConfig()
    model = sec.text("model")
    if model is not None:
        folder = _beside(path, model).resolve()
        if not (folder / "model.int8.onnx").is_file():
            sec.error("model", f"no model.int8.onnx in {folder} (the folder of the model)")
        model = str(folder)
    cfg = UnderstandingConfig(
        templates=sec.flag("templates", d.templates),
        model=model,
        threads=sec.integer("threads", d.threads, minimum=1, maximum=64),
        confidence_threshold=sec.number(
            "confidence_threshold", d.confidence_threshold, minimum=0.0, maximum=1.0
        ),
        confirm_timeout_s=sec.number(
            "confirm_timeout_s", d.confirm_timeout_s, minimum=1.0, maximum=600.0
        ),
    )
    sec.finish()
    return cfg


def _wake_model(sec: Section, path: Path) -> str | None:
    given = sec.text("wake_model")
    if given is None:
        return None
    folder = _beside(path, given).resolve()
    for name in ("wake.int8.onnx", "wake.json"):
        if not (folder / name).is_file():
            sec.error("wake_model", f"no {name} in {folder} (the folder of the wake model)")
    return str(folder)


def _voice(sec: Section | None, path: Path) -> VoiceConfig:
    if sec is None:
        return VoiceConfig()
    d = VoiceConfig()
    cfg = VoiceConfig(
        enabled=sec.flag("enabled", d.enabled),
        engine=sec.choice("engine", ("auto", "pocketsphinx", "vosk", "moonshine"), d.engine)
        or d.engine,
        vosk_model=str(_beside(path, sec.text("vosk_model", d.vosk_model) or d.vosk_model)),
        moonshine_model=str(
            _beside(path, sec.text("moonshine_model", d.moonshine_model) or d.moonshine_model)
        ),
        mode=sec.choice("mode", ("wake", "always"), d.mode) or d.mode,
        wake_word=sec.text("wake_word", d.wake_word) or d.wake_word,
        sensitivity=sec.number("sensitivity", d.sensitivity, minimum=0.0, maximum=1.0),
        wake_model=_wake_model(sec, path),
        recognition=sec.choice("recognition", ("auto", "open", "closed"), d.recognition)
        or d.recognition,
        silence_ms=sec.integer("silence_ms", d.silence_ms, minimum=100, maximum=5000),
        max_utterance_s=sec.number("max_utterance_s", d.max_utterance_s, minimum=1.0, maximum=60.0),
        preroll_ms=sec.integer("preroll_ms", d.preroll_ms, minimum=0, maximum=2000),
        device=sec.text("device"),
        queue_blocks=sec.integer("queue_blocks", d.queue_blocks, minimum=10, maximum=10000),
    )
    sec.finish()
    return cfg
