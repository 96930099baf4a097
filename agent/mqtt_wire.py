"""paho's client, with three things of the wire it does not do for us, and its setting up
(login, TLS, socket options).

- **Packets paho refuses but MQTT 5 allows.** paho drops the connection on a PUBLISH whose
  properties hold U+FEFF (allowed by [MQTT-1.5.4-3]; Mosquitto passes it on): with a
  persistent session the broker then sends the same message again on every reconnect, for
  ever. Such a message is read without its properties (we use none), with a warning.
- **When the last packet came.** `last_in`, and `on_silence` called (with when the silence
  began) when a packet ends a silence longer than `silence_s`: pings keep a working link
  from ever being that quiet, so the link stalled without breaking.
- **Holding.** While `holding`, messages are neither handed on nor acknowledged: the broker
  keeps them in the session for the next start (`voice-agent run` stopping).
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import ssl
import struct
import time
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.exception import MalformedPacket

from agent.config import MqttConfig
from agent.errors import ConfigError

log = logging.getLogger("agent.mqtt")

WARN_EVERY_S = 60.0  # unreadable properties: one warning a minute at most


class WireClient(paho.Client):
    last_in = 0.0  # time.monotonic() of the last packet from the broker (0: none yet)
    silence_s = math.inf
    on_silence: Callable[[float], None] | None = None
    holding = False
    _warned_at = -WARN_EVERY_S

    def _packet_handle(self) -> MQTTErrorCode:
        now, before = time.monotonic(), self.last_in
        self.last_in = now
        if before and now - before > self.silence_s and self.on_silence is not None:
            self.on_silence(before)
        return super()._packet_handle()

    def _handle_publish(self) -> MQTTErrorCode:
        if self.holding:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        try:
            return super()._handle_publish()
        except MalformedPacket as exc:
            message = without_properties(self._in_packet["command"], self._in_packet["packet"])
            if message is None:
                raise
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY_S:
                self._warned_at = now
                log.warning(
                    "a message on %r had MQTT properties paho cannot read (%s); read without them",
                    message.topic,
                    exc,
                )
            message.timestamp = now
            self._handle_on_message(message)
            if message.qos == 1:
                return self._send_puback(message.mid)
            return MQTTErrorCode.MQTT_ERR_SUCCESS


def without_properties(header: int, packet: bytes | bytearray) -> paho.MQTTMessage | None:
    """A PUBLISH packet (after its fixed header) read with its properties skipped; None when
    even that does not fit."""
    try:
        (size,) = struct.unpack_from("!H", packet, 0)
        topic = bytes(packet[2 : 2 + size])
        pos = 2 + size
        qos = (header & 0x06) >> 1
        mid = 0
        if qos > 0:
            (mid,) = struct.unpack_from("!H", packet, pos)
            pos += 2
        length, pos = _varint(packet, pos)
        pos += length
    except (struct.error, ValueError):
        return None
    if pos > len(packet) or qos > 2:
        return None
    message = paho.MQTTMessage(mid=mid, topic=topic)
    message.qos = qos
    message.retain = bool(header & 0x01)
    message.dup = bool(header & 0x08)
    message.payload = bytes(packet[pos:])
    return message


def _varint(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    """An MQTT variable byte integer at `pos`: (value, position after it)."""
    value = 0
    for shift in range(0, 28, 7):
        if pos >= len(data):
            raise ValueError("truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise ValueError("too long")


def set_up(client: paho.Client, cfg: MqttConfig, status_topic: str | None) -> None:
    """The login, TLS, last will, reconnect pace and socket options of `cfg` on `client`;
    ConfigError where the TLS files can't be used."""
    if cfg.username is not None:
        client.username_pw_set(cfg.username, cfg.password)
    if cfg.tls is not None:
        try:
            client.tls_set(
                ca_certs=cfg.tls.ca_file,
                certfile=cfg.tls.cert_file,
                keyfile=cfg.tls.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConfigError(
                [
                    f"cannot use the TLS files in mqtt.tls: {exc} (point mqtt.tls.ca_file,"
                    " cert_file and key_file at PEM files)"
                ]
            ) from None
        client.tls_insecure_set(cfg.tls.insecure)
    if status_topic is not None:
        client.will_set(status_topic, "offline", qos=1, retain=True)
    client.reconnect_delay_set(min_delay=1, max_delay=1)
    client.max_inflight_messages_set(200)
    client.on_socket_open = _no_delay
    client.on_publish = _acked


def _no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Small messages leave at once (Nagle's algorithm held them for tens of ms)."""
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def _acked(client: paho.Client, userdata: object, mid: int, reason: object, props: object) -> None:
    _quick_ack(client.socket())


def _quick_ack(sock: object) -> None:
    """Acknowledge the broker's packet now. Mosquitto holds a small packet while an earlier
    one is unacknowledged (Nagle), and Linux delays acknowledgements up to 40 ms: a command
    sent to seven lights waited that long for the acknowledgements after the first."""
    if _QUICKACK is not None and isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


def short_reason(exc: BaseException | None) -> str:
    """A short reason, TLS problems said as such."""
    if exc is None:
        return "unknown error"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted: {exc.verify_message} "
            "(check mqtt.tls.ca_file, and that mqtt.host is the name in the certificate)"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc} (is the port TLS? check mqtt.tls and mqtt.port)"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__
