"""One authenticated connection to Home Assistant's WebSocket API (`/api/websocket`): the
auth handshake, commands answered by id, and events handed to a callback on the reader
thread. The framing is the `websockets` library's (its threaded client); this module only
speaks Home Assistant's JSON messages."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024 * 1024  # bytes: a large home's registries in one message
TIMEOUT_S = 10.0


class HassError(Exception):
    """Home Assistant could not be reached, or it answered a command with an error."""


class HassAuthError(HassError):
    """Home Assistant refused the token."""


class HassUnreachable(HassError):
    """No connection (refused, timed out, lost)."""


def websocket_url(url: str) -> str:
    """`http://host:8123` (as people write it) -> `ws://host:8123/api/websocket`."""
    parts = urlsplit(url.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise HassError(f"not an http(s) or ws(s) URL: {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/api/websocket"):
        path += "/api/websocket"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class HassConnection:
    """Open, authenticated; `request` sends a command and waits for its result; `on_event`
    gets (subscription id, event) on the reader thread; `on_close` once when it ends."""

    def __init__(
        self,
        url: str,
        token: str,
        on_event: Callable[[int, dict[str, Any]], None] = lambda _i, _e: None,
        on_close: Callable[[], None] = lambda: None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.url = websocket_url(url)
        self._on_event = on_event
        self._on_close = on_close
        self._timeout = timeout
        self._lock = threading.Lock()
        self._next_id = 1
        self._waiting: dict[int, Future[Any]] = {}
        self._closed = threading.Event()
        try:
            self._ws: ClientConnection = connect(
                self.url, open_timeout=timeout, max_size=MAX_MESSAGE, proxy=None, legacy=True
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise HassUnreachable(f"cannot connect to {self.url}: {exc}") from None
        try:
            self.version = self._authenticate(token)
        except BaseException:
            self._ws.close()
            raise
        self._reader = threading.Thread(target=self._read, name="hass-read", daemon=True)
        self._reader.start()

    def _receive(self) -> dict[str, Any]:
        try:
            raw = self._ws.recv(timeout=self._timeout)
        except (ConnectionClosed, TimeoutError, OSError) as exc:
            raise HassUnreachable(f"{self.url}: {exc or 'no answer'}") from None
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise HassError(f"{self.url}: not Home Assistant's WebSocket API")
        return message

    def _authenticate(self, token: str) -> str:
        hello = self._receive()
        if hello.get("type") != "auth_required":
            raise HassError(f"{self.url}: not Home Assistant's WebSocket API")
        self._ws.send(json.dumps({"type": "auth", "access_token": token}))
        answer = self._receive()
        if answer.get("type") == "auth_invalid":
            raise HassAuthError(f"Home Assistant refused the token: {answer.get('message')}")
        if answer.get("type") != "auth_ok":
            raise HassError(f"{self.url}: unexpected answer to auth: {answer.get('type')}")
        return str(answer.get("ha_version", "?"))

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, command: dict[str, Any]) -> Future[Any]:
        """Send a command; its future gets the result, or HassError."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closed.is_set():
                future.set_exception(HassUnreachable(f"{self.url}: the connection is closed"))
                return future
            number = self._next_id
            self._next_id += 1
            self._waiting[number] = future
        try:
            self._ws.send(json.dumps({**command, "id": number}))
        except (ConnectionClosed, OSError) as exc:
            with self._lock:
                self._waiting.pop(number, None)
            future.set_exception(HassUnreachable(f"{self.url}: {exc}"))
        return future

    def request(self, command: dict[str, Any], timeout: float | None = None) -> Any:
        """Send a command and wait for its result."""
        future = self.send(command)
        try:
            return future.result(timeout or self._timeout)
        except FutureTimeout:
            raise HassUnreachable(f"{self.url}: no answer to {command.get('type')}") from None

    def _read(self) -> None:
        try:
            for raw in self._ws:
                self._dispatch(raw)
        except (ConnectionClosed, OSError):
            pass
        except Exception:  # a task boundary: the connection ends, the link reconnects
            log.exception("reading from Home Assistant failed")
        finally:
            self._end()

    def _dispatch(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Home Assistant sent something that is not JSON; skipped")
            return
        if not isinstance(message, dict) or not isinstance(message.get("id"), int):
            return
        if message.get("type") == "event" and isinstance(message.get("event"), dict):
            try:
                self._on_event(message["id"], message["event"])
            except Exception:  # one bad event never ends the connection
                log.exception("handling an event from Home Assistant failed")
            return
        if message.get("type") != "result":
            return
        with self._lock:
            future = self._waiting.pop(message["id"], None)
        if future is None:
            return
        if message.get("success"):
            future.set_result(message.get("result"))
        else:
            error = message.get("error")
            why = error.get("message") if isinstance(error, dict) else None
            future.set_exception(HassError(str(why or "an error without a message")))

    def _end(self) -> None:
        with self._lock:
            self._closed.set()
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_exception(HassUnreachable(f"{self.url}: the connection was lost"))
        self._on_close()

    def close(self) -> None:
        self._ws.close()
        self._reader.join(5)
