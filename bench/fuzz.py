"""Hostile input for `voice-agent run`, from a seed: command payloads and Home Assistant
discovery configs (with state messages for what they announce), and the checks a run of
them must pass, judged only from what the broker saw and the agent's log.

Shared by tests/test_hostile.py (a sample, through one agent) and bench/fuzz_bench.py
(thousands, with restarts). Everything here is deterministic for a seed.

The checks (`Verdict`):
- hijacks: the agent publishing to its own command or listen topic, or to a topic a device
  of the config is commanded on for anything but that device (from the `actions` of its
  intent events, and messages on those topics no config device's action accounts for), or
  a discovered entity answering to a config device's name (messages on fuzz/collide/...);
- unconfirmed: UNLOCK on a config lock's topic, OPEN on a config garage door's topic, or an
  opening payload on a discovered garage opener's topic (fuzz/sensitive/...). The fuzz never
  says a yes-word (not even with look-alike letters), so every one of them is unconfirmed;
- tracebacks in the log, and (kept by the caller) hangs and crashes.
"""

# ruff: noqa: RUF001, RUF003  (look-alike letters are the point here)
from __future__ import annotations

import json
import random
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

Message = tuple[str, bytes, bool]  # topic, payload, retain

# -- the home under test -------------------------------------------------------------------

SENTINEL = "turn on the coffee machine"  # the valid command: Tasmota cmnd/coffee/POWER ON
SENTINEL_TOPIC = "cmnd/coffee/POWER"
SENTINEL_PAYLOAD = "ON"
FUZZ_ROOT = "fuzz"  # every topic the fuzz makes up for its devices is under this
SENSITIVE_ROOT = f"{FUZZ_ROOT}/sensitive"  # discovered garage openers command here
COLLIDE_ROOT = f"{FUZZ_ROOT}/collide"  # discovered entities named like config devices
OPENING = ("FUZZ-OPEN", "FUZZ-ON", "FUZZ-PRESS")  # their payloads that open something


@dataclass(frozen=True)
class Home:
    """What the checks need to know of the agent's config."""

    site_topics: dict[str, str]  # command, listen, intent, response, status
    ha_prefix: str
    config_ids: frozenset[str]
    config_names: tuple[str, ...]
    # (MQTT filter, device id) for each topic a config device is commanded on
    config_topics: tuple[tuple[str, str], ...]
    # (filter, word): a message there with the word in it is a sensitive action
    sensitive: tuple[tuple[str, str], ...]
    areas: tuple[str, ...]

    @property
    def command(self) -> str:
        return self.site_topics["command"]

    @property
    def listen(self) -> str:
        return self.site_topics["listen"]

    @property
    def intent(self) -> str:
        return self.site_topics["intent"]

    @property
    def response(self) -> str:
        return self.site_topics["response"]


def home_from_config(path: Path) -> Home:
    """Read the agent's YAML config (as a user wrote it, not through the agent's code)."""
    doc = yaml.safe_load(path.read_text())
    mqtt = doc.get("mqtt") or {}
    prefix = str(mqtt.get("topic_prefix") or "voice-agent").strip("/")
    site = doc["site"]["id"]
    base = f"{prefix}/{site}"
    site_topics = {k: f"{base}/{k}" for k in ("command", "listen", "intent", "response", "status")}
    ha = doc.get("home_assistant") or {}
    ids: set[str] = set()
    names: list[str] = []
    topics: list[tuple[str, str]] = []
    sensitive: list[tuple[str, str]] = []
    for device in doc.get("devices") or []:
        did = device["id"]
        ids.add(did)
        names.append(device.get("name") or did)
        names.extend(device.get("aliases") or [])
        mine: list[str] = []
        if "homeassistant" in device:
            spec = device["homeassistant"] or {}
            mine += [
                v for k, v in spec.items() if k.endswith("_topic") and k != "state_topic" and v
            ]
        elif "zigbee2mqtt" in device:
            spec = device["zigbee2mqtt"]
            mine += [f"{spec.get('base_topic', 'zigbee2mqtt')}/{spec['friendly_name']}/set"]
        elif "tasmota" in device:
            spec = device["tasmota"]
            mine += [f"{spec.get('prefix', 'cmnd')}/{spec['topic']}/+"]
        elif "templates" in device:
            mine += sorted({c["topic"] for c in device["templates"].values()})
        topics += [(t, did) for t in mine]
        domain = did.split(".", 1)[0]
        if domain == "lock":
            sensitive += [(t, "UNLOCK") for t in mine]
        if domain == "cover" and device.get("device_class") in ("garage", "gate", "door"):
            sensitive += [(t, "OPEN") for t in mine]
    areas = tuple(a["name"] for a in doc.get("areas") or [])
    return Home(
        site_topics,
        str(ha.get("prefix") or "homeassistant"),
        frozenset(ids),
        tuple(names),
        tuple(topics),
        tuple(sensitive),
        areas,
    )


def matches(pattern: str, topic: str) -> bool:
    """MQTT filter matching (+ one level, # the rest)."""
    want, have = pattern.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or (level != "+" and level != have[i]):
            return False
    return len(want) == len(have)


# -- words that must never be said -----------------------------------------------------------

