"""Labelled training sentences: text (normalised as the agent sees it), slot spans, intent and
direction. Deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

from agent.language.normalize import normalize, spoken_number
from agent.train import corpus
from agent.train.sampler import Node, Slot, parse, sample

SLOT_OF = {
    "device": "device",
    "scene": "device",
    "lights": "device",
    "climate": "device",
    "reading": "device",
    "area": "area",
    "pct": "value",
    "temp": "value",
    "color": "value",
    "num": "value",
    "level": "value",
    "mute": "value",
    "class": "device",
    "media": "media",
}
INTENT_WEIGHTS = {
    "turn_on": 10,
    "turn_off": 10,
    "set_brightness": 10,
    "set_color": 5,
    "set_temperature": 8,
    "get_state": 7,
    "lock": 4,
    "unlock": 4,
    "open": 5,
    "close": 5,
    "set_position": 4,
    "set_volume": 6,
    "media_play": 3,
    "play_media": 4,
    "stop": 3,
    "media_pause": 3,
    "media_resume": 3,
    "media_next": 3,
    "media_previous": 3,
    "activate_scene": 5,
    "vacuum_start": 4,
    "vacuum_dock": 3,
    "none": 16,
}
DOMAINS_FOR = {
    "turn_on": {"light": 45, "switch": 22, "fan": 10, "media_player": 10, "climate": 8},
    "turn_off": {"light": 45, "switch": 22, "fan": 10, "media_player": 10, "climate": 8},
    "set_brightness": {"light": 92, "fan": 8},
    "set_color": {"light": 1},
    "set_temperature": {"climate": 1},
    "get_state": {
        "light": 25,
        "switch": 10,
        "cover": 12,
        "lock": 15,
        "climate": 8,
        "sensor": 12,
        "binary_sensor": 10,
        "media_player": 5,
        "fan": 3,
    },
    "lock": {"lock": 1},
    "unlock": {"lock": 1},
    "open": {"cover": 85, "valve": 15},
    "close": {"cover": 85, "valve": 15},
    "set_position": {"cover": 1},
    "stop": {"cover": 1},
    "vacuum_start": {"vacuum": 1},
    "vacuum_dock": {"vacuum": 1},
}
SYLLABLES = [
    "zo",
    "ka",
    "lu",
    "mi",
    "bra",
    "fen",
    "tik",
    "oo",
    "ra",
    "vel",
    "nix",
    "po",
    "dra",
    "qui",
    "sto",
    "ber",
    "lin",
    "ga",
    "mo",
    "tsu",
]
NOUNS = ["light", "lamp", "plug", "fan", "speaker", "strip", "bulb", "heater", "blind"]


@dataclass
class Example:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # char start, end, slot
    intent: str = "none"
    direction: str = ""


@cache
def _parsed(template: str) -> list[Node]:
    return parse(template, corpus.RULES)


def domains(intent: str) -> dict[str, int]:
    """The kinds of device `intent`'s frames were written for, weighted (media intents:
    players)."""
    return DOMAINS_FOR.get(intent, {"media_player": 1})


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _made_up_name(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return f"{word} {rng.choice(NOUNS)}" if rng.random() < 0.6 else word


def _typo(rng: random.Random, text: str) -> str:
    """A misheard or mistyped word: one letter dropped, doubled or swapped."""
    words = text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) < 4:
        return text
    j = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w = w[:j] + w[j + 1 :]
    elif kind < 0.7:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def _number(rng: random.Random, low: int, high: int) -> int:
    n = rng.randint(low, high)
    return round(n / 5) * 5 if rng.random() < 0.6 else n


def _spoken_number(rng: random.Random, n: int) -> str:
    """Digits or words: speech recognisers write numbers as words."""
    if rng.random() < 0.5:
        return str(n)
    return spoken_number(n)


def _fill(slot: str, domain: str, rng: random.Random) -> str:
    if slot == "device":
        if rng.random() < 0.08:
            return _made_up_name(rng)
        name = rng.choice(corpus.DEVICES[domain])
        if rng.random() < 0.25 and domain not in ("media_player", "vacuum", "valve"):
            name = f"{rng.choice(corpus.AREAS)} {name}"
        if rng.random() < 0.07:
            name = _typo(rng, name)
        return name
    if slot == "scene":
        return rng.choice(corpus.SCENES)
    if slot == "area":
        area = rng.choice(corpus.AREAS)
        return _typo(rng, area) if rng.random() < 0.05 else area
    if slot == "pct":
        return rng.choice(corpus.PERCENTS).format(n=_spoken_number(rng, _number(rng, 1, 100)))
    if slot == "temp":
        n = _number(rng, 16, 28) if rng.random() < 0.7 else _number(rng, 60, 80)
        return rng.choice(corpus.TEMPS).format(n=_spoken_number(rng, n))
    if slot == "color":
        return rng.choice(corpus.COLOR_NAMES)
    if slot == "level":
        return rng.choice(corpus.LEVELS)
    if slot == "climate":
        return rng.choice(corpus.CLIMATE_WORDS)
    if slot == "reading":
        return rng.choice(corpus.READINGS)
    if slot == "class":
        return rng.choice(corpus.CLASSES)
    if slot == "media":
        return rng.choice(corpus.MEDIA)
    if slot == "lights":
        return rng.choice(corpus.LIGHTS)
    if slot == "mute":
        return rng.choice(["mute", "silence"])
    if slot == "num":
        return _spoken_number(rng, _number(rng, 0, 100))
    raise ValueError(slot)


def _decorate(rng: random.Random, words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Wake words, fillers, politeness and dropped words, as people speak."""
    out = list(words)
    if rng.random() < 0.12:
        out = [(w, t) for w, t in out if not (t == "" and w in ("the", "to", "my", "a"))] or out
    if rng.random() < 0.15:
        out.append((rng.choice(corpus.POLITE_END), ""))
    if rng.random() < 0.1:
        out.insert(0, (rng.choice(corpus.FILLERS), ""))
    if rng.random() < 0.15:
        out.insert(0, (rng.choice(corpus.WAKE), ""))
    elif rng.random() < 0.05:  # at the end or in the middle: "turn it on alexa"
        out.insert(
            rng.choice([len(out), rng.randrange(len(out) + 1)]), (rng.choice(corpus.WAKE), "")
        )
    return out


