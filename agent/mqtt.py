"""The paho-mqtt adapter, MQTT 5.

- **Sessions.** One session, resumed on every connect (a restart within the max age too),
  expiring at the broker `mqtt.command_max_age_s` after we went away: commands sent while we
  reconnect wait at the broker for us, and none waits longer than that. (Mosquitto keeps a
  session in its database across its own restarts only if it did not start clean.) A
  command the broker delivers again after an outage (DUP, same packet id and payload) is
  not acted on twice. Reconnects are tried every second.
- **One subscription table.** The agent's own topics (`subscribe`) and topics the broker told
  us about (`watch`: state topics from discovery, untrusted) are kept apart: a watched topic
  is refused when it is malformed or is, or falls under, one of ours or a reserved topic, so
  nothing announced can displace a handler of ours. `unwatch` unsubscribes.
- **Nothing heavy on paho's thread.** Own handlers must be quick (they queue); watched
  topics and handlers marked `slow` run on a worker thread, so no message can stall the
  network thread (pings, acknowledgements, commands).
- **Publishing.** TCP_NODELAY on the socket; `send` publishes a command's messages at once
  and then waits for all the acknowledgements; a message that was not acknowledged in time
  is reported failed and taken out of paho's queue, so it is never sent later.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from agent.config import MqttConfig
from agent.errors import BrokerError
from agent.messages import Action
from agent.mqtt_link import Link, keepalive_for, status_ttl
from agent.mqtt_routing import MAX_WORK_PAYLOAD, Handler, Message, Subscriptions, Worker
from agent.mqtt_wire import WireClient, set_up, short_reason

log = logging.getLogger(__name__)

SUBSCRIBE_BATCH = 64  # topics per SUBSCRIBE packet on (re)connect
STUCK_S = 20.0  # the worker on one message this long: the agent is not healthy
COMMAND_PACKET = 1024 * 1024  # the largest packet the broker may send the command connection


class MqttClient:
    def __init__(
        self,
        cfg: MqttConfig,
        client_id: str,
        *,
        status_topic: str | None = None,
        reserved: Sequence[str] = (),
        persistent: bool = True,
        probe_topic: str | None = None,
    ) -> None:
        """`persistent`: resume the session across reconnects (commands wait for us at the
        broker); without, every connect starts clean (retained messages come again) and
        subscriptions are QoS 0. `probe_topic` (persistent only; one of ours): where we
        send ourselves a message to learn that nothing older waits for us any more."""
        self.cfg = cfg
        self.persistent = persistent
        # the command connection's keepalive bounds a stalled link; the other's need not
        self.keepalive = keepalive_for(cfg) if persistent else cfg.keepalive
        # Subscriptions: QoS 1 where messages must wait for us; QoS 0 otherwise, which the
        # broker sends at once instead of queueing (Mosquitto queues 1000 per client and
        # dropped the rest of a large home's discovery configs).
        self._qos = 1 if persistent else 0
        self.status_topic = status_topic
        self._subs = Subscriptions(reserved)
        self._sub_lock = threading.Lock()
        self.on_connected: list[Callable[[], None]] = []  # after each (re)connect
        self._connected = threading.Event()
        self._stopping = False
        self._refused: str | None = None
        self._last_failure: str | None = None
        self._accepted_once = False
        self.worker = Worker()
        self._seen: deque[tuple[float, tuple[int, bytes]]] = deque()  # handled, for DUPs
        self._client = WireClient(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        self._link: Link | None = None
        if persistent and probe_topic is not None:
            link = self._link = Link(probe_topic, self._send_probe, keepalive=self.keepalive)
            self._client.silence_s = self.keepalive + 2.0  # a ping is answered before that
            self._client.on_silence = link.silence
            self.subscribe(probe_topic, lambda msg: link.on_probe(msg.payload))
        set_up(self._client, cfg, status_topic)
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if self.persistent:
            props.SessionExpiryInterval = max(1, int(self.cfg.command_max_age_s))
            props.MaximumPacketSize = COMMAND_PACKET
        else:
            props.MaximumPacketSize = MAX_WORK_PAYLOAD + 64 * 1024
        return props

    # -- callbacks (paho's network thread) --------------------------------------------------
    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        try:
            self._connected_now(client, reason)
            if self._link is not None and not reason.is_failure:
                self._link.connected(bool(getattr(flags, "session_present", False)))
        except Exception:  # a task boundary: paho's thread must never die in a callback
            log.exception("after connecting to %s", self.where)

    def _connected_now(self, client: paho.Client, reason: ReasonCode) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._failed(f"the MQTT broker {self.where} refused the connection: {reason}")
            return
        self._refused = None
        self._last_failure = None
        self._accepted_once = True
        if self.persistent:
            log.info("connected to MQTT broker %s", self.where)
        else:
            log.info("discovery and states: connected to %s", self.where)
        with self._sub_lock:
            topics = self._subs.topics()
        for i in range(0, len(topics), SUBSCRIBE_BATCH):
            try:
                client.subscribe([(t, self._qos) for t in topics[i : i + SUBSCRIBE_BATCH]])
            except ValueError as exc:  # never expected: every topic was checked when added
                log.error("cannot subscribe to a batch of topics: %s", exc)
        if self.status_topic is not None:
            self.publish_status()
        self._connected.set()
        for hook in self.on_connected:
            try:
                hook()
            except Exception:  # a task boundary: a hook never breaks the connection
                log.exception("after connecting")

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        exc = sys.exc_info()[1]  # paho calls this inside its `except OSError`
        self._failed(f"cannot connect to the MQTT broker at {self.where}: {short_reason(exc)}")

    def _failed(self, text: str) -> None:
        """Logged once per distinct reason, again after a success: retried every second. The
        second connection (not `persistent`) leaves saying it to the first."""
        if text != self._last_failure and self.persistent:
            self._last_failure = text
            log.error("%s; retrying every second", text)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            what = "the MQTT broker" if self.persistent else "the discovery connection to"
            log.warning("lost %s %s (%s); reconnecting", what, self.where, reason)
        elif not self._stopping and not self._connected.is_set() and self._accepted_once:
            self._failed(f"no answer from the MQTT broker at {self.where} ({reason})")
        elif not self._stopping and not self._connected.is_set():
            hint = "" if self.cfg.tls is not None else " (is that port TLS only? see mqtt.tls)"
            self._failed(
                f"the MQTT broker at {self.where} closed the connection before accepting us"
                f" ({reason}){hint}"
            )
        self._connected.clear()
        if self._link is not None:
            self._link.lost(self._client.last_in)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            return  # the broker never forwards such topics; nothing of ours could match
        with self._sub_lock:
            found = self._subs.lookup(topic)
        if found is None:
            return
        handler, slow = found
        now = time.monotonic()
        since = now if self._link is None else self._link.since(now)
        message = Message(topic, bytes(msg.payload), bool(msg.retain), since)
        if not slow and self._again(msg, message):
            log.info("not acting twice on a command the broker delivered again (%s)", topic)
            return
        if slow:
            self.worker.put(handler, message)
            return
        try:
            handler(message)
        except Exception:  # a task boundary: one bad message never stops the client
            log.exception("handling a message on %s failed", topic)

    def _again(self, msg: paho.MQTTMessage, message: Message) -> bool:
        """Whether this is a redelivery (DUP) of a message handled in the last max age."""
        now = message.received
        horizon = now - self.cfg.command_max_age_s - 5
        while self._seen and self._seen[0][0] < horizon:
            self._seen.popleft()
        key = (msg.mid, message.payload)
        if msg.dup and any(k == key for _, k in self._seen):
            return True
        if msg.qos > 0:
            self._seen.append((now, key))
            if len(self._seen) > 10_000:
                self._seen.popleft()
        return False

    # -- use ------------------------------------------------------------------------------
    def subscribe(self, topic: str, handler: Handler, *, slow: bool = False) -> None:
        """One of the agent's own topics (filters with + and # allowed). (Re)subscribed on
        every connect. `slow` handlers run on the worker thread; others must be quick."""
        with self._sub_lock:
            new = topic not in self._subs.own
            self._subs.add_own(topic, handler, slow)
        if new and self._connected.is_set():
            self._client.subscribe(topic, qos=self._qos)

    def watch(self, topic: str, handler: Handler) -> str | None:
        """Subscribe to a topic the broker told us about; its handler runs on the worker.
        Returns why it was refused, or None."""
        with self._sub_lock:
            problem = self._subs.watch_problem(topic)
            if problem is not None:
                return problem
            new = topic not in self._subs.watched
            self._subs.watched[topic] = handler
        if new and self._connected.is_set():
            try:
                self._client.subscribe(topic, qos=self._qos)
            except ValueError as exc:
                with self._sub_lock:
                    self._subs.watched.pop(topic, None)
                return str(exc)
        return None

    def unwatch(self, topic: str) -> None:
        with self._sub_lock:
            if self._subs.watched.pop(topic, None) is None:
                return
        if self._connected.is_set():
            with contextlib.suppress(ValueError):
                self._client.unsubscribe(topic)

    def connect_once(self, timeout: float = 5.0) -> None:
        """Connect now or raise BrokerError with a message a user can act on."""
        try:
            self._client.connect(
                self.cfg.host,
                self.cfg.port,
                keepalive=self.keepalive,
                clean_start=True,
                properties=self._connect_properties(),
            )
        except (OSError, ssl.SSLError) as exc:
            raise BrokerError(
                f"cannot connect to the MQTT broker at {self.where}: {short_reason(exc)} "
                "(is Mosquitto running? check mqtt.host and mqtt.port in the config)"
            ) from None
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self._client.loop_stop()
            why = self._refused or "no answer"
            raise BrokerError(f"the MQTT broker at {self.where} did not accept us: {why}")

    def start(self) -> None:
        """Connect in the background and keep reconnecting (every second)."""
        self._client.connect_async(
            self.cfg.host,
            self.cfg.port,
            keepalive=self.keepalive,
            clean_start=not self.persistent,
            properties=self._connect_properties(),
        )
        self._client.loop_start()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def health(self) -> str | None:
        """Why the client is not working (None when it is): paho's thread gone, the worker
        gone or stuck on one message, or "connected" without a packet from the broker for
        two keepalives (paho would have noticed a dead link by then)."""
        thread = getattr(self._client, "_thread", None)
        if thread is None or not thread.is_alive():
            return "the MQTT network thread is not running"
        if not self.worker.alive:
            return "the MQTT worker thread is not running"
        if self.worker.busy_for() > STUCK_S:
            return f"one MQTT message has kept the worker busy for {self.worker.busy_for():.0f} s"
        last_in = getattr(self._client, "_last_bytes_received", None)  # paho's monotonic time
        quiet = time.monotonic() - last_in if isinstance(last_in, float) else 0.0
        if self._connected.is_set() and quiet > 2 * self.keepalive + 10:
            return f"connected, but nothing from the broker for {quiet:.0f} s (not even a ping)"
        return None

    def publish(
        self, topic: str, payload: str | bytes, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Fire and forget (events, replies): dropped, not queued, while disconnected."""
        if not self._connected.is_set():
            log.debug("not connected; not publishing to %s", topic)
            return
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS and info.rc != paho.MQTT_ERR_NO_CONN:
            log.error("publishing to %s failed: %s", topic, paho.error_string(info.rc))

    def publish_status(self) -> None:
        """Retained "online" that expires unless refreshed (`STATUS_TTL_S`): a broker that
        outlives us, or restarts from its database, never says we are online for long."""
        if self.status_topic is None:
            return
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.MessageExpiryInterval = status_ttl(self.keepalive)
        self._client.publish(self.status_topic, "online", qos=1, retain=True, properties=props)

    def send(self, action: Action, timeout: float = 5.0) -> None:
        self.send_all((action,), timeout)

    def send_all(self, actions: Sequence[Action], timeout: float = 5.0) -> None:
        """Publish a command's messages together, then wait until the broker has them all
        (QoS 1). BrokerError when not connected or not acknowledged in time; what was not
        acknowledged is dropped, never sent later."""
        if not actions:
            return
        if not self._connected.is_set():
            raise BrokerError(f"not connected to the MQTT broker at {self.where}; nothing sent")
        publish = self._client.publish
        sent = [(a, publish(a.topic, a.payload, a.qos, a.retain)) for a in actions]
        deadline = time.monotonic() + timeout
        failed: list[str] = []
        for action, info in sent:
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                failed.append(action.topic)
                self._abandon(info.mid)
        if failed:
            raise BrokerError(
                f"the broker at {self.where} did not acknowledge {', '.join(failed)}; "
                "not sent (it will not be sent later either)"
            )

    def _abandon(self, mid: int) -> None:
        """Take an unacknowledged message out of paho's queue so no reconnect sends it."""
        client = self._client
        lock = getattr(client, "_out_message_mutex", None)
        messages = getattr(client, "_out_messages", None)
        if lock is None or messages is None:
            return
        with lock:
            msg = messages.pop(mid, None)
            if msg is not None and msg.state == paho.mqtt_ms_wait_for_puback:
                client._inflight_messages = max(0, client._inflight_messages - 1)

    def _send_probe(self, topic: str, payload: str) -> None:
        self._client.publish(topic, payload, qos=1)

    def hold(self) -> None:
        """Take no more messages: what arrives from now on stays unacknowledged, and the
        broker keeps it in the session for the next start."""
        self._client.holding = True

    def stop(self) -> None:
        self._stopping = True
        if self.status_topic is not None and self._connected.is_set():
            info = self._client.publish(self.status_topic, "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self._client.disconnect()
        self._client.loop_stop()
        self.worker.stop()