YES_WORDS = frozenset(
    ["yes", "yeah", "yea", "yep", "yup", "ya", "yah", "ye", "y", "sure", "ok", "okay", "k",
     "confirm", "confirmed", "confirmation", "correct", "affirmative", "absolutely",
     "definitely", "certainly", "indeed", "aye", "alright", "right", "fine", "true", "agree",
     "agreed", "proceed"]
)  # fmt: skip
YES_PHRASES = ("do it", "go ahead", "please do", "go for it", "make it so", "of course")
# look-alike letters folded back (the agent may fold them too: "уеs" must never confirm)
_LOOKALIKE = str.maketrans(
    "аеорсухѕіјԁһӏԛԝкмнтвАЕОРСУХЅІЈКМНТВοαεικνρτυχΟΑΕΙΚΝΡΤΥΧΖ",
    "aeopcyxsijdhlqwkmhtbAEOPCYXSIJKMHTBoaeikvptuxOAEIKNPTYXZ",
)


def fold(text: str) -> str:
    """Lower case letters, look-alikes and accents folded, format characters dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKE)
    text = unicodedata.normalize("NFKD", text)
    kept = []
    for c in text:
        cat = unicodedata.category(c)
        if cat in ("Mn", "Cf"):
            continue
        kept.append(c.lower() if c.isalnum() else " ")
    return " ".join("".join(kept).split())


def says_yes(payload: bytes) -> bool:
    text = fold(payload.decode("utf-8", "replace"))
    if YES_WORDS.intersection(text.split()):
        return True
    joined = f" {text} "
    return any(f" {p} " in joined for p in YES_PHRASES)


# -- command payloads ------------------------------------------------------------------------

CONFUSABLE = {
    "a": ["а", "ɑ", "𝐚", "ａ"],
    "c": ["с", "ϲ", "𝐜", "ｃ"],
    "e": ["е", "ҽ", "𝐞", "ｅ"],
    "i": ["і", "ı", "𝐢", "ｉ"],
    "l": ["ӏ", "𝐥", "ｌ", "1"],
    "n": ["ո", "𝐧", "ｎ"],
    "o": ["о", "ο", "𝐨", "ｏ", "0"],
    "p": ["р", "𝐩", "ｐ"],
    "s": ["ѕ", "𝐬", "ｓ"],
    "t": ["т", "𝐭", "ｔ"],
    "u": ["υ", "𝐮", "ｕ"],
    "r": ["г", "𝐫", "ｒ"],
}
VERBS = [
    "turn on the {d}", "turn off the {d}", "switch on {d}", "switch off the {d}",
    "open the {d}", "close the {d}", "unlock the {d}", "lock the {d}", "press the {d}",
    "set the {d} to {n}", "set the {d} to {n} percent", "dim the {d} to {n}%", "stop the {d}",
    "make the {d} brighter", "turn the {d} up", "is the {d} on", "what is the {d} set to",
    "set the thermostat to {n}", "set the heating to {n} degrees", "make it {n} degrees",
    "turn on the {d} and open the {d2}", "turn on all the lights in the {a}", "{d}", "{n}",
    "play {junk} on the {d}", "open the {d} in {n} minutes", "unlock the {d} and the {d2}",
    "set the volume to {n}", "turn {d} on", "{d} on", "activate {d}",
]  # fmt: skip
NUMBERS = [
    "0", "-1", "20", "31", "35", "36", "99", "100", "101", "255", "1000", "-40", "21.5",
    "1e308", "1e309", "-1e309", "nan", "inf", "-0", "0x1F", "1_000", "３１", "٣١", "²",
    "twenty", "a hundred", "fifty five", "minus twenty", "half", "9" * 50, "1" * 5000,
]  # fmt: skip
NOISE = [
    "20", "31", "ok 20", "привет 31", "\x1b[31m", "cl𝐨ѕe the blinds", "set the thermostat to 35",
    "\x1b[2J\x1b[H", "\u202eroot\u202c", "\x00", "\ufeff", "\u200b\u200b", "🔥🔥", "%s%n%x",
    "{device}", "{{ value }}", "$(reboot)", "`reboot`", "'; DROP TABLE devices; --",
    "../../etc/passwd", "\\x00\\u0000", "null", "true", "[]", "{}", "{\"text\": \"\"}",
    "turn", "on", "the", "and and and", "hey computer", "hey computer hey computer",
    "alexa", "no", "cancel", "stop", "never mind",
]  # fmt: skip
WORDS = [
    "lamp", "light", "fan", "door", "gate", "garage", "front", "back", "porch", "hall",
    "kitchen", "blinds", "heater", "switch", "sprinkler", "tv", "bedroom", "office", "coffee",
    "machine", "lock", "thermostat", "vacuum", "movie", "night", "desk", "ceiling", "counter",
    "valve", "speaker", "plug", "socket", "outlet", "shed", "attic", "cellar", "patio", "amber",
    "ivory", "north", "south", "upper", "lower", "left", "main", "side", "little", "big", "old",
    "new",
]  # fmt: skip


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        op = rng.randrange(6)
        if op == 0:
            del chars[i]
        elif op == 1:
            chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz "))
        elif op == 2 and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == 3:
            chars.insert(i, rng.choice(["\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff"]))
        elif op == 4:
            chars[i] = chars[i].upper()
        else:
            chars.insert(i, rng.choice(["\t", "  ", "\n", "\r", "\x0b", "\x1b[0m"]))
    return "".join(chars)


def _confusable(rng: random.Random, text: str) -> str:
    return "".join(
        rng.choice(CONFUSABLE[c]) if c in CONFUSABLE and rng.random() < 0.4 else c for c in text
    )


def _near_command(rng: random.Random, names: Sequence[str], areas: Sequence[str]) -> str:
    def device() -> str:
        roll = rng.random()
        if roll < 0.5 and names:
            return rng.choice(names).lower()
        if roll < 0.8:
            return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        return "".join(rng.choice("abcdefghij ") for _ in range(rng.randint(1, 12))).strip()

    text = rng.choice(VERBS).format(
        d=device(),
        d2=device(),
        n=rng.choice(NUMBERS),
        a=rng.choice(areas) if areas and rng.random() < 0.8 else rng.choice(WORDS),
        junk=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))),
    )
    roll = rng.random()
    if roll < 0.2:
        text = _mutate(rng, text)
    elif roll < 0.35:
        text = _confusable(rng, text)
    elif roll < 0.4:
        text = text.upper()
    return text


def _random_text(rng: random.Random) -> str:
    blocks = [(0x20, 0x7E), (0x00, 0x1F), (0x80, 0x2FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x4E80), (0x1F300, 0x1F64F),
              (0x1D400, 0x1D4FF), (0xFF00, 0xFFEF), (0xFFF0, 0xFFFF)]  # fmt: skip
    out = []
    for _ in range(rng.randint(1, 80)):
        lo, hi = rng.choice(blocks)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def _deep_json(rng: random.Random) -> bytes:
    depth = rng.choice([100, 1000, 5000, 30_000])
    kind = rng.randrange(4)
    if kind == 0:
        return ("[" * depth + "]" * depth).encode()
    if kind == 1:
        return ('{"text": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode()
    if kind == 2:
        inner = '{"text": "turn on the hallway light", "x": ' + "[" * depth + "]" * depth + "}"
        return inner.encode()
    return ('{"text": "' + "turn on the desk lamp" + '", "source": ' + "[" * depth).encode()


def _command(rng: random.Random, names: Sequence[str], areas: Sequence[str]) -> bytes:
    kind = rng.random()
    if kind < 0.30:
        return _near_command(rng, names, areas).encode("utf-8", "surrogatepass")
    if kind < 0.40:
        text = _near_command(rng, names, areas)
        body: dict[str, Any] = {"text": text}
        if rng.random() < 0.7:
            body["source"] = rng.choice(["a", "b", "kitchen", "", "mqtt", "voice", "x" * 300])
        return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode()
    if kind < 0.50:
        return rng.choice(NOISE).encode()
    if kind < 0.58:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    if kind < 0.66:
        return _random_text(rng).encode("utf-8", "surrogatepass")
    if kind < 0.70:
        size = rng.choice([1001, 5000, 20_000, 70_000])
        return (rng.choice(["a", "turn on the ", "🔥", "\u200b", "and "]) * size)[:size].encode()
    if kind < 0.74:
        return _deep_json(rng)
    if kind < 0.82:
        number = rng.choice(NUMBERS)
        return rng.choice(
            [number, f"ok {number}", f"привет {number}", f"\x1b[{number}m", f"{number} degrees",
             f"{number}%", f"set {number}", f"to {number}"]
        ).encode()  # fmt: skip
    if kind < 0.90:
        wrong: list[Any] = [
            {"text": 5}, {"text": None}, {"text": ["turn on the desk lamp"]}, {"text": {}},
            {"words": "turn on"}, ["turn on the desk lamp"], "turn on the desk lamp", 20, None,
            {"text": "turn on the desk lamp", "source": 5}, {"text": "turn off the desk lamp",
            "source": {"a": 1}}, {"text": "x" * 2000}, {"text": "\u0000turn on the desk lamp"},
            {"text": "turn on the desk lamp", "source": "\u0000\x1b[31m"},
        ]  # fmt: skip
        return json.dumps(rng.choice(wrong)).encode()
    if kind < 0.94:
        raw = rng.choice(
            ['{"text": ', '{"text": "a" "b"}', '{"text": NaN}', '{"text": 1' + "0" * 5000 + "}",
             '{"text": "\\ud800"}', '{"text": "turn on the desk lamp", "text": 5}', "{" * 10,
             '{"text": "turn on the desk lamp"} trailing', "\ufeff{\"text\": \"hi\"}"]
        )  # fmt: skip
        return raw.encode("utf-8")
    # control characters around a real command
    text = _near_command(rng, names, areas)
    return rng.choice(
        [f"\x00{text}", f"{text}\x00", f"\x1b[31m{text}\x1b[0m", f"\r\n{text}\r\n",
         f"{text}\x07\x08", f"\u202e{text}", f"{text}\ud800"]
    ).encode("utf-8", "surrogatepass")  # fmt: skip


def command_payloads(seed: int, n: int, home: Home, names: Sequence[str] = ()) -> list[bytes]:
    """`n` payloads for the command topic. None says a yes-word, however spelled, nor the
    probe's valid command."""
    rng = random.Random(f"commands-{seed}")
    every = [*home.config_names, *names]
    out: list[bytes] = []
    while len(out) < n:
        payload = _command(rng, every, home.areas)
        if says_yes(payload) or fold(_text_of(payload)) == fold(SENTINEL):
            continue
        out.append(payload)
    return out


