"""The link to Home Assistant over its WebSocket API (home_assistant.url): its areas,
entities, aliases and exposure read into the inventory on connect and again whenever a
registry changes; entity states kept live from `state_changed` events; service calls made
for the devices it holds. Optional and never fatal: when Home Assistant is away the link
retries with backoff, the MQTT devices go on, and its own entities answer that it is not
reachable. The thin adapter: reading is agent/home/hass_registry.py, merging
agent/home/hass_merge.py, the connection agent/hass_ws.py."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from agent.config import Config
from agent.hass_ws import HassAuthError, HassConnection, HassError, HassUnreachable
from agent.home.hass_merge import state_key
from agent.home.hass_registry import hass_state, read_home
from agent.home.live import Inventory
from agent.home.state import StateStore
from agent.language.phrases import replies
from agent.messages import Outcome, ServiceCall

log = logging.getLogger(__name__)
EVENTS = (
    "state_changed",
    "area_registry_updated",
    "floor_registry_updated",
    "device_registry_updated",
    "entity_registry_updated",
)
LISTS = {
    "areas": "config/area_registry/list",
    "floors": "config/floor_registry/list",  # not in every release: empty where unknown
    "devices": "config/device_registry/list",
    "registry": "config/entity_registry/list",
    "states": "get_states",
    "exposed_list": "homeassistant/expose_entity/list",
}
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
AUTH_RETRY_S = 60.0  # a refused token: tried again this rarely (a new one may be put in)
RELOAD_QUIET_S = 0.2  # registry changes come in bursts: read again once they pause
CALL_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CallResult:
    call: ServiceCall
    error: str | None  # None: done; else why not ("unreachable", or Home Assistant's words)
    unreachable: bool = False


class HassLink:
    """`on_change` is called (on the link's thread) when the inventory changed."""

    def __init__(
        self,
        url: str,
        token: str,
        inventory: Inventory,
        states: StateStore,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.url = url
        self._token = token
        self._inventory = inventory
        self._states = states
        self._on_change = on_change
        self._conn: HassConnection | None = None
        self._reload = threading.Event()
        self._gone = threading.Event()
        self._known: set[object] = set()  # every entity id Home Assistant had last time
        self._used: set[str] = set()  # those in the home (exposed, of a kind we know)
        self.version = ""
        self.exposed = 0  # entities exposed to voice, at the last reading

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed

    def run(self, stop: threading.Event) -> None:
        """Connect, read, follow; on loss, again after a backoff. Until `stop`."""
        failures = 0
        while not stop.is_set():
            try:
                conn = self.connect()
            except HassAuthError as exc:
                log.error(
                    "%s: make a new long-lived access token in Home Assistant (your profile, "
                    "Security) and put it in home_assistant.token_file; trying again in %.0f s",
                    exc,
                    AUTH_RETRY_S,
                )
                stop.wait(AUTH_RETRY_S)
                continue
            except HassError as exc:
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                level = logging.WARNING if failures == 0 else logging.DEBUG
                log.log(level, "Home Assistant: %s; trying again in %.0f s", exc, delay)
                failures += 1
                stop.wait(delay)
                continue
            failures = 0
            self._follow(conn, stop)

    def connect(self) -> HassConnection:
        """Connect, subscribe, and read the inventory once (HassError if it can't)."""
        self._gone.clear()
        conn = HassConnection(self.url, self._token, self._event, self._gone.set)
        try:
            for event_type in EVENTS:
                conn.send({"type": "subscribe_events", "event_type": event_type})
            began = time.monotonic()
            count = self._load(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.version = conn.version
        log.info(
            "Home Assistant %s at %s: %d entities exposed to voice, read in %.0f ms",
            conn.version,
            self.url,
            count,
            (time.monotonic() - began) * 1000,
        )
        return conn

    def _follow(self, conn: HassConnection, stop: threading.Event) -> None:
        while not stop.is_set() and not self._gone.is_set():
            if not self._reload.wait(0.5):
                continue
            while self._reload.is_set():  # until the burst pauses
                self._reload.clear()
                time.sleep(RELOAD_QUIET_S)
            try:
                self._load(conn)
            except HassError as exc:
                log.warning("reading Home Assistant's registries again failed: %s", exc)
        self._conn = None
        conn.close()
        if not stop.is_set():
            log.warning("lost the connection to Home Assistant at %s; reconnecting", self.url)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _load(self, conn: HassConnection) -> int:
        """Read the registries, states and exposure into the inventory; how many entities
        are exposed to voice."""
        futures = {name: conn.send({"type": t}) for name, t in LISTS.items()}
        got = {name: _result(name, f) for name, f in futures.items()}
        ids = [
            r["entity_id"]
            for r in got["registry"] or ()
            if isinstance(r, dict) and isinstance(r.get("entity_id"), str)
        ]
        # the entries with their aliases (the plain list leaves them out)
        entries = conn.request({"type": "config/entity_registry/get_entries", "entity_ids": ids})
        home = read_home(
            areas=got["areas"],
            floors=got["floors"],
            devices=got["devices"],
            entities=list(entries.values()) if isinstance(entries, dict) else got["registry"],
            states=got["states"],
            exposed_list=(got["exposed_list"] or {}).get("exposed_entities", {}),
        )
        for entity in home.entities:
            self._states.put(state_key(entity.device.id), entity.state)
        states = got["states"] if isinstance(got["states"], list) else []
        self._known = {s.get("entity_id") for s in states if isinstance(s, dict)}
        self._used = {e.device.id for e in home.entities}
        if self._inventory.set_hass(home):
            self._on_change()
        self.exposed = len(home.entities)
        return self.exposed

    def _event(self, _subscription: int, event: dict[str, Any]) -> None:
        """On the connection's reader thread: states at once; anything else read again."""
        kind = event.get("event_type")
        data = event.get("data")
        if kind != "state_changed" or not isinstance(data, dict):
            self._reload.set()
            return
        entity_id, new = data.get("entity_id"), data.get("new_state")
        if not isinstance(entity_id, str):
            return
        if entity_id not in self._known or not isinstance(new, dict):
            self._reload.set()  # a new entity, or one removed
            return
        if entity_id not in self._used:
            return  # not one of ours (an input_boolean, an unexposed sensor)
        attributes = new.get("attributes")
        self._states.put(
            state_key(entity_id),
            hass_state(
                entity_id.split(".", 1)[0],
                new.get("state"),
                attributes if isinstance(attributes, dict) else {},
            ),
        )

    def call(self, calls: Sequence[ServiceCall]) -> list[CallResult]:
        """Make the service calls (all sent, then each answer awaited)."""
        conn = self._conn
        if conn is None or conn.closed:
            return [CallResult(c, "not reachable", unreachable=True) for c in calls]
        sent = [
            (
                c,
                conn.send(
                    {
                        "type": "call_service",
                        "domain": c.domain,
                        "service": c.service,
                        "service_data": dict(c.data),
                        "target": {"entity_id": c.entity_id},
                    }
                ),
            )
            for c in calls
        ]
        results = []
        for c, future in sent:
            try:
                future.result(CALL_TIMEOUT_S)
                results.append(CallResult(c, None))
            except HassUnreachable as exc:
                results.append(CallResult(c, str(exc), unreachable=True))
            except HassError as exc:
                log.warning("Home Assistant refused %s on %s: %s", c.name, c.entity_id, exc)
                results.append(CallResult(c, str(exc)))
            except TimeoutError:
                results.append(CallResult(c, "no answer", unreachable=True))
        return results


def _result(name: str, future: Future[Any]) -> Any:
    """A list's result; an unknown command (an older Home Assistant) reads as empty."""
    try:
        return future.result(CALL_TIMEOUT_S)
    except HassUnreachable:
        raise
    except HassError as exc:
        if name in ("floors", "exposed_list"):
            log.debug("Home Assistant has no %s: %s", name, exc)
            return None
        raise
    except TimeoutError:
        raise HassUnreachable(f"no answer to {LISTS[name]}") from None


def hass_link_for(
    config: Config, inventory: Inventory, states: StateStore, on_change: Callable[[], None]
) -> HassLink | None:
    """The link the config asks for (home_assistant.url), or None."""
    ha = config.home_assistant
    if not ha.url or not ha.token:
        return None
    return HassLink(ha.url, ha.token, inventory, states, on_change)


def call_all(link: HassLink | None, calls: Sequence[ServiceCall]) -> list[CallResult]:
    """The calls made through `link`; without one, each is unreachable."""
    if link is None:
        return [CallResult(c, "no link to Home Assistant", unreachable=True) for c in calls]
    return link.call(calls)


def with_results(outcome: Outcome, results: Sequence[CallResult]) -> Outcome:
    """The outcome as done: only the calls Home Assistant took stay among its actions, and
    its reply says why the others were not done (alone, when nothing was). Pure."""
    failed = [r for r in results if r.error is not None]
    if not failed:
        return outcome
    words = replies()
    first = failed[0]
    why = (
        words.say("hass_unreachable")
        if first.unreachable
        else words.say("hass_refused", why=_sentence(first.error or ""))
    )
    dropped = {id(r.call) for r in failed}
    actions = tuple(a for a in outcome.actions if id(a) not in dropped)
    response = why if not actions else f"{outcome.response} {why}"
    return replace(outcome, actions=actions, response=response)


def _sentence(text: str) -> str:
    text = " ".join(text.split())[:200] or "no reason given"
    return text if text.endswith((".", "!", "?")) else text + "."
