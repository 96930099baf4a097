"""Reading a config file into agent.config.schema's objects: every section checked, every
problem named with its file, line and key. The home's devices: agent/config/devices.py."""

from __future__ import annotations

import re
from pathlib import Path

from agent.config.devices import checked_topic, read_areas, read_devices
from agent.config.schema import (
    Config,
    HomeAssistantConfig,
    MqttConfig,
    SiteConfig,
    SpeechConfig,
    TlsConfig,
    UnderstandingConfig,
    VoiceConfig,
)
from agent.config.yamlread import Section, parse_file
from agent.errors import ConfigError
from agent.home.expose import DEFAULT_DOMAINS, SENSITIVE_DOMAINS, Expose
from agent.home.inventory import Home


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
    home_assistant = _home_assistant(root.section("home_assistant"), path)
    areas = read_areas(root)
    devices = read_devices(root, areas, overlays=home_assistant.discovery)
    understanding = _understanding(root.section("understanding"), path)
    voice = _voice(root.section("voice"), path)
    speech = _speech(root.section("speech"), path)
    root.finish()
    # with discovery, the site's area may be one only Home Assistant's devices name
    known = (
        any(a.name == site.area for a in areas)
        or home_assistant.discovery
        or home_assistant.url is not None
    )
    if site.area is not None and not known:
        root.error(
            "site",
            f"site.area {site.area!r} is not one of the areas (list it under areas:, or "
            "turn on home_assistant.discovery or set home_assistant.url to take areas from "
            "Home Assistant)",
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
        speech=speech,
    )


def _home_assistant(sec: Section | None, path: Path) -> HomeAssistantConfig:
    if sec is None:
        return HomeAssistantConfig()
    prefix = sec.text("prefix", "homeassistant") or "homeassistant"
    checked_topic(sec, "prefix", prefix)
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
    url, token_file, token = _hass_link(sec, path)
    cfg = HomeAssistantConfig(
        discovery=sec.flag("discovery", True),
        prefix=prefix,
        announce=sec.flag("announce", True),
        expose=expose,
        url=url,
        token_file=token_file,
        token=token,
    )
    sec.finish()
    return cfg


def _hass_link(sec: Section, path: Path) -> tuple[str | None, str | None, str | None]:
    """home_assistant.url and token_file: the URL checked, the token read."""
    url, token_file = sec.text("url"), sec.text("token_file")
    if url is not None and not re.match(r"^(https?|wss?)://[^/\s]+", url):
        sec.error("url", f"{url!r} is not a URL like http://homeassistant.local:8123")
    if (url is None) != (token_file is None):
        sec.error("url" if url is None else "token_file", "url and token_file go together")
        return None, None, None
    if token_file is None:
        return None, None, None
    file = _beside(path, token_file)
    try:
        token = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        sec.error("token_file", f"cannot read {file}: {exc.strerror}")
        return url, str(file), None
    except UnicodeDecodeError:
        sec.error("token_file", f"{file} is not text: put the long-lived access token in it")
        return url, str(file), None
    if not token or any(c.isspace() for c in token):
        sec.error("token_file", f"{file} should hold one long-lived access token, alone")
    return url, str(file), token


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
    checked_topic(sec, "topic_prefix", prefix)
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
        preroll_ms=_preroll(sec),
        device=sec.text("device"),
        queue_blocks=sec.integer("queue_blocks", d.queue_blocks, minimum=10, maximum=10000),
        followup_s=sec.number("followup_s", d.followup_s, minimum=0.0, maximum=60.0),
    )
    sec.finish()
    return cfg


def _preroll(sec: Section) -> int | None:
    """voice.preroll_ms: null or left out, the recogniser's own."""
    got = sec.integer("preroll_ms", -1, minimum=0, maximum=2000)
    return None if got < 0 else got


def _speech(sec: Section | None, path: Path) -> SpeechConfig:
    if sec is None:
        return SpeechConfig()
    d = SpeechConfig()
    sounds = {}
    for key in ("listening_sound", "error_sound"):
        given = sec.text(key)
        sounds[key] = None if given is None else str(_beside(path, given))
        if given is not None and not Path(str(sounds[key])).is_file():
            sec.error(key, f"no sound file {sounds[key]}")
    cfg = SpeechConfig(
        engine=sec.choice("engine", ("hibari", "espeak-ng", "piper", "none"), d.engine) or d.engine,
        voice=sec.text("voice"),
        speed=sec.number("speed", d.speed, minimum=0.5, maximum=2.0),
        volume=sec.number("volume", d.volume, minimum=0.0, maximum=2.0),
        device=sec.text("device"),
        publish_audio=sec.flag("publish_audio", d.publish_audio),
        earcons=sec.flag("earcons", d.earcons),
        listening_sound=sounds["listening_sound"],
        error_sound=sounds["error_sound"],
    )
    sec.finish()
    return cfg