# -- discovery configs -----------------------------------------------------------------------

BOMBS = [
    "{{ value" + "|a " * 40 + "x }}",
    "{{ value" + "| a  " * 30 + "}x}",
    "{{ value_json" + "['a']" * 2000 + " }}",
    "{{ value_json" + ".a" * 5000 + " | float }}",
    "{{ value" + " " * 30_000 + "}",
    "{{ value | round(" + "(" * 20_000 + ") }}",
    "{{ value_json" + "[0]" * 3000 + "x }}",
    "{{ value" + "|float" * 20 + "|" + " " * 40 + "x }}",
    # Jinja's own: loops, repetition, wide formats, doubling, recursion, the sandbox's walls
    "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
    "{{ value * 999999999 }}",
    "{{ '%0999999999d' | format(1) }}",
    "{% set a = value ~ value %}" + "{% set a = a ~ a %}" * 60 + "{{ a }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ 9 ** 999999 }}",
]


def _bomb(rng: random.Random) -> str:
    n = rng.randint(30, 45)
    return rng.choice([*BOMBS, "{{ value" + "|a " * n + "x }}", "{{ value" + "|b  " * n + "!}}"])


def _big_int(rng: random.Random) -> str:
    return "9" * rng.choice([4301, 5000, 20_000])


class _Discovery:
    def __init__(self, seed: int, home: Home) -> None:
        self.rng = random.Random(f"discovery-{seed}")
        self.home = home
        self.prefix = home.ha_prefix
        self.i = 0
        self.names: list[str] = []  # what near-commands may call discovered entities
        self.announced: list[str] = []  # config topics with something retained on them
        self.state_topics: list[str] = []  # plain topics the fuzz may publish states to

    # -- helpers ---
    def topic(self, component: str, node: bool = False) -> str:
        self.i += 1
        oid = self.rng.choice([f"fuzz_{self.i}", f"0x{self.i:016x}", f"f-{self.i}", f"é{self.i}"])
        if node:
            return f"{self.prefix}/{component}/node{self.i % 7}/{oid}/config"
        return f"{self.prefix}/{component}/{oid}/config"

    def name(self) -> str:
        words = self.rng.sample(WORDS, self.rng.randint(1, 3))
        return " ".join(w.capitalize() for w in words) + f" {self.i}"

    def bad_topic(self) -> Any:
        own = self.home.site_topics
        return self.rng.choice(
            ["", "#", "+", "a/+/b", "a/#/b", "a#", "+/+", "$SYS/broker/x", "x\u0000y", "\u0000",
             "a/\x1b[31m/b", "x" * 70_000, "a//b", "/", " ", "a/\ud800", 5, None, [], {},
             ["a/b"], True, 1e308, own["command"], own["listen"], own["status"], own["intent"],
             own["response"], f"{self.prefix}/+/+/config", f"{self.prefix}/status",
             f"{self.prefix}/switch/x/config", f"{self.prefix}/#", "voice-agent/#",
             "voice-agent/other-site/command"]
        )  # fmt: skip

    def emit(self, topic: str, body: Any, retain: bool, raw: bytes | None = None) -> Message:
        payload = (
            raw
            if raw is not None
            else json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
        )
        if retain and payload:
            self.announced.append(topic)
        return (topic, payload, retain)

    def valid(self) -> Message:
        rng = self.rng
        component = rng.choice(["light", "switch", "fan", "cover", "sensor", "binary_sensor",
                                "button", "climate", "valve", "scene", "vacuum"])  # fmt: skip
        name = self.name()
        base = f"{FUZZ_ROOT}/dev/{self.i}"
        body: dict[str, Any] = {"name": name, "uniq_id": f"fuzz_{self.i}"}
        if component == "climate":
            body |= {"temp_cmd_t": f"{base}/t/set", "temp_stat_t": f"{base}/t/state",
                     "mode_cmd_t": f"{base}/mode/set", "modes": ["off", "heat"]}  # fmt: skip
        elif component not in ("sensor", "binary_sensor"):
            body["cmd_t"] = f"{base}/set"
        if component != "button" and component != "scene":
            body["stat_t"] = f"{base}/state"
            self.state_topics.append(f"{base}/state")
            if rng.random() < 0.5:
                body["val_tpl"] = rng.choice(
                    ["{{ value }}", "{{ value_json.state }}", "{{ value_json['v'] | float }}",
                     "{{ value | int }}", "{{ value_json.a.b | round(1) }}", "{{value|lower}}"]
                )  # fmt: skip
        if rng.random() < 0.3:
            body["dev"] = {"ids": [f"fuzzdev{self.i}"], "name": f"Fuzz Device {self.i}",
                           "sa": rng.choice([*self.home.areas, "Porch", "Shed"])}  # fmt: skip
        self.names.append(name)
        return self.emit(self.topic(component), body, retain=rng.random() < 0.7)

    def hostile(self) -> Message:
        rng = self.rng
        kind = rng.randrange(22)
        own = self.home.site_topics
        name = self.name()
        i = self.i
        if kind == 0:  # a bad command topic
            comp = rng.choice(["light", "switch", "fan", "button"])
            self.names.append(name)
            body = {"name": name, "cmd_t": self.bad_topic()}
            return self.emit(self.topic(comp), body, True)
        if kind == 1:  # a bad state topic
            comp = rng.choice(["sensor", "binary_sensor", "switch", "light"])
            body = {"name": name, "stat_t": self.bad_topic(), "cmd_t": f"{FUZZ_ROOT}/s/{i}"}
            self.names.append(name)
            return self.emit(self.topic(comp), body, True)
        if kind == 2:  # commands the agent itself
            said = rng.choice(["unlock the front door", "yes", "open the garage door",
                               "turn on the coffee machine", "PRESS", "ON"])  # fmt: skip
            topic = rng.choice([own["command"], own["listen"]])
            comp = rng.choice(["light", "switch", "button"])
            key = "payload_press" if comp == "button" else "pl_on"
            self.names.append(name)
            return self.emit(self.topic(comp), {"name": name, "cmd_t": topic, key: said}, True)
        if kind == 3:  # a config device's topic, a sensitive payload
            topics = [t.replace("+", "POWER") for t, _ in self.home.config_topics]
            comp = rng.choice(["light", "switch", "button", "cover", "fan"])
            said = rng.choice(["UNLOCK", "OPEN", '{"state": "UNLOCK"}', '{"state": "OPEN"}',
                               "ON", "HIJACK"])  # fmt: skip
            body = {"name": name, "cmd_t": rng.choice(topics), "pl_on": said, "pl_open": said,
                    "payload_press": said}  # fmt: skip
            self.names.append(name)
            return self.emit(self.topic(comp), body, True)
        if kind == 4:  # a config device's name (never the coffee machine: it is the probe)
            taken = [n for n in self.home.config_names if "coffee" not in n.lower()]
            comp = rng.choice(["light", "switch", "cover", "fan", "button"])
            body = {"name": rng.choice(taken), "cmd_t": f"{COLLIDE_ROOT}/{i}", "uniq_id": name}
            return self.emit(self.topic(comp), body, True)
        if kind == 5:  # a garage opener in disguise
            comp, label = rng.choice([("cover", "Garage Door"), ("button", "Garage Door Opener"),
                                      ("switch", "Garage Door"), ("cover", "Second Garage Door"),
                                      ("switch", "Second Garage Door")])  # fmt: skip
            body = {"name": label, "cmd_t": f"{SENSITIVE_ROOT}/{i}", "pl_on": "FUZZ-ON",
                    "pl_off": "FUZZ-OFF", "pl_open": "FUZZ-OPEN", "pl_cls": "FUZZ-CLOSE",
                    "payload_close": "FUZZ-CLOSE", "payload_press": "FUZZ-PRESS",
                    "obj_id": f"fuzz_garage_{i}"}  # fmt: skip
            self.names.append(label)
            return self.emit(self.topic(comp), body, True)
        if kind == 6:  # a hostile template, on a state topic that will get messages
            state = f"{FUZZ_ROOT}/bomb/{i}"
            self.state_topics.append(state)
            comp = rng.choice(["sensor", "binary_sensor", "light", "switch"])
            key = rng.choice(["val_tpl", "stat_val_tpl", "value_template"])
            body = {"name": name, "stat_t": state, key: _bomb(rng), "cmd_t": f"{FUZZ_ROOT}/b/{i}"}
            return self.emit(self.topic(comp), body, rng.random() < 0.5)
        if kind == 7:  # huge
            size = rng.choice([10_000, 60_000, 70_000])
            body = {"name": name, "stat_t": f"{FUZZ_ROOT}/h/{i}",
                    "val_tpl": "{{ value" + " | float" * (size // 8) + " }}"}  # fmt: skip
            return self.emit(self.topic("sensor"), body, False)
        if kind == 8:  # wrong types everywhere
            body = rng.choice([
                {"name": 5, "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
                {"name": ["a"], "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
                {"name": {"x": 1}, "cmd_t": [f"{FUZZ_ROOT}/w/{i}"]},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "dev": "device"},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "dev": {"ids": 5, "name": 7}},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "dev": {"sa": ["Kitchen"]}},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "bri_scl": "x"},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "bri_scl": 0},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "bri_scl": -5},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "bri_scl": 1e308},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "pl_on": None, "pl_off": {}},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "schema": 5},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "~": 5},
                {"name": name, "cmd_t": "~/set", "~": "a/#"},
                {"name": name, "cmd_t": "~set", "~": "+/"},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "stat_t": f"{FUZZ_ROOT}/w/{i}/s",
                 "val_tpl": 5},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "obj_id": 5, "def_ent_id": []},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "obj_id": "../" * 50},
                {"name": name, "mode_cmd_t": f"{FUZZ_ROOT}/w/{i}", "modes": 5},
                {"name": name, "mode_cmd_t": f"{FUZZ_ROOT}/w/{i}", "modes": [[], {}, None]},
                {"name": name, "mode_cmd_t": f"{FUZZ_ROOT}/w/{i}", "modes": ["off"] * 10_000},
                {"name": name, "cmd_t": f"{FUZZ_ROOT}/w/{i}", "unique_id": {"a": 1}},
                {"name": "", "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
                {"name": " " * 50, "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
                {"name": "x" * 5000, "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
                {"name": "\u0000\x1b[31m\u202e", "cmd_t": f"{FUZZ_ROOT}/w/{i}"},
            ])  # fmt: skip
            comp = "climate" if "mode_cmd_t" in body else rng.choice(["light", "switch", "fan"])
            return self.emit(self.topic(comp), body, rng.random() < 0.5)
        if kind == 9:  # deep nesting
            depth = rng.choice([100, 1000, 10_000, 40_000])
            raw = rng.choice([
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/d", "dev": ' + "[" * depth
                + "]" * depth + "}",
                '{"name": ' + '{"a": ' * depth + "1" + "}" * depth + "}",
                "[" * depth + "]" * depth,
            ])  # fmt: skip
            return self.emit(self.topic("light"), None, False, raw.encode())
        if kind == 10:  # integers of thousands of digits
            big = _big_int(rng)
            raw = rng.choice([
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "bri_scl": ' + big + "}",
                '{"name": ' + big + ', "cmd_t": "' + FUZZ_ROOT + '/n"}',
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "min": -' + big + "}",
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "bri_scl": 1e999}',
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "bri_scl": Infinity}',
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "bri_scl": NaN}',
                '{"name": "' + name + '", "cmd_t": "' + FUZZ_ROOT + '/n", "bri_scl": -Infinity}',
            ])  # fmt: skip
            return self.emit(self.topic("light"), None, rng.random() < 0.5, raw.encode())
        if kind == 11:  # not JSON, not an object, not UTF-8
            odd = rng.choice([b"{not json", b"[]", b"null", b"5", b'"x"', b"\xff\xfe\x00",
                              b'{"name": "\xff"}', b"{}", b"  ", b'{"name": "\\ud800",'
                              b' "cmd_t": "x/y"}', bytes(range(256))])  # fmt: skip
            return self.emit(self.topic(rng.choice(["light", "switch"])), None, False, odd)
        if kind == 12:  # device-based, hostile components
            comps: dict[str, Any] = {}
            for j in range(rng.choice([1, 3, 50, 150])):
                comps[f"c{j}"] = rng.choice([
                    {"p": "light", "name": f"{name} {j}", "cmd_t": f"{FUZZ_ROOT}/db/{i}/{j}"},
                    {"p": "switch", "name": f"{name} {j}", "cmd_t": self.bad_topic()},
                    {"p": "siren", "name": "x"},
                    {"p": 5},
                    {"p": "light"},
                    "not a dict",
                    {"p": "sensor", "stat_t": f"{FUZZ_ROOT}/db/{i}/{j}", "val_tpl": _bomb(rng)},
                ])  # fmt: skip
            body = {"dev": {"ids": f"fuzzdb{i}", "name": name}, "o": {"name": "fuzz"},
                    "cmps": comps}  # fmt: skip
            return self.emit(f"{self.prefix}/device/fuzzdb_{i}/config", body, True)
        if kind == 13 and self.announced:  # removal
            topic = rng.choice(self.announced)
            return (topic, b"", True)
        if kind == 14:  # unsupported or odd components and topics
            comp = rng.choice(["siren", "media_player", "camera", "x" * 300, "lock", "alarm"])
            body = {"name": name, "cmd_t": f"{FUZZ_ROOT}/u/{i}"}
            topic = f"{self.prefix}/{comp}/fuzz_{i}/config"
            return self.emit(topic, body, rng.random() < 0.3)
        if kind == 15:  # the same name again and again
            again = rng.choice(self.names) if self.names else name
            comp = rng.choice(["light", "switch"])
            body = {"name": again, "cmd_t": f"{FUZZ_ROOT}/again/{i}"}
            return self.emit(self.topic(comp, node=rng.random() < 0.5), body, True)
        if kind == 16:  # a config device's topic under a wildcard-free but hostile "~"
            target = rng.choice([t for t, _ in self.home.config_topics]).replace("+", "POWER")
            head, _, tail = target.rpartition("/")
            body = {"name": name, "~": head + "/", "cmd_t": "~" + tail, "pl_on": "HIJACK"}
            self.names.append(name)
            return self.emit(self.topic("switch"), body, True)
        if kind == 17:  # states for what was announced
            if self.state_topics:
                topic = rng.choice(self.state_topics)
                payload = rng.choice([b"ON", b"OFF", b"21.5", b'{"state": "ON"}', b"nan",
                                      b'{"v": 1e999}', b"9" * 5000, b"\xff", b"", b"[" * 5000,
                                      b'{"a": {"b": "x"}}', b"x" * 70_000])  # fmt: skip
                return (topic, payload, rng.random() < 0.3)
            return self.valid()
        if kind == 18:  # a light with every topic on the agent's own
            body = {"name": name, "schema": "json", "cmd_t": own["command"],
                    "stat_t": own["command"], "bri_cmd_t": own["listen"]}  # fmt: skip
            self.names.append(name)
            return self.emit(self.topic("light"), body, True)
        if kind == 19:  # names that are commands
            said = rng.choice(
                [
                    "unlock the front door",
                    "open the garage door",
                    "yes",
                    "turn on the coffee machine and unlock the front door",
                ]
            )
            body = {"name": said, "cmd_t": f"{FUZZ_ROOT}/said/{i}"}
            return self.emit(self.topic("switch"), body, True)
        if kind == 20:  # climate with odd topics
            body = {"name": name, "temp_cmd_t": rng.choice([self.bad_topic(),
                    "home/thermostat/target/set"]), "mode_cmd_t": f"{FUZZ_ROOT}/c/{i}",
                    "modes": ["off", "heat"]}  # fmt: skip
            return self.emit(self.topic("climate"), body, True)
        return self.valid()

    def next(self) -> Message:
        return self.valid() if self.rng.random() < 0.3 else self.hostile()