def example(rng: random.Random, intent: str | None = None) -> Example:
    intent = intent or _weighted(rng, INTENT_WEIGHTS)
    if intent == "none":
        template, direction = rng.choice(corpus.NONE_FRAMES), ""
        domain = "light"
    else:
        template, direction = rng.choice(corpus.FRAMES[intent])
        domain = _weighted(rng, domains(intent))
    pieces: list[tuple[str, str]] = []
    for item in sample(_parsed(template), rng):
        if isinstance(item, Slot):
            tag = SLOT_OF[item.name] if intent != "none" else ""
            pieces.append((_fill(item.name, domain, rng), tag))
        else:
            pieces.append((item, ""))
    pieces = _decorate(rng, pieces)
    text = ""
    spans: list[tuple[int, int, str]] = []
    for raw, tag in pieces:
        piece = normalize(raw)
        if not piece:
            continue
        if text:
            text += " "
        start = len(text)
        text += piece
        if tag:
            if spans and spans[-1][2] == tag and spans[-1][1] == start - 1:
                spans[-1] = (spans[-1][0], len(text), tag)
            else:
                spans.append((start, len(text), tag))
    return Example(text, spans, intent, direction)


def generate(count: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Example] = []
    tries = 0
    while len(out) < count and tries < count * 5:
        tries += 1
        ex = example(rng)
        if ex.text in seen or not ex.text:
            continue
        seen.add(ex.text)
        out.append(ex)
    return out
