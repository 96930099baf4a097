"""Which device messages unlock a lock or open a way in, whichever device sends them: a
"light" announced on a garage door's topic with the door's open payload needs a "yes" too.
Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from agent.act.command import Command
from agent.act.dispatch import actions_for
from agent.errors import UnsupportedCommand
from agent.home.inventory import Device
from agent.intents import IntentName
from agent.messages import Act, ServiceCall

# The intents whose messages can open a way in (an opener relay answers ON and OFF alike).
_OPENING: tuple[IntentName, ...] = ("unlock", "open", "turn_on", "turn_off", "activate_scene")
MAX_JSON_KEY = 4096  # characters: a longer JSON payload is compared as text


@dataclass(frozen=True)
class Sensitive:
    """The messages that unlock a lock or open a way in: (topic, `payload_key`); and the
    Home Assistant service calls that do: (entity id, service)."""

    messages: frozenset[tuple[str, str]]
    calls: frozenset[tuple[str, str]] = frozenset()

    def touches(self, action: Act) -> bool:
        """Payloads compare as a device would likely read them ("open ", "Open" and "OPEN"
        alike); "unlock", or Zigbee2MQTT's {"state": "UNLOCK"}, on any topic (a lock left
        out of the inventory is still a lock)."""
        if isinstance(action, ServiceCall):
            return action.service == "unlock" or (action.entity_id, action.name) in self.calls
        key = payload_key(action.payload)
        return _unlocks(key) or (action.topic, key) in self.messages


def payload_key(payload: str) -> str:
    """Stripped and case-folded; a JSON object also without its spacing and key order."""
    text = payload.strip()
    if text.startswith("{") and len(text) <= MAX_JSON_KEY:
        try:
            body = json.loads(text)
            if isinstance(body, dict):
                text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        except (ValueError, RecursionError):
            pass
    return text.casefold()


def _unlocks(key: str) -> bool:
    """`key` (see `payload_key`) is "unlock", or a JSON object whose state is."""
    if key == "unlock":
        return True
    if not (key.startswith("{") and '"unlock"' in key and len(key) <= MAX_JSON_KEY):
        return False
    try:
        body = json.loads(key)
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("state") == "unlock"


def opens_a_way_in(device: Device) -> bool:
    """A lock, or anything whose messages can open a door, gate or garage door."""
    return any(device.is_sensitive(intent) for intent in _OPENING)


def sensitive_messages(devices: Iterable[Device]) -> Sensitive:
    messages: set[tuple[str, str]] = set()
    calls: set[tuple[str, str]] = set()
    for device in devices:
        for intent in _OPENING:
            if device.is_sensitive(intent):
                try:
                    found = actions_for(device, Command(intent))
                except UnsupportedCommand:
                    continue
                for a in found:
                    if isinstance(a, ServiceCall):
                        calls.add((a.entity_id, a.name))
                    else:
                        messages.add((a.topic, payload_key(a.payload)))
    return Sensitive(frozenset(messages), frozenset(calls))
