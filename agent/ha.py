"""Home Assistant over MQTT, both ways: discovery configs and device states in (into the live
inventory and the state store), and the agent's own entities out (device-based discovery).
The messages themselves are built and read by pure functions; this is the thin adapter."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from agent import __version__
from agent.config import Config
from agent.home.discovery import DiscoveryError, read
from agent.home.guard import Guard
from agent.home.live import Inventory
from agent.home.specs import command_topics
from agent.home.state import StateStore
from agent.home.template_filters import TemplateError
from agent.mqtt import MqttClient
from agent.mqtt_routing import Message
from agent.topics import Topics

log = logging.getLogger(__name__)
MAX_WARNED = 1000  # distinct discovery problems logged; the rest are counted out
# Home Assistant says "online" once when it starts; anyone on the broker can say it 20,000
# times a second. The agent announces itself at once, then at most once per this many
# seconds, with one announcement after the last "online" of a burst.
ANNOUNCE_EVERY_S = 5.0


def own_config_topic(config: Config) -> str:
    return f"{config.home_assistant.prefix}/device/voice_agent_{_site_slug(config)}/config"


def _site_slug(config: Config) -> str:
    return "".join(c if c.isalnum() else "_" for c in config.site.id.lower())


def own_discovery(config: Config, topics: Topics) -> tuple[str, str]:
    """The agent's device-based discovery message: (topic, payload), to be retained."""
    uid = f"voice_agent_{_site_slug(config)}"
    components = _components(topics, voice=config.voice.enabled)
    for key, part in components.items():
        part["uniq_id"] = f"{uid}_{key}"
    body = {
        "dev": {
            "ids": [uid],
            "name": f"Voice agent {config.site.id}",
            "mf": "voice-agent",
            "mdl": "voice-agent",
            "sw": __version__,
            **({"sa": config.site.area} if config.site.area else {}),
        },
        "o": {"name": "voice-agent", "sw": __version__},
        "avty_t": topics.status,
        "pl_avail": "online",
        "pl_not_avail": "offline",
        "qos": 1,
        "cmps": components,
    }
    return own_config_topic(config), json.dumps(body)


def _components(topics: Topics, *, voice: bool) -> dict[str, dict[str, Any]]:
    """What the agent shows in Home Assistant: its last transcript, intent and reply, a text
    box for commands; with voice, whether it listens and a push-to-talk button."""
    components: dict[str, dict[str, Any]] = {
        "transcript": {
            "p": "sensor",
            "name": "Last transcript",
            "stat_t": topics.intent,
            "val_tpl": "{{ value_json.text }}",
            "ic": "mdi:text-box-outline",
        },
        "intent": {
            "p": "sensor",
            "name": "Last intent",
            "stat_t": topics.intent,
            "val_tpl": "{{ value_json.intent }}",
            "ic": "mdi:target",
        },
        "reply": {
            "p": "sensor",
            "name": "Last reply",
            "stat_t": topics.response,
            "ic": "mdi:message-reply-text",
        },
        "command": {
            "p": "text",
            "name": "Command",
            "cmd_t": topics.command,
            "max": 255,
            "ic": "mdi:keyboard",
        },
    }
    if voice:
        components["listening"] = {
            "p": "binary_sensor",
            "name": "Listening",
            "stat_t": topics.listening,
            "pl_on": "on",
            "pl_off": "off",
            "ic": "mdi:microphone",
        }
        components["push_to_talk"] = {
            "p": "button",
            "name": "Push to talk",
            "cmd_t": topics.listen,
            "pl_prs": "PRESS",
            "ic": "mdi:microphone-message",
        }
    return components


