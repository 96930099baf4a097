"""What the training sentences are made of: vocabularies and sentence frames per intent,
read from corpus.yaml beside this file (data, not code).

Written for this project; no public test set (SLURP, MASSIVE, home-assistant/intents or
home-assistant-datasets) was used or consulted. Frames use the template syntax; slots:
{device} {area} {pct} {temp} {color} {num} {scene}. Device and area names are drawn from
large vocabularies so the model learns where names sit, not which names exist.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from agent.colors import COLORS

_DATA: dict[str, Any] = yaml.safe_load(
    resources.files("agent.train").joinpath("corpus.yaml").read_text("utf-8")
)
RULES: dict[str, str] = _DATA["rules"]
WAKE: list[str] = _DATA["wake"]
FILLERS: list[str] = _DATA["fillers"]
POLITE_END: list[str] = _DATA["polite_end"]
AREAS: list[str] = _DATA["areas"]
DEVICES: dict[str, list[str]] = _DATA["devices"]
SCENES: list[str] = _DATA["scenes"]
CLIMATE_WORDS: list[str] = _DATA["climate_words"]
READINGS: list[str] = _DATA["readings"]
CLASSES: list[str] = _DATA["classes"]
MEDIA: list[str] = _DATA["media"]
LEVELS: list[str] = _DATA["levels"]
LIGHTS: list[str] = _DATA["lights"]
PERCENTS: list[str] = _DATA["percents"]
TEMPS: list[str] = _DATA["temps"]
COLOR_NAMES = [*list(COLORS), "warm", "cool", "daylight", "soft white", "bright white"]

F = tuple[str, str]  # a frame: (template, direction: "up", "down" or "")
FRAMES: dict[str, list[F]] = {
    intent: [(f, "") if isinstance(f, str) else (f["say"], f["direction"]) for f in frames]
    for intent, frames in _DATA["frames"].items()
}
NONE_FRAMES: list[str] = _DATA["none_frames"]