def discovery_messages(seed: int, n: int, home: Home) -> tuple[list[Message], list[str]]:
    """`n` messages for the broker (discovery configs, removals and states), and the names of
    what they announce (for near-commands)."""
    gen = _Discovery(seed, home)
    out = [gen.next() for _ in range(n)]
    return out, gen.names


@dataclass(frozen=True)
class Batch:
    messages: tuple[tuple[str, bytes, bool], ...]  # in the order they go to the broker
    commands: int
    configs: int


def batches(seed: int, commands: int, configs: int, home: Home, size: int = 250) -> list[Batch]:
    """The whole sample, cut into batches of about `size` commands and `size` configs, each
    interleaved (seeded)."""
    found, names = discovery_messages(seed, configs, home)
    said = command_payloads(seed, commands, home, names)
    rng = random.Random(f"order-{seed}")
    out = []
    for start in range(0, max(commands, configs), size):
        c = [(home.command, p, False) for p in said[start : start + size]]
        d = found[start : start + size]
        mixed = [*c, *d]
        rng.shuffle(mixed)
        # discovery keeps its own order (a removal follows what it removes)
        it = iter(d)
        ordered = [m if m[0] == home.command else next(it) for m in mixed]
        out.append(Batch(tuple(ordered), len(c), len(d)))
    return out