class HomeAssistantLink:
    """Subscribes to discovery and state topics; announces the agent. `changed` is set when
    the inventory changed; the loop takes the new home from `inventory`."""

    def __init__(
        self,
        config: Config,
        client: MqttClient,
        inventory: Inventory,
        states: StateStore,
        topics: Topics,
    ) -> None:
        self.config = config
        self.prefix = config.home_assistant.prefix
        self.client = client
        self.inventory = inventory
        self.states = states
        self.topics = topics
        self.changed = threading.Event()
        self.last_change = 0.0
        self._warned: set[tuple[str, str]] = set()
        self._own = own_config_topic(config)
        self._announce_lock = threading.Lock()
        self._announced_at = -ANNOUNCE_EVERY_S  # time.monotonic() of the last "online" answered
        self._announce_timer: threading.Timer | None = None
        self.guard = Guard(
            reserved=topics.reserved,
            owned=tuple(
                (topic, d.id) for d in config.home.devices for topic in command_topics(d.command)
            ),
        )

    def attach(self) -> None:
        """Subscribe as the config says: discovery, Home Assistant's status, and the state
        topics of the config's own devices."""
        self.watch_config_devices()
        ha = self.config.home_assistant
        if ha.discovery:
            for pattern in (f"{self.prefix}/+/+/config", f"{self.prefix}/+/+/+/config"):
                self.client.subscribe(pattern, self._on_config, slow=True)
        if ha.announce:
            self.client.subscribe(f"{self.prefix}/status", self._on_ha_status)
            self.client.on_connected.append(self.announce)

    def announce(self) -> None:
        topic, payload = own_discovery(self.config, self.topics)
        self.client.publish(topic, payload, retain=True)
        log.info("announced the agent to Home Assistant on %s", topic)

    def _on_ha_status(self, msg: Message) -> None:
        if msg.payload.strip() == b"online":
            self._announce_soon()  # Home Assistant (re)started: it wants discovery again

    def _announce_soon(self) -> None:
        """Now if the last answer to an "online" was ANNOUNCE_EVERY_S ago; else once when
        that time is up (however many came meanwhile). On paho's thread: never waits."""
        with self._announce_lock:
            if self._announce_timer is not None:
                return  # one is due: it answers this one too
            wait = self._announced_at + ANNOUNCE_EVERY_S - time.monotonic()
            if wait > 0:
                self._announce_timer = threading.Timer(wait, self._announce_due)
                self._announce_timer.daemon = True
                self._announce_timer.start()
                return
            self._announced_at = time.monotonic()
        self.announce()

    def _announce_due(self) -> None:
        with self._announce_lock:
            self._announce_timer = None
            self._announced_at = time.monotonic()
        try:
            self.announce()
        except Exception:  # a task boundary: the timer's thread
            log.exception("announcing the agent to Home Assistant failed")

    def _warn_once(
        self, topic: str, why: str, doing: str = "skipping the discovery config on"
    ) -> None:
        """One line per topic and reason, for the first MAX_WARNED of them."""
        if (topic, why) in self._warned or len(self._warned) > MAX_WARNED:
            return
        self._warned.add((topic, why))
        if len(self._warned) > MAX_WARNED:
            log.warning("more than %d discovery problems; not logging further ones", MAX_WARNED)
            return
        log.warning("%s %s: %s", doing, topic[:200], why[:300])

    def _on_config(self, msg: Message) -> None:
        """On the MQTT worker thread: nothing here can hold up the network thread."""
        if msg.topic == self._own:
            return
        try:
            announcement = read(self.prefix, msg.topic, msg.payload, self.guard)
        except DiscoveryError as exc:
            self._warn_once(msg.topic, str(exc))
            try:  # what this topic announced before no longer holds
                announcement = read(self.prefix, msg.topic, b"", self.guard)
            except DiscoveryError:
                return
        change = self.inventory.announce(announcement)
        if not change.changed:
            return
        for topic in change.watch:
            self._watch(topic)
        for topic in change.unwatch:
            self.client.unwatch(topic)
        for key in change.forget:
            self.states.forget(key)
        self.mark_changed()

    def mark_changed(self) -> None:
        """The inventory changed (here, or through the Home Assistant link)."""
        self.last_change = time.monotonic()
        self.changed.set()

    def _on_state(self, msg: Message) -> None:
        text = msg.payload.decode("utf-8", "replace")
        for watch in self.inventory.watches(msg.topic):
            try:
                self.states.update(watch.key, watch.reader, watch.source, text)
            except TemplateError as exc:
                whose = watch.key.rsplit("|", 1)[-1]  # the entity, not where it was announced
                self._warn_once(msg.topic, f"{whose}: {exc}", "not reading the state on")

    def watch_config_devices(self) -> None:
        """State topics of devices in the config itself."""
        for topic in self.inventory.state_topics():
            self._watch(topic)

    def _watch(self, topic: str) -> None:
        problem = self.client.watch(topic, self._on_state)
        if problem is not None:
            self._warn_once(topic, problem, "not watching the state topic")
