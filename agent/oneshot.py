"""The home a one-shot command (`voice-agent say`) acts in: the service's, as far as the
broker and Home Assistant hold it. The config's devices, what retained discovery configs
announce (when home_assistant.discovery is on) and retained states, read within a bounded
wait; and Home Assistant's entities when its link is configured (home_assistant.url)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace

from agent.config import Config
from agent.errors import BrokerError
from agent.ha import HomeAssistantLink
from agent.hass_link import HassLink, hass_link_for
from agent.hass_ws import HassError
from agent.home.live import Inventory, device_states
from agent.home.state import StateStore
from agent.mqtt import MqttClient
from agent.pipeline import Pipeline
from agent.topics import Topics

log = logging.getLogger(__name__)
SETTLE_S = 0.3  # retained messages stop coming for this long: all are in
MAX_WAIT_S = 2.0  # however many there are (a busy broker can't hold up a command longer)


@dataclass(frozen=True)
class Reached:
    """What a one-shot command found: whether the service of this site is running (its
    retained status says online), and the link to Home Assistant (connected) if any: the
    caller closes it."""

    service_running: bool
    hass: HassLink | None = None

    def close(self) -> None:
        if self.hass is not None:
            self.hass.close()


def connect_to_the_home(config: Config, client: MqttClient, pipeline: Pipeline) -> Reached:
    """Connect `client` (BrokerError if it can't), read what the broker keeps for the home
    and what Home Assistant's API says of it, and give `pipeline` that home and its states.
    Announces nothing (the service does)."""
    quiet = replace(config.home_assistant, announce=False)
    topics = Topics(config)
    status: list[bytes] = []
    client.subscribe(topics.status, lambda msg: status.append(msg.payload))
    inventory = Inventory(config.home, config.home_assistant.expose)
    states = StateStore()
    link = HomeAssistantLink(
        replace(config, home_assistant=quiet), client, inventory, states, topics
    )
    link.attach()
    hass = hass_link_for(config, inventory, states, link.mark_changed)
    if hass is not None:
        try:
            hass.connect()
        except HassError as exc:
            log.warning("%s: going on without Home Assistant's entities", exc)
            hass = None
    try:
        client.connect_once()
    except BrokerError:
        if hass is not None:
            hass.close()
        raise
    began = time.monotonic()
    while time.monotonic() - began < MAX_WAIT_S:
        if time.monotonic() - max(began, link.last_change) >= SETTLE_S:
            break
        time.sleep(0.02)
    else:
        log.warning("discovery still coming after %.1f s: acting on what came", MAX_WAIT_S)
    snap = inventory.snapshot()
    pipeline.state = device_states(inventory, states)
    pipeline.install(pipeline.prepare(snap.home, snap.hidden, snap.unexposed, snap.withheld))
    if snap.entities:
        log.info("%d discovered entities", snap.entities)
    return Reached(bool(status) and status[-1].strip() == b"online", hass)


def read_the_home(config: Config, pipeline: Pipeline) -> None:
    """`parse`: the devices the service knows, read only; the config's without a broker."""
    client = MqttClient(config.mqtt, f"voice-agent-{config.site.id}-parse-{os.getpid()}")
    try:
        connect_to_the_home(config, client, pipeline).close()
    except BrokerError as exc:
        log.warning("%s: parsing with the config's devices only", exc)
    finally:
        client.stop()