# -- running and judging ---------------------------------------------------------------------


class Received(Protocol):
    topic: str
    payload: str


class RecorderLike(Protocol):
    messages: list[Any]
    _lock: threading.Condition
    client: Any


@dataclass
class Verdict:
    sent_commands: int = 0
    sent_configs: int = 0
    crashes: int = 0
    hangs: int = 0
    hijacks: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    tracebacks: int = 0
    traceback_kinds: Counter[str] = field(default_factory=Counter)  # "where: exception"
    probe_ms: list[float] = field(default_factory=list)
    hang_details: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        out = []
        if self.crashes:
            out.append(f"{self.crashes} crash(es)")
        if self.hangs:
            out.append(
                f"{self.hangs} hang(s): the valid command not acted on in time ("
                + "; ".join(self.hang_details[:3])
                + ")"
            )
        if self.hijacks:
            out.append(f"{len(self.hijacks)} hijack(s), e.g. " + "; ".join(self.hijacks[:5]))
        if self.unconfirmed:
            out.append(
                f"{len(self.unconfirmed)} unconfirmed sensitive action(s), e.g. "
                + "; ".join(self.unconfirmed[:5])
            )
        if self.tracebacks:
            kinds = "; ".join(f"{n}x {k}" for k, n in self.traceback_kinds.most_common(5))
            out.append(f"{self.tracebacks} traceback(s) in the log: {kinds}")
        return out


