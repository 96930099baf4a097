"""The paho-mqtt adapter: connect (once, or for good with backoff), last will, subscriptions
made in on_connect so they survive reconnects, QoS 1 publishing."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from agent.config import MqttConfig
from agent.errors import BrokerError
from agent.messages import Action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


Handler = Callable[[Message], None]


class MqttClient:
    def __init__(
        self,
        cfg: MqttConfig,
        client_id: str,
        *,
        status_topic: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.status_topic = status_topic
        self._subs: dict[str, Handler] = {}  # exact topics
        self._filters: dict[str, Handler] = {}  # with + or #
        self._sub_lock = threading.Lock()
        self.on_connected: list[Callable[[], None]] = []  # after each (re)connect
        self._connected = threading.Event()
        self._stopping = False
        self._refused: str | None = None
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311
        )
        if cfg.username is not None:
            self._client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls is not None:
            self._client.tls_set(
                ca_certs=cfg.tls.ca_file,
                certfile=cfg.tls.cert_file,
                keyfile=cfg.tls.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
            self._client.tls_insecure_set(cfg.tls.insecure)
        if status_topic is not None:
            self._client.will_set(status_topic, "offline", qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    # -- callbacks (paho's network thread) --------------------------------------------------
    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            log.error("MQTT broker %s refused the connection: %s", self.where, reason)
            return
        self._refused = None
        log.info("connected to MQTT broker %s", self.where)
        with self._sub_lock:
            topics = [*self._subs, *self._filters]
        if topics:
            client.subscribe([(t, 1) for t in topics])
        if self.status_topic is not None:
            client.publish(self.status_topic, "online", qos=1, retain=True)
        self._connected.set()
        for hook in self.on_connected:
            try:
                hook()
            except Exception:  # a task boundary: a hook never breaks the connection
                log.exception("after connecting")

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("lost the MQTT broker %s (%s); reconnecting", self.where, reason)
        self._connected.clear()

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._sub_lock:
            handler = self._subs.get(msg.topic)
            if handler is None:
                handler = next(
                    (h for f, h in self._filters.items() if paho.topic_matches_sub(f, msg.topic)),
                    None,
                )
        if handler is None:
            return
        try:
            handler(Message(msg.topic, bytes(msg.payload), bool(msg.retain)))
        except Exception:  # a task boundary: one bad message never stops the client
            log.exception("handling a message on %s failed", msg.topic)

    # -- use ------------------------------------------------------------------------------
    def subscribe(self, topic: str, handler: Handler) -> None:
        """(Re)subscribed on every connect; at once too when connected already. Filters with
        + and # are matched when no exact topic is."""
        with self._sub_lock:
            table = self._filters if ("+" in topic or "#" in topic) else self._subs
            new = topic not in table
            table[topic] = handler
        if new and self._connected.is_set():
            self._client.subscribe(topic, qos=1)

    def connect_once(self, timeout: float = 5.0) -> None:
        """Connect now or raise BrokerError with a message a user can act on."""
        try:
            self._client.connect(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive)
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise BrokerError(
                f"cannot connect to the MQTT broker at {self.where}: {reason} "
                "(is Mosquitto running? check mqtt.host and mqtt.port in the config)"
            ) from None
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self._client.loop_stop()
            why = self._refused or "no answer"
            raise BrokerError(f"the MQTT broker at {self.where} did not accept us: {why}")

    def start(self) -> None:
        """Connect in the background and keep reconnecting with backoff (1 s up to 30 s)."""
        self._client.connect_async(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive)
        self._client.loop_start()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(self, topic: str, payload: str, *, qos: int = 1, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS and info.rc != paho.MQTT_ERR_NO_CONN:
            log.error("publishing to %s failed: %s", topic, paho.error_string(info.rc))

    def send(self, action: Action, timeout: float = 5.0) -> None:
        """Publish one action and wait until the broker has it (QoS 1)."""
        info = self._client.publish(
            action.topic, action.payload, qos=action.qos, retain=action.retain
        )
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            raise BrokerError(f"could not publish to {action.topic}: {exc}") from None
        if not info.is_published():
            raise BrokerError(f"the broker at {self.where} did not acknowledge {action.topic}")

    def stop(self) -> None:
        self._stopping = True
        if self.status_topic is not None and self._connected.is_set():
            info = self._client.publish(self.status_topic, "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self._client.disconnect()
        self._client.loop_stop()
