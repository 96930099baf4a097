"""The home a one-shot command (`voice-agent say`) acts in: the service's, as far as the
broker holds it. The config's devices, what retained discovery configs announce (when
home_assistant.discovery is on) and retained states, read within a bounded wait."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace

from agent.config import Config
from agent.errors import BrokerError
from agent.ha import HomeAssistantLink
from agent.home.live import Inventory, device_states
from agent.home.state import StateStore
from agent.mqtt import MqttClient
from agent.pipeline import Pipeline
from agent.topics import Topics

log = logging.getLogger(__name__)
SETTLE_S = 0.3  # retained messages stop coming for this long: all are in
MAX_WAIT_S = 2.0  # however many there are (a busy broker can't hold up a command longer)


def connect_to_the_home(config: Config, client: MqttClient, pipeline: Pipeline) -> bool:
    """Connect `client` (BrokerError if it can't), read what the broker keeps for the home,
    and give `pipeline` that home and its states. Announces nothing (the service does).
    Whether the service of this site is running (its retained status says online)."""
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
    client.connect_once()
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
    return bool(status) and status[-1].strip() == b"online"


def read_the_home(config: Config, pipeline: Pipeline) -> None:
    """`parse`: the devices the service knows, read only; the config's without a broker."""
    client = MqttClient(config.mqtt, f"voice-agent-{config.site.id}-parse-{os.getpid()}")
    try:
        connect_to_the_home(config, client, pipeline)
    except BrokerError as exc:
        log.warning("%s: parsing with the config's devices only", exc)
    finally:
        client.stop()
