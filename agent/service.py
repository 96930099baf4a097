"""The long-running loop: text commands from MQTT in, actions, intent events and replies out."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time

from agent import systemd
from agent.config import Config
from agent.ha import HomeAssistantLink
from agent.home.live import Inventory
from agent.home.state import StateStore
from agent.inputs import BadInput, parse_text
from agent.messages import Outcome, Transcript
from agent.mqtt import Message, MqttClient
from agent.pipeline import Pipeline
from agent.topics import Topics
from agent.voice.listener import Listener

log = logging.getLogger(__name__)
QUEUE_SIZE = 64
SETTLE_S = 2.0  # discovery quiet this long before the speech grammar is rebuilt


def publish_outcome(client: MqttClient, topics: Topics, outcome: Outcome) -> None:
    """Send the devices' messages (QoS 1, waiting for the broker), then the event and reply."""
    for action in outcome.actions:
        client.send(action)
    client.publish(topics.intent, json.dumps(outcome.to_dict()))
    client.publish(topics.response, outcome.response)


class Service:
    def __init__(
        self, config: Config, pipeline: Pipeline, client: MqttClient, *, voice: bool = False
    ) -> None:
        self.config = config
        self.pipeline = pipeline
        self.client = client
        self.topics = Topics(config)
        self.inbox: queue.Queue[Transcript] = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = 0
        client.subscribe(self.topics.command, self._on_command)
        # the home as discovery grows it, and what its state topics say
        self.inventory = Inventory(config.home, config.home_assistant.expose)
        self.states = StateStore()
        pipeline.state = self.states.get
        pipeline.set_home(self.inventory.home)
        self.link = HomeAssistantLink(config, client, self.inventory, self.states, self.topics)
        self.link.attach()
        self._voice_version = self.inventory.version
        self.listener: Listener | None = None
        self._stall_logged = False
        if voice:
            self.listener = Listener(
                config.voice,
                self.inventory.home,
                on_command=lambda text: self._enqueue(Transcript(text, "voice")),
                on_listening=lambda on: client.publish(
                    self.topics.listening, "on" if on else "off", retain=True
                ),
                on_partial=lambda text: client.publish(self.topics.partial, text, qos=0),
            )
            client.subscribe(self.topics.listen, self._on_listen)

    def _on_listen(self, msg: Message) -> None:
        if msg.retain:
            log.warning("ignoring a retained message on %s", msg.topic)
            return
        if self.listener is not None:
            log.info("push to talk")
            self.listener.push_to_talk()

    def _on_command(self, msg: Message) -> None:
        if msg.retain:
            log.warning("ignoring a retained message on %s: commands are never replayed", msg.topic)
            return
        try:
            transcript = parse_text(msg.payload, "mqtt")
        except BadInput as exc:
            log.warning("skipping a message on %s: %s", msg.topic, exc)
            return
        self._enqueue(transcript)

    def _enqueue(self, transcript: Transcript) -> None:
        try:
            self.inbox.put_nowait(transcript)
        except queue.Full:
            self.dropped += 1
            log.error(
                "command queue full; dropped %r (%d dropped so far)", transcript.text, self.dropped
            )

    def run(self, stop: threading.Event) -> None:
        """Models are loaded by now; READY goes to systemd once the broker is connected, and
        the watchdog is fed from this loop while the audio loop is alive too."""
        log.info("listening for text on %s", self.topics.command)
        systemd.notify(f"STATUS=connecting to the MQTT broker at {self.client.where}")
        self.client.start()
        voice_thread = None
        if self.listener is not None:
            voice_thread = threading.Thread(
                target=self.listener.run, args=(stop,), name="voice", daemon=True
            )
            voice_thread.start()
        watchdog = systemd.watchdog_seconds()
        ready = False
        next_ping = 0.0
        try:
            while not stop.is_set():
                if not ready and self.client.connected:
                    ready = True
                    systemd.notify("READY=1", f"STATUS=ready, broker {self.client.where}")
                self._take_inventory()
                if watchdog is not None and time.monotonic() >= next_ping:
                    next_ping = time.monotonic() + watchdog / 3
                    if self.healthy(stale_s=watchdog):
                        systemd.notify("WATCHDOG=1")
                try:
                    transcript = self.inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                self.handle(transcript)
        finally:
            if self.listener is not None:
                self.listener.stop()
            if voice_thread is not None:
                voice_thread.join(5)
            self.client.stop()

    def _take_inventory(self) -> None:
        """A changed inventory goes to the pipeline at once, and to the speech grammar once
        discovery has been quiet for a moment (rebuilding it takes a while)."""
        link = self.link
        if link.changed.is_set():
            link.changed.clear()
            home = self.inventory.home
            self.pipeline.set_home(home)
            log.info(
                "inventory: %d devices (%d discovered entities)",
                len(home.devices),
                self.inventory.entity_count,
            )
        if (
            self.listener is not None
            and self._voice_version != self.inventory.version
            and time.monotonic() - link.last_change >= SETTLE_S
        ):
            self._voice_version = self.inventory.version
            self.listener.update_home(self.inventory.home)

    def healthy(self, *, stale_s: float) -> bool:
        """False when the audio loop has taken no audio for `stale_s` (hung): the watchdog
        then goes unfed and systemd restarts the agent."""
        if self.listener is None:
            return True
        stalled = self.listener.stalled_for()
        if stalled < stale_s:
            self._stall_logged = False
            return True
        if not self._stall_logged:
            self._stall_logged = True
            log.error(
                "the audio loop has taken no audio for %.0f s; no longer feeding the watchdog",
                stalled,
            )
        return False

    def handle(self, transcript: Transcript) -> None:
        try:
            outcome = self.pipeline.handle(transcript.text)
            log.info(
                "%r -> %s %s: %s",
                transcript.text,
                outcome.intent.name,
                ",".join(outcome.targets) or "-",
                outcome.response,
            )
            publish_outcome(self.client, self.topics, outcome)
        except Exception:  # a task boundary: the service never dies on one command
            log.exception("handling %r failed", transcript.text)