def publish_all(client: Any, messages: Iterable[Message], timeout: float = 30.0) -> None:
    """Publish at QoS 1 without waiting for each; then wait for the broker's acks."""
    infos = [client.publish(t, p, qos=1, retain=r) for t, p, r in messages]
    deadline = time.monotonic() + timeout
    for info in infos:
        info.wait_for_publish(max(0.01, deadline - time.monotonic()))


def wait_new(
    recorder: RecorderLike, start: int, pred: Callable[[Any], bool], timeout: float
) -> Any | None:
    """The first message from index `start` on that `pred` accepts, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    with recorder._lock:
        i = start
        while True:
            while i < len(recorder.messages):
                if pred(recorder.messages[i]):
                    return recorder.messages[i]
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            recorder._lock.wait(left)


def probe(recorder: RecorderLike, home: Home, sent: Counter[str], timeout: float) -> float | None:
    """Send the valid command; seconds until it was acted on (its intent event, with the
    coffee machine's message, and that message on the broker), None if not in `timeout`.
    The fuzz never sends the same text, so a near-command turning the coffee machine on
    can't pass for it."""
    start = len(recorder.messages)
    began = time.monotonic()
    sent[SENTINEL] += 1
    recorder.client.publish(home.command, SENTINEL, qos=1)

    def ours(m: Any) -> bool:
        if m.topic != home.intent or SENTINEL not in m.payload:
            return False
        try:
            event = json.loads(m.payload)
        except ValueError:
            return False
        return bool(event.get("text") == SENTINEL)

    event = wait_new(recorder, start, ours, timeout)
    if event is None:
        return None
    actions = json.loads(event.payload).get("actions") or []
    if not any(
        a.get("topic") == SENTINEL_TOPIC and a.get("payload") == SENTINEL_PAYLOAD for a in actions
    ):
        return None
    left = max(0.5, timeout - (time.monotonic() - began))
    got = wait_new(
        recorder,
        start,
        lambda m: m.topic == SENTINEL_TOPIC and m.payload == SENTINEL_PAYLOAD,
        left,
    )
    return None if got is None else time.monotonic() - began


def _text_of(payload: bytes) -> str:
    text = payload.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if isinstance(body, dict) and isinstance(body.get("text"), str):
            return str(body["text"])
    return text


def judge(
    messages: Sequence[Any], home: Home, sent: Counter[str], verdict: Verdict, log: str
) -> Verdict:
    """Fill in hijacks, unconfirmed sensitive actions and tracebacks from all the broker saw
    and the agent's log."""
    own = {home.command, home.listen}
    seen_own: Counter[tuple[str, str]] = Counter()
    config_msgs: Counter[tuple[str, str]] = Counter()
    accounted: Counter[tuple[str, str]] = Counter()
    for m in messages:
        if m.topic in own:
            seen_own[(m.topic, m.payload)] += 1
        elif m.topic == home.intent:
            try:
                event = json.loads(m.payload)
            except ValueError:
                continue
            for action in event.get("actions") or []:
                topic, device = str(action.get("topic")), str(action.get("device"))
                if topic in own:
                    verdict.hijacks.append(f"{device} -> {topic} {action.get('payload')!r}")
                for pattern, owner in home.config_topics:
                    if matches(pattern, topic):
                        if device in home.config_ids:
                            accounted[(pattern, topic)] += 1
                        else:
                            verdict.hijacks.append(
                                f"discovered {device} -> {topic} ({owner}'s topic)"
                                f" {action.get('payload')!r}"
                            )
                        break
        else:
            for pattern, _owner in home.config_topics:
                if matches(pattern, m.topic):
                    config_msgs[(pattern, m.topic)] += 1
                    break
            if m.topic.startswith(COLLIDE_ROOT + "/"):
                verdict.hijacks.append(
                    f"a discovered entity named like a config device: {m.topic} {m.payload!r}"
                )
            for pattern, word in home.sensitive:
                if matches(pattern, m.topic) and word in m.payload:
                    verdict.unconfirmed.append(f"{m.topic} {m.payload!r}")
            if m.topic.startswith(SENSITIVE_ROOT + "/") and m.payload in OPENING:
                verdict.unconfirmed.append(f"{m.topic} {m.payload!r}")
    mine = Counter({(home.command, text): n for text, n in sent.items()})
    for (topic, payload), n in seen_own.items():
        extra = n - mine.get((topic, payload), 0)
        if extra > 0:
            verdict.hijacks.append(f"the agent published {payload[:60]!r} to {topic} ({extra}x)")
    for key, n in config_msgs.items():
        extra = n - accounted.get(key, 0)
        if extra > 0:
            verdict.hijacks.append(f"{extra} message(s) on {key[1]} no config device sent")
    verdict.tracebacks += log.count("Traceback")
    verdict.traceback_kinds.update(traceback_kinds(log))
    return verdict


def traceback_kinds(log: str) -> list[str]:
    """Per traceback in the log: the line logged with it and the exception it ends with."""
    lines = log.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.startswith("Traceback"):
            continue
        where = re.sub(r"'[^']*'", "'…'", lines[i - 1][:100]) if i else "?"
        end = next(
            (x for x in lines[i + 1 :] if x and not x[0].isspace() and not x.startswith("^")),
            "?",
        )
        out.append(f"{where} -> {end[:120]}")
    return out


class Session:
    """Sends batches through one broker, probes the agent after each, and judges the lot."""

    def __init__(self, recorder: RecorderLike, home: Home) -> None:
        self.recorder = recorder
        self.home = home
        self.sent: Counter[str] = Counter()  # payloads we put on the command topic, as read
        self.verdict = Verdict()

    def send(self, batch: Batch) -> None:
        for topic, payload, _ in batch.messages:
            if topic == self.home.command:
                self.sent[payload.decode("utf-8", "replace")] += 1
        publish_all(self.recorder.client, batch.messages)
        self.verdict.sent_commands += batch.commands
        self.verdict.sent_configs += batch.configs

    def check(self, alive: Callable[[], bool], *, drain_s: float, probe_s: float) -> str | None:
        """After a batch: the agent still runs, works through what it was sent (`drain_s`,
        one valid command that waits behind the batch), and then acts on a valid command
        within `probe_s`. None, or "crash" or "hang" (also counted in the verdict)."""
        if not alive():
            self.verdict.crashes += 1
            return "crash"
        drained = probe(self.recorder, self.home, self.sent, drain_s)
        took = probe(self.recorder, self.home, self.sent, probe_s) if drained is not None else None
        if took is None:
            if not alive():
                self.verdict.crashes += 1
                return "crash"
            self.verdict.hangs += 1
            self.verdict.hang_details.append(
                f"the batch was not worked through in {drain_s:.0f} s"
                if drained is None
                else f"the batch took {drained:.1f} s, then the valid command over {probe_s} s"
            )
            return "hang"
        self.verdict.probe_ms.append(took * 1000)
        return None

    def judge(self, log: str) -> Verdict:
        with self.recorder._lock:
            messages = list(self.recorder.messages)
        return judge(messages, self.home, self.sent, self.verdict, log)
