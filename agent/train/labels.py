"""Label sets of the joint model; written to labels.json beside the model."""

from agent.intents import INTENTS

DIRECTIONS = ("", "up", "down")
SLOTS = ("device", "area", "value", "media")
TAGS = ("O", *(f"{p}-{s}" for s in SLOTS for p in ("B", "I")))


def as_json() -> dict[str, list[str]]:
    return {"intents": list(INTENTS), "directions": list(DIRECTIONS), "tags": list(TAGS)}
