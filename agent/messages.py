"""Typed messages that flow between the stages: text -> Intent -> targets -> Actions -> Reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.intents import IntentName

SlotValue = int | float | str


@dataclass(frozen=True)
class Slots:
    """What was heard, before resolving: names as spoken, values normalised."""

    device: str | None = None
    area: str | None = None
    value: SlotValue | None = None
    direction: str | None = None  # "up" or "down" for relative changes
    media: str | None = None  # what to play, as heard: "jazz", "the album blue"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Transcript:
    """Text entering the loop, from the command line, MQTT or speech recognition."""

    text: str
    source: str = "text"  # the way in: text, mqtt, voice
    sender: str = ""  # who said it, where the way in tells (a "source" in a JSON payload)
    received: float | None = None  # time.monotonic() when it arrived

    @property
    def who(self) -> str:
        """Whose confirmation a "yes" from here answers."""
        return f"{self.source}:{self.sender or self.source}"  # plain text over MQTT: "mqtt"


@dataclass(frozen=True)
class Intent:
    name: IntentName
    slots: Slots = field(default_factory=Slots)
    confidence: float = 1.0
    tier: str = "template"
    # the tier was not sure enough to say what this is (below the confidence threshold, the
    # one place it is applied: agent/understand/cascade.py); the reply asks to say it again
    unsure: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.name,
            "slots": self.slots.to_dict(),
            "confidence": round(self.confidence, 4),
            "tier": self.tier,
        }


@dataclass(frozen=True)
class Action:
    """One MQTT message for one device."""

    device_id: str
    topic: str
    payload: str
    qos: int = 1
    retain: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device_id, "topic": self.topic, "payload": self.payload}


@dataclass(frozen=True)
class ServiceCall:
    """One Home Assistant service call for one entity, over its WebSocket API: `light.turn_on`
    with `data` ({"brightness_pct": 40}) on `entity_id`."""

    device_id: str
    entity_id: str
    domain: str
    service: str
    data: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.domain}.{self.service}"

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device_id, "service": self.name, "data": dict(self.data)}


Act = Action | ServiceCall  # what the agent does to one device: a message, or a service call


@dataclass(frozen=True)
class Outcome:
    """Everything the agent decided about one utterance; the intent event is built from it."""

    text: str
    intent: Intent
    targets: tuple[str, ...]
    actions: tuple[Act, ...]
    response: str
    latency_ms: float = 0.0
    parts: tuple[Outcome, ...] = ()  # one per command when a sentence held several

    def to_dict(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent.name,
            "slots": self.intent.slots.to_dict(),
            "targets": list(self.targets),
            "confidence": round(self.intent.confidence, 4),
            "tier": self.intent.tier,
            "actions": [a.to_dict() for a in self.actions],
            "response": self.response,
            "latency_ms": round(self.latency_ms, 3),
        }
        if self.parts:
            event["commands"] = [
                {
                    "intent": p.intent.name,
                    "slots": p.intent.slots.to_dict(),
                    "targets": list(p.targets),
                    "response": p.response,
                }
                for p in self.parts
            ]
        return event
