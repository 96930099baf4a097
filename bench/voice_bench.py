"""Benchmark the voice loop in realistic rooms: a matrix of voices, rooms, homes and modes.

    .venv/bin/python bench/voice_bench.py [--n 100] [--quick] [--hours 1.0] [--sensitivity S]
        [--engine E] [--jobs 2] [--json FILE] [--config configs/agent.example.yaml]

Speech: espeak-ng voices en-us, en-gb, en-us+f3 and en-gb-scotland (the "espeak" family) and
hibari-tts's neural voice with seeds 1, 2, 3 and 42 (the "hibari" family; none of them is
trained or calibrated on), at rates 0.85-1.15, levels -38..-12 dBFS, some with a little
reverberation. Rooms: clean (a -70 dBFS white floor only), or white, pink, brown, babble or
music noise at 20, 10 and 5 dB SNR (agent/train/wake/noise.py). Each utterance gets 0.4 s of
its room before and 1.0 s after, and goes through the whole voice loop (end of speech,
the recogniser the config or --engine names: pocketsphinx as voice.recognition says, open in
wake mode and closed in always mode by default, or Moonshine; the wake check) as 30 ms blocks,
then the pipeline.

Commands are the second author's (home-llm: pile_of_specific_actions.csv, and status
requests filled with the home's devices; simple generated ones only where those run short),
kept when their typed text acts or answers in the home; a spoken command succeeds when it
yields the same (intent, actions, targets) as its typed text. Homes of 10, 150 and 500
entities are built from the corpus's devices (seeded, unique names; each smaller home is the
start of the larger). Tables:

1. wake mode, 150 entities: wake rate (a command came out at all) and command success per
   room, per voice family ("hey computer, <command>" as one sentence, or for 20% of items the
   phrase and the command apart with a 0.3-0.6 s pause); and per SNR the commands that
   produced device actions, but not the typed text's ("wrong act");
2. home size (10 / 150 / 500) x (clean, 10 dB of mixed kinds) x family (the 150 row pools
   table 1's; the 10- and 500-entity homes get half the commands per cell, which keeps the
   full run under ~45 minutes on two cores);
3. always mode: commands (said without the wake phrase) taken, and everyday chatter taken
   as a command (the agent would act, answer or ask: an intent other than none that the
   service does not overhear, agent/service.py; and acted on);
4. false wakes in wake mode over --hours of minute-long streams (a quarter clean, the rest
   at each SNR and kind) of near-miss phrases (some followed by a command), commands without
   the wake phrase, chatter and noise only: commands yielded per hour, by what they were
   said over, and utterances whose wake classifier score reached 1 - sensitivity;
5. end of speech -> actions p50/p95, real-time factor, utterances whose end the loop never
   found, and peak RSS of the workers that held the 500-entity engine.

The recogniser adapts to what it heard before (live CMN), so work is split into fixed shards
(per table group and voice family), each with fresh engines decoding in a fixed order:
results do not depend on --jobs, scheduling or the other tables' sizes (timings of course
do). sox runs with -R (SOX_OPTS), as its dither is random otherwise. Nothing is cached; the
recogniser's temporary grammar files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import home_llm
from table import print_table

from agent.config import Config, VoiceConfig, load_config
from agent.home.inventory import Area, Device, Home
from agent.language.normalize import normalize
from agent.messages import Action, Outcome, Transcript
from agent.pipeline import Pipeline
from agent.service import overheard, room_talk_least
from agent.train.wake import data, noise
from agent.understand.cascade import tiers_for
from agent.voice.audio import BLOCK_BYTES
from agent.voice.engines import engine_in_use, make_engine
from agent.voice.loop import Heard, Recognizer, commands, hear, vad_settings
from agent.voice.vad import Segmenter, SpeechEnded
from agent.voice.wake import for_phrase

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "home-llm"
RATE = 16000
WAKE = "hey computer"
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland")
HIBARI_SEEDS = (1, 2, 3, 42)  # the wake classifier trains on 100-399, calibrates on 500-599
FAMILIES = ("espeak", "hibari")
SIZES = (10, 150, 500)
MAIN = 150  # the home of tables 1, 3, 4 and 5
SNRS = (20.0, 10.0, 5.0)
LEAD_S, TAIL_S = 0.4, 1.0  # room noise around each utterance
FLOOR_DBFS = -70.0  # the clean room
SPLIT_SHARE = 0.2  # wake phrase and command said apart
REVERB_SHARE = 0.3
CATEGORIES = ("near-miss", "command", "chatter", "noise")  # of false-wake stream pieces
STREAM_S = 60.0  # false-wake audio comes in streams this long
SHARDS = 4  # per kind of task: fixed, so results do not depend on --jobs
NEAR_MISSES = (
    "hey commuter", "a computer", "hey come here", "hey cupboard", "hey compost",
    "okay google", "hey community", "they compute her",
)  # fmt: skip
# Everyday speech that is no command (none of it in agent/train/wake/data.py).
CHATTER = (
    "the light in that film was beautiful",
    "did you remember to buy more coffee",
    "I can't believe how cold it got last night",
    "my sister is coming over on saturday",
    "the music at the wedding was far too loud",
    "he left his computer at the office again",
    "we should paint the front door green",
    "that new restaurant on the corner is really good",
    "the traffic on the motorway was terrible",
    "I think I left my umbrella on the bus",
    "the kids need new shoes before school starts",
    "there is a documentary about whales on tonight",
    "the detective finally opened the locked door",
    "she plays the piano every evening",
    "our computer teacher was very strict",
    "the lights of the city looked amazing from the plane",
    "I'm going to bake a cake for the party",
    "the dog keeps barking at the postman",
    "have you finished reading that book yet",
    "the weather forecast says sunshine all weekend",
    "my grandfather fixed old radios for a living",
    "the door of the fridge doesn't close properly",
    "we listened to jazz records all afternoon",
    "the football match went to penalties",
    "I need to renew my passport this year",
    "the heating bill was higher than last winter",
    "the band played their old songs at the end",
    "she switched careers and became a nurse",
    "the garden looks lovely in the spring",
    "turn left at the church and keep going",
    "the children were watching cartoons all morning",
    "a lamp fell over during the storm in the film",
    "I've been learning to play the guitar",
    "the museum was closed for renovations",
    "my phone fell in the bath yesterday",
    "the bakery sells the best bread in town",
    "he always forgets to lock his bike",
    "the fan club meets every second tuesday",
    "we had a picnic by the river",
    "the printer at work jams every single day",
    "the movie was too long but the ending was great",
    "in the next episode the hero returns home",
    "the volume of homework this year is ridiculous",
    "let me know when you're ready to leave",
    "the curtains in the hotel were very thick",
    "my brother works on computers for a bank",
    "the bus driver waited for us",
    "we should go camping in the summer",
    "the news said the bridge will be closed",
    "that song always makes me think of school",
    "the candle light made the dinner feel special",
    "I'm so tired I could sleep for a week",
    "the cat knocked the plant off the shelf",
    "they are building new houses near the station",
    "the quiz show host asked about the moon landing",
    "the lights went out in the whole street last winter",
    "could you help me carry these bags upstairs",
    "she was the first computer scientist in her family",
    "the concert tickets sold out in minutes",
    "the soup needs a little more salt",
    "we're meeting at the cafe near the library",
    "the singer's voice was incredible tonight",
    "the old lighthouse is open to visitors",
    "my neighbour's alarm went off at three in the morning",
    "the plumber said the pipes are very old",
    "I prefer tea in the morning and coffee later",
    "the winner of the race gets a gold medal",
    "the weather presenter wore a bright yellow jacket",
    "that door has been squeaking for weeks",
    "he turned the corner and saw the sea",
    "the score was two all at half time",
    "the shop was out of the cereal I like",
    "the actors bowed as the lights came up",
    "I need a new charger for my laptop",
    "we counted the stars from the balcony",
    "the teacher played some classical music in class",
    "my aunt grows tomatoes in her greenhouse",
    "the room was dark and nobody said a word",
    "this recipe needs two eggs and some flour",
    "the taxi is waiting outside",
    "did the parcel arrive this morning",
    "the film was about a robot who learns to love",
    "the computer in the library is always busy",
    "the new series starts on sunday night",
    "I'd like to visit japan one day",
    "the swimming pool opens at seven",
    "you should see the sunset from the hill",
    "the leaves are turning red and orange",
    "the ice cream van plays the same tune every day",
    "the lock on the shed is rusty",
    "she opened a small bookshop in the village",
    "we ran out of batteries for the torch",
    "the choir sang beautifully at christmas",
    "the washing machine makes a strange noise",
    "he told a funny story about his first job",
    "the mountains were covered in snow",
    "our flight was delayed by two hours",
    "the presenter said back after the break",
    "the light was perfect for taking photos",
    "can you believe it's already november",
    "the baby finally fell asleep",
    "my favourite song came on the radio in the car",
    "the hotel room had a view of the harbour",
    "we play cards every friday with the neighbours",
    "the library computer needs a password now",
    "the thunder woke everyone up",
    "grandma keeps her door open for visitors",
    "the team celebrated with a big dinner",
    "that movie soundtrack is stuck in my head",
    "the market is busy on saturday mornings",
)

Key = tuple[str, tuple[Action, ...], tuple[str, ...]]  # intent, actions, targets


# --- rooms and voices --------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    snr: float | None = None  # None: clean, a -70 dBFS white floor only
    kind: str = "white"

    @property
    def label(self) -> str:
        return "clean" if self.snr is None else f"{self.snr:g} dB {self.kind}"


CLEAN = Room()
NOISY = tuple(Room(snr, kind) for snr in SNRS for kind in noise.KINDS)
SNR_ROOMS = {"clean": [CLEAN], **{f"{s:g} dB": [r for r in NOISY if r.snr == s] for s in SNRS}}


def mixed_10db(i: int) -> Room:
    return Room(10.0, noise.KINDS[i % len(noise.KINDS)])


@dataclass(frozen=True)
class Voice:
    family: str  # espeak | hibari
    name: str  # the espeak-ng voice, or "hibari"
    rate: float  # 0.85..1.15: espeak -s 160 * rate, hibari's speed factor
    pitch: int  # espeak's pitch, or hibari's seed
    dbfs: float  # the speech's active level
    reverb: bool


def pick_voice(family: str, rng: random.Random, i: int) -> Voice:
    rate, dbfs, reverb = rng.uniform(0.85, 1.15), rng.uniform(-38, -12), rng.random()
    if family == "hibari":
        seed = HIBARI_SEEDS[i % len(HIBARI_SEEDS)]
        return Voice(family, "hibari", rate, seed, dbfs, reverb < REVERB_SHARE)
    name = ESPEAK_VOICES[i % len(ESPEAK_VOICES)]
    return Voice(family, name, rate, rng.randint(35, 65), dbfs, reverb < REVERB_SHARE)


def speak(voice: Voice, text: str) -> np.ndarray:
    """Float speech, -1..1, silence trimmed."""
    if voice.family == "hibari":
        pcm = data.hibari(text, voice.rate, voice.pitch)
    else:
        pcm = data.espeak(text, voice.name, round(160 * voice.rate), voice.pitch)
    return data.trimmed(pcm).astype(np.float64) / 32768.0


def placed(speech: np.ndarray, voice: Voice, rng: np.random.Generator) -> np.ndarray:
    """Speech as the microphone gets it: some reverberation for some, at the voice's level."""
    if voice.reverb and len(speech):
        speech = noise.reverb(speech, rng)
    return noise.level(speech, voice.dbfs)


def room_noise(
    room: Room, n: int, dbfs: float, rng: np.random.Generator, bank: list[np.ndarray]
) -> np.ndarray:
    """The room's noise, `room.snr` below speech at `dbfs` (as noise.mix scales it)."""
    if room.snr is None:
        return noise.noise("white", n, rng) * 10 ** (FLOOR_DBFS / 20)
    return noise.noise(room.kind, n, rng, bank) * 10 ** ((dbfs - room.snr) / 20)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE))


def pcm_blocks(audio: np.ndarray) -> list[bytes]:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return [pcm[i : i + BLOCK_BYTES] for i in range(0, len(pcm), BLOCK_BYTES)]


def babble_bank() -> list[np.ndarray]:
    """Other speech for babble: the second author's commands in several voices."""
    with (CORPUS / "pile_of_specific_actions.csv").open(newline="", encoding="utf-8") as f:
        phrases = sorted(row["phrase"] for row in csv.DictReader(f))
    texts = phrases[7::61][:8]
    voices = [Voice("espeak", v, 1.0, p, -20.0, False) for v in ESPEAK_VOICES for p in (30, 70)]
    voices += [Voice("hibari", "hibari", 1.0, seed, -20.0, False) for seed in (11, 12)]
    return [speak(voices[i % len(voices)], texts[i % len(texts)]) for i in range(12)]


# --- homes and commands ------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    kind: str  # the corpus's type: light, blinds, lock, media_player, ...
    device: Device


def entities(corpus: Path) -> list[Entity]:
    """The specific actions' targets (seeded order), then the rest of the device pile."""
    specs, _ = home_llm.parse(corpus)
    targets = {
        d.id: Entity(s.service.split(".")[0], d)
        for s in specs
        if s.source == "specific"
        for _, devices in s.expected
        for d in devices
    }
    pile = {
        p.device.id: Entity(p.kind, p.device)
        for p in home_llm.read_pile(corpus).values()
        if p.kind not in home_llm.OOD_TYPES and p.device.id not in targets
    }
    first, rest = sorted(targets.items()), sorted(pile.items())
    random.Random("voice-bench:targets").shuffle(first)
    random.Random("voice-bench:pile").shuffle(rest)
    return [e for _, e in first + rest]


def names_of(e: Entity) -> set[str]:
    return {home_llm.norm(e.device.name), *(home_llm.norm(a) for a in e.device.aliases)}


def home_entities(size: int, corpus: Path = CORPUS) -> list[Entity]:
    """The first `size` entities whose names and aliases no earlier one has."""
    chosen: list[Entity] = []
    taken: set[str] = set()
    for e in entities(corpus):
        if len(chosen) == size:
            break
        if not names_of(e) & taken:
            chosen.append(e)
            taken |= names_of(e)
    return chosen


def home_of(chosen: Sequence[Entity]) -> Home:
    names = sorted({e.device.area for e in chosen if e.device.area})
    areas = tuple(Area(n, floor=home_llm.floor_of(n)) for n in names)
    return Home(areas, tuple(e.device for e in chosen))


def specific_texts(chosen: Sequence[Entity], corpus: Path) -> list[str]:
    """The second author's specific actions whose targets are all in the home."""
    ids = {e.device.id for e in chosen}
    specs, _ = home_llm.parse(corpus)
    return [
        s.text
        for s in specs
        if s.source == "specific" and all(d.id in ids for _, ds in s.expected for d in ds)
    ]


def status_texts(chosen: Sequence[Entity], corpus: Path) -> list[str]:
    """The second author's status requests, each about a device of its kind in the home."""
    rng = random.Random("voice-bench:status")
    out = []
    with (corpus / "pile_of_status_requests.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            fits = [e.device for e in chosen if e.kind == row["device_type"]]
            if fits:
                out.append(row["phrase"].replace("<device_name>", rng.choice(fits).name))
    return out


GENERATED = {
    "light": ("turn on the {}", "turn off the {}"),
    "switch": ("switch on the {}", "switch off the {}"),
    "fan": ("turn on the {}", "turn off the {}"),
    "blinds": ("open the {}", "close the {}"),
    "garage_door": ("close the {}",),
    "lock": ("lock the {}", "is the {} locked"),
    "media_player": ("pause the {}", "turn off the {}"),
    "vacuum": ("start the {}", "send the {} home"),
    "climate": ("set the {} to twenty degrees",),
}


def generated_texts(chosen: Sequence[Entity]) -> list[str]:
    return [p.format(e.device.name) for e in chosen for p in GENERATED.get(e.kind, ())]


@dataclass(frozen=True)
class Command:
    text: str
    source: str  # specific | status | generated
    want: Key  # what its typed text does in the home


def outcome_key(outcome: Outcome) -> Key:
    return (outcome.intent.name, outcome.actions, outcome.targets)


def heard_as(pipeline: Pipeline, text: str, least: float = 0.0) -> tuple[Outcome, bool]:
    """The outcome, and whether the agent then asks a question (a "yes", which device)."""
    outcome = pipeline.handle(text, least=least)
    asking = pipeline.asking("") is not None
    pipeline.handle("no")  # a pending confirmation must not meet the next command
    return outcome, asking


def typed(pipeline: Pipeline, text: str) -> Key | None:
    """The typed text's outcome where it acts or answers about devices; else None."""
    outcome, _ = heard_as(pipeline, text)
    if outcome.intent.name == "none" or not (outcome.actions or outcome.targets):
        return None
    return outcome_key(outcome)


def interleaved(*pools: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for i in range(max(map(len, pools), default=0)):
        out += [pool[i] for pool in pools if i < len(pool)]
    return out


def pick_commands(chosen: Sequence[Entity], pipeline: Pipeline, n: int) -> list[Command]:
    """n commands: specific actions and status requests in turn, then generated ones."""
    pools = []
    for source, texts in (
        ("specific", specific_texts(chosen, CORPUS)),
        ("status", status_texts(chosen, CORPUS)),
    ):
        random.Random(f"voice-bench:{source}:{len(chosen)}").shuffle(texts)
        pools.append([(source, t) for t in texts])
    order = interleaved(*pools) + [("generated", t) for t in generated_texts(chosen)]
    out: list[Command] = []
    seen: set[str] = set()
    for source, text in order:
        if len(out) == n:
            break
        if normalize(text) in seen or WAKE in normalize(text):
            continue
        seen.add(normalize(text))
        if (want := typed(pipeline, text)) is not None:
            out.append(Command(text, source, want))
    return out


# --- what is spoken ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One utterance in a room, through the voice loop and the pipeline."""

    group: str  # wake | always | chatter
    size: int  # entities in the home
    text: str  # the command or chatter, without the wake phrase
    wake: str  # the wake phrase: "joined" (one sentence), "split" (a pause between), ""
    gap_s: float
    voice: Voice
    room: Room
    seed: int
    want: Key | None  # the typed text's outcome; None for chatter

    @property
    def mode(self) -> str:
        return "wake" if self.group == "wake" else "always"


def make_items(
    group: str,
    size: int,
    family: str,
    texts: Sequence[tuple[str, Key | None]],
    room_of: Callable[[int], Room],
) -> list[Item]:
    out = []
    for i, (text, want) in enumerate(texts):
        room = room_of(i)
        rng = random.Random(f"voice-bench:{group}:{size}:{room.label}:{family}:{i}")
        voice = pick_voice(family, rng, i)
        wake = "" if group != "wake" else "split" if rng.random() < SPLIT_SHARE else "joined"
        gap, seed = rng.uniform(0.3, 0.6), rng.randrange(2**31)
        out.append(Item(group, size, text, wake, gap, voice, room, seed, want))
    return out


def spoken(item: Item) -> np.ndarray:
    if item.wake == "joined":
        return speak(item.voice, f"{WAKE}, {item.text}")
    if item.wake == "split":
        parts = [speak(item.voice, WAKE), silence(item.gap_s), speak(item.voice, item.text)]
        return np.concatenate(parts)
    return speak(item.voice, item.text)


def item_audio(item: Item, bank: list[np.ndarray]) -> np.ndarray:
    rng = np.random.default_rng(item.seed)
    speech = placed(spoken(item), item.voice, rng)
    padded = np.concatenate([silence(LEAD_S), speech, silence(TAIL_S)])
    return np.asarray(padded + room_noise(item.room, len(padded), item.voice.dbfs, rng, bank))


@dataclass(frozen=True)
class Part:
    """A piece of a false-wake stream: speech (then room noise), or room noise alone."""

    category: str  # near-miss | command | chatter | noise
    text: str
    voice: Voice | None
    pause_s: float  # room noise after the speech; for "noise", its length


@dataclass(frozen=True)
class Stream:
    parts: tuple[Part, ...]
    room: Room
    dbfs: float  # the talkers' level, which the room's SNR is against
    seed: int


def stream_part(rng: random.Random, texts: Sequence[str], dbfs: float, i: int) -> Part:
    roll = rng.random()
    if roll < 0.12:
        return Part("noise", "", None, rng.uniform(3.0, 10.0))
    family = FAMILIES[int(rng.random() < 0.3)]
    voice = replace(pick_voice(family, rng, i), dbfs=dbfs + rng.uniform(-3, 3))
    pause = rng.uniform(0.9, 3.0)
    if roll < 0.45:
        tail = f" {rng.choice(texts)}" if rng.random() < 0.5 else ""
        return Part("near-miss", rng.choice(NEAR_MISSES) + tail, voice, pause)
    if roll < 0.72:
        return Part("command", rng.choice(texts), voice, pause)
    return Part("chatter", rng.choice(CHATTER), voice, pause)


def stream_room(i: int) -> Room:
    """Clean, 20, 10 and 5 dB in turn, and each SNR's kinds of noise in turn."""
    group = list(SNR_ROOMS.values())[i % len(SNR_ROOMS)]
    return group[i // len(SNR_ROOMS) % len(group)]


def make_streams(hours: float, texts: Sequence[str]) -> list[Stream]:
    """About `hours` of streams of STREAM_S: speech at one level (+-3 dB) with pauses."""
    out = []
    for s in range(max(1, round(hours * 3600 / STREAM_S))):
        rng = random.Random(f"voice-bench:stream:{s}")
        dbfs, length = rng.uniform(-35, -15), 0.0
        parts: list[Part] = []
        while length < STREAM_S:
            part = stream_part(rng, texts, dbfs, len(parts))
            parts.append(part)
            length += part.pause_s + (2.0 if part.voice else 0.0)
        out.append(Stream(tuple(parts), stream_room(s), dbfs, rng.randrange(2**31)))
    return out


def stream_audio(
    stream: Stream, bank: list[np.ndarray]
) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """The stream, and where each piece of speech is in it (category, start s, end s)."""
    rng = np.random.default_rng(stream.seed)
    pieces, spans, at = [silence(LEAD_S)], [], LEAD_S
    for part in stream.parts:
        if part.voice is not None:
            speech = placed(speak(part.voice, part.text), part.voice, rng)
            spans.append((part.category, at, at + len(speech) / RATE))
            pieces.append(speech)
            at += len(speech) / RATE
        pieces.append(silence(part.pause_s))
        at += len(pieces[-1]) / RATE
    audio = np.concatenate(pieces)
    return audio + room_noise(stream.room, len(audio), stream.dbfs, rng, bank), spans


# --- workers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    group: str
    size: int
    room: Room
    family: str
    text: str
    heard: str  # the first command the loop yielded ("" for none)
    yielded: bool  # wake mode: woken (wake score >= 1 - sensitivity); always: a command
    right: bool  # same intent, actions and targets as the typed text
    command: bool  # taken as a command: acted or answered (always mode: not overheard)
    acted: bool  # the pipeline produced device actions for it
    latency_ms: float | None  # end of speech -> actions
    decode_s: float  # wall time in the voice loop
    audio_s: float
    end_found: bool  # the loop found the end of speech by quiet
    rss_mb: float


@dataclass(frozen=True)
class StreamResult:
    room: Room
    audio_s: float
    decode_s: float
    utterances: int  # what the loop segmented
    said_wake: int  # recognised as starting with the wake phrase
    scored: int  # given a wake classifier score
    over: int  # that score >= 1 - sensitivity
    woke: dict[str, int]  # commands yielded, by what they were spoken over
    spoken: dict[str, int]  # pieces of each category in the stream
    rss_mb: float


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def settings_config(path: str, sensitivity: float | None, engine: str | None = None) -> Config:
    config = load_config(path)
    voice = config.voice
    if sensitivity is not None:
        voice = replace(voice, sensitivity=sensitivity)
    if engine is not None:
        voice = replace(voice, engine=engine)
    return replace(config, voice=voice)


@dataclass
class Worker:
    config: Config
    bank: list[np.ndarray]
    engines: dict[tuple[int, str], Recognizer] = field(default_factory=dict)
    pipelines: dict[int, Pipeline] = field(default_factory=dict)

    def engine(self, size: int, mode: str) -> Recognizer:
        if (size, mode) not in self.engines:
            home = home_of(home_entities(size))
            self.engines[size, mode] = make_engine(self.voice(mode), home, threads=1)
        return self.engines[size, mode]

    def pipeline(self, size: int) -> Pipeline:
        if size not in self.pipelines:
            self.pipelines[size] = make_pipeline(self.config, home_of(home_entities(size)))
        return self.pipelines[size]

    def voice(self, mode: str) -> VoiceConfig:
        return replace(self.config.voice, mode=mode)


_WORKER: list[Worker] = []


def repeatable_sox() -> None:
    """sox dithers with a random seed unless told -R: data.espeak and data.hibari resample
    through it, and a bit of different dither flipped results between runs."""
    opts = os.environ.get("SOX_OPTS", "")
    if "-R" not in opts.split():
        os.environ["SOX_OPTS"] = f"{opts} -R".strip()


def init_worker(config_path: str, sensitivity: float | None, engine: str | None) -> None:
    repeatable_sox()
    logging.getLogger("agent").setLevel(logging.ERROR)  # words missing from the dictionary
    _WORKER.append(Worker(settings_config(config_path, sensitivity, engine), babble_bank()))


def end_found(blocks: list[bytes], voice: VoiceConfig, engine: Recognizer) -> bool:
    ends = [
        e
        for e in Segmenter(vad_settings(voice, engine)).events(blocks)
        if isinstance(e, SpeechEnded)
    ]
    return any(e.reason == "silence" for e in ends)


def run_item(w: Worker, item: Item) -> Result:
    audio = item_audio(item, w.bank)
    blocks, voice = pcm_blocks(audio), w.voice(item.mode)
    engine = w.engine(item.size, item.mode)
    wake = for_phrase(voice.wake_word, voice.wake_model) if voice.mode == "wake" else None
    begun = time.perf_counter()
    hs = list(hear(blocks, voice, engine, wake))
    got = list(commands(hs, wake=voice.wake_word, mode=voice.mode,
                        sensitivity=voice.sensitivity))  # fmt: skip
    decode_s = time.perf_counter() - begun
    said = got[0] if got else None
    # wake mode: woken (the classifier's score reached 1 - sensitivity, whether or not a
    # command then came out); always mode: a command came out
    least = 1.0 - voice.sensitivity
    woke = any(h.wake is not None and h.wake >= least for h in hs) if wake else bool(got)
    voice_said = Transcript(said.text if said else "", "voice")
    least = room_talk_least(voice_said, item.mode)
    outcome, asking = heard_as(w.pipeline(item.size), said.text, least) if said else (None, False)
    # understood as a command: the agent acts or answers (in always mode, not what the
    # service overhears: no reply to what acts on nothing, asks nothing, is about nothing)
    taken = outcome is not None and not (
        outcome.intent.name == "none" or overheard(voice_said, outcome, item.mode, asking)
    )
    latency = said.decode_ms + outcome.latency_ms if said and outcome else None
    return Result(
        item.group, item.size, item.room, item.voice.family, item.text,
        said.text if said else "", woke,
        outcome is not None and item.want is not None and outcome_key(outcome) == item.want,
        taken,
        outcome is not None and bool(outcome.actions),
        latency, decode_s, len(audio) / RATE, end_found(blocks, voice, engine), peak_rss_mb(),
    )  # fmt: skip


def overlapping(h: Heard, spans: list[tuple[str, float, float]]) -> str:
    """The category of the speech the utterance overlaps most ("noise": none)."""
    best, most = "noise", 0.0
    for category, start, end in spans:
        overlap = min(end, h.end_s) - max(start, h.start_s)
        if overlap > most:
            best, most = category, overlap
    return best


def run_stream(w: Worker, stream: Stream) -> StreamResult:
    """voice_commands' two stages apart, to see each utterance's wake score."""
    audio, spans = stream_audio(stream, w.bank)
    voice, engine = w.voice("wake"), w.engine(MAIN, "wake")
    begun = time.perf_counter()
    found = list(hear(pcm_blocks(audio), voice, engine,
                      for_phrase(voice.wake_word, voice.wake_model)))  # fmt: skip
    woke = list(commands(found, wake=voice.wake_word, sensitivity=voice.sensitivity))
    decode_s = time.perf_counter() - begun
    phrase, least = normalize(WAKE), 1.0 - voice.sensitivity
    scores = [h.wake for h in found if h.wake is not None]
    return StreamResult(
        stream.room, len(audio) / RATE, decode_s, len(found),
        sum(f"{normalize(h.text)} ".startswith(f"{phrase} ") for h in found),
        len(scores), sum(s >= least for s in scores),
        dict(Counter(overlapping(h, spans) for h in woke)),
        dict(Counter(p.category for p in stream.parts)), peak_rss_mb(),
    )  # fmt: skip


Task = Item | Stream
Done = Result | StreamResult


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (espeak-ng, sox)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_shard(tasks: list[Task]) -> tuple[list[Done], float]:
    """Fresh engines, so the shard's results depend only on its own tasks and their order.
    Also the CPU time it took."""
    begun = cpu_s()
    w = _WORKER[0]
    w.engines.clear()
    gc.collect()
    done = [run_stream(w, t) if isinstance(t, Stream) else run_item(w, t) for t in tasks]
    return done, cpu_s() - begun


def shards(tasks: Sequence[Task]) -> list[list[Task]]:
    """Each kind of task (table group and voice family, or streams) dealt in turn into its
    own SHARDS lists, so what one table's engines heard before never depends on another
    table's settings; streams first (they are long)."""
    out: dict[tuple[str, str, int], list[Task]] = {}
    dealt: Counter[tuple[str, str]] = Counter()
    for task in tasks:
        kind = ("streams", "") if isinstance(task, Stream) else (task.group, task.voice.family)
        out.setdefault((*kind, dealt[kind] % SHARDS), []).append(task)
        dealt[kind] += 1
    return sorted(out.values(), key=lambda s: (not isinstance(s[0], Stream), -len(s)))


def run_home(
    size: int, tasks: Sequence[Task], args: argparse.Namespace
) -> tuple[list[Done], float]:
    """One pool per home, so a worker's peak RSS is that home's. The results, and the CPU
    seconds the shards took."""
    context = multiprocessing.get_context("spawn")
    init = (args.config, args.sensitivity, args.engine)
    out: list[Done] = []
    cpu = 0.0
    with context.Pool(args.jobs, initializer=init_worker, initargs=init) as pool:
        for done, seconds in pool.imap_unordered(run_shard, shards(tasks)):
            out, cpu = out + done, cpu + seconds
            say(f"home {size}: {len(out)} / {len(tasks)} tasks done")
    return out, cpu


def say(text: str) -> None:
    print(f"[voice_bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    commands: dict[int, list[Command]]
    tasks: dict[int, list[Task]]
    chatter: int  # sentences per chatter cell


def fixed(room: Room) -> Callable[[int], Room]:
    return lambda i: room


def table_items(
    cmds: dict[int, list[Command]], chatter: Sequence[str], family: str
) -> dict[int, list[Item]]:
    pairs = {size: [(c.text, c.want) for c in cs] for size, cs in cmds.items()}
    out: dict[int, list[Item]] = {size: [] for size in SIZES}
    for room in (CLEAN, *NOISY):  # table 1 (and table 2's 150 row)
        out[MAIN] += make_items("wake", MAIN, family, pairs[MAIN], fixed(room))
    for size in (s for s in SIZES if s != MAIN):  # table 2
        for room_of in (fixed(CLEAN), mixed_10db):
            out[size] += make_items("wake", size, family, pairs[size], room_of)
    for room_of in (fixed(CLEAN), mixed_10db):  # table 3
        out[MAIN] += make_items("always", MAIN, family, pairs[MAIN], room_of)
        talk = [(t, None) for t in chatter]
        out[MAIN] += make_items("chatter", MAIN, family, talk, room_of)
    return out


def make_plan(config: Config, n: int, hours: float) -> Plan:
    tiers = tiers_for(config.understanding)
    cmds = {}
    for size in SIZES:
        chosen = home_entities(size)
        count = n if size == MAIN else -(-n // 2)  # table 2's other homes: half (run time)
        cmds[size] = pick_commands(chosen, make_pipeline(config, home_of(chosen), tiers), count)
    chatter = CHATTER if n >= 100 else CHATTER[:n]
    tasks: dict[int, list[Task]] = {size: [] for size in SIZES}
    tasks[MAIN] += make_streams(hours, [c.text for c in cmds[MAIN]])
    for family in FAMILIES:
        for size, items in table_items(cmds, chatter, family).items():
            tasks[size] += items
    return Plan(cmds, tasks, len(chatter))


def make_pipeline(config: Config, home: Home, tiers: Sequence[Any] | None = None) -> Pipeline:
    area = config.site.area if config.site.area and home.area(config.site.area) else None
    tiers = tiers_for(config.understanding) if tiers is None else tiers
    return Pipeline(home, tiers, site_area=area)


# --- tables ------------------------------------------------------------------------------

Rows = list[tuple[str, str]]


def pct(hits: int, total: int) -> str:
    return f"{hits / total:.1%}" if total else "-"


def columns(values: Iterable[str], width: int = 18) -> str:
    return "".join(f"{v:>{width}}" for v in values)


def counts(rs: Sequence[Result]) -> dict[str, int]:
    return {
        "n": len(rs),
        "yielded": sum(r.yielded for r in rs),
        "right": sum(r.right for r in rs),
        "command": sum(r.command for r in rs),
        "acted": sum(r.acted for r in rs),
        "wrong": sum(r.acted and not r.right for r in rs),  # acted, but not as typed
    }


def pick(results: Iterable[Done], group: str, size: int = MAIN) -> list[Result]:
    return [r for r in results if isinstance(r, Result) and r.group == group and r.size == size]


def by_family(
    rs: Sequence[Result], what: tuple[str, ...], label: str
) -> tuple[tuple[str, str], dict[str, Any]]:
    """One row: per family, the share of items with each of `what` (yielded, right, acted)."""
    figures: dict[str, Any] = {"condition": label}
    values = []
    for family in FAMILIES:
        c = counts([r for r in rs if r.family == family])
        figures[family] = c
        values += [pct(c[w], c["n"]) for w in what]
    return (label, columns(values)), figures


def header(names: tuple[str, ...]) -> tuple[str, str]:
    return ("", columns(f"{f} {name}" for f in FAMILIES for name in names))


def table_wake(results: list[Done]) -> tuple[Rows, list[dict[str, Any]]]:
    rs = pick(results, "wake")
    what = ("yielded", "right")
    rows, figures = [header(("wake", "right"))], []
    conditions = [(r.label, [r]) for r in (CLEAN, *NOISY)]
    conditions += [(f"{snr:g} dB, all kinds", [r for r in NOISY if r.snr == snr]) for snr in SNRS]
    for label, rooms in conditions:
        row, fig = by_family([r for r in rs if r.room in rooms], what, label)
        rows.append(row)
        figures.append(fig)
    rows.append(header(("wrong act",)))  # device actions, but not the typed text's
    for label, rooms in SNR_ROOMS.items():
        name = label if rooms == [CLEAN] else f"{label}, all kinds"
        rows.append(by_family([r for r in rs if r.room in rooms], ("wrong",), name)[0])
    return rows, figures


def table_sizes(results: list[Done]) -> tuple[Rows, list[dict[str, Any]]]:
    what = ("yielded", "right")
    rows, figures = [header(("wake", "right"))], []
    for size in SIZES:
        rs = pick(results, "wake", size)
        for label, keep in (("clean", CLEAN.snr), ("10 dB mixed kinds", 10.0)):
            chosen = [r for r in rs if r.room.snr == keep]
            row, fig = by_family(chosen, what, f"{size} entities, {label}")
            rows.append(row)
            figures.append({**fig, "size": size})
    return rows, figures


def table_always(results: list[Done]) -> tuple[Rows, list[dict[str, Any]]]:
    rows: Rows = []
    figures = []
    for group, what, names in (
        ("always", ("yielded", "right"), ("taken", "right")),
        ("chatter", ("command", "acted"), ("taken", "acted")),
    ):
        rows.append(header(names))
        for label, keep in (("clean", CLEAN.snr), ("10 dB mixed kinds", 10.0)):
            chosen = [r for r in pick(results, group) if r.room.snr == keep]
            row, fig = by_family(
                chosen, what, f"{'commands' if group == 'always' else group}, {label}"
            )
            rows.append(row)
            figures.append({**fig, "group": group})
    return rows, figures


def per_hour(count: int, seconds: float) -> str:
    return f"{count} ({count / (seconds / 3600):.1f} / h)" if seconds else "- (no audio)"


def false_wakes_by_room(ss: Sequence[StreamResult]) -> tuple[Rows, dict[str, Any]]:
    rows: Rows = []
    figures: dict[str, Any] = {}
    for label, rooms in SNR_ROOMS.items():
        part = [s for s in ss if s.room in rooms]
        count, seconds = sum(sum(s.woke.values()) for s in part), sum(s.audio_s for s in part)
        figures[label] = {"count": count, "audio_s": seconds}
        rows.append((f"false wakes, {label} streams", per_hour(count, seconds)))
    return rows, figures


def table_false_wakes(results: list[Done], sensitivity: float) -> tuple[Rows, dict[str, Any]]:
    ss = [r for r in results if isinstance(r, StreamResult)]
    audio = sum(s.audio_s for s in ss)
    woke, spoken = Counter[str](), Counter[str]()
    for s in ss:
        woke.update(s.woke)
        spoken.update(s.spoken)
    scored, over = sum(s.scored for s in ss), sum(s.over for s in ss)
    figures: dict[str, Any] = {
        "audio_hours": audio / 3600, "streams": len(ss), "false_wakes": sum(woke.values()),
        "by_category": dict(woke), "spoken": dict(spoken),
        "utterances": sum(s.utterances for s in ss),
        "said_wake_phrase": sum(s.said_wake for s in ss), "scored": scored,
        "wake_score_over": over, "sensitivity": sensitivity,
    }  # fmt: skip
    rows = [
        ("audio", f"{audio / 3600:.2f} h in {len(ss)} streams"),
        ("commands yielded (false wakes)", per_hour(sum(woke.values()), audio)),
        *[(f"  over {c}", f"{woke[c]} (of {spoken[c]} spoken)") for c in CATEGORIES[:3]],
        ("  over noise only", f"{woke['noise']} ({spoken['noise']} stretches of noise only)"),
        ("utterances the loop segmented", str(figures["utterances"])),
        ("  heard as starting with the wake phrase", str(figures["said_wake_phrase"])),
        (f"  wake score >= {1 - sensitivity:.2f}", f"{over} / {scored} scored"
         if scored else "no wake classifier: word confidences decide"),
    ]  # fmt: skip
    by_room, figures["by_room"] = false_wakes_by_room(ss)
    return rows + by_room, figures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def latency_row(rs: Sequence[Result], label: str) -> tuple[tuple[str, str], dict[str, Any]]:
    ms = [r.latency_ms for r in rs if r.latency_ms is not None]
    if not ms:
        return (label, "-"), {}
    p50, p95 = statistics.median(ms), percentile(ms, 0.95)
    return (label, f"{p50:.0f} / {p95:.0f} ms ({len(ms)} commands)"), {"p50": p50, "p95": p95}


def rss_rows(by_size: dict[int, list[Done]]) -> tuple[Rows, dict[str, float]]:
    rows, figures = [], {}
    for size in SIZES:
        peak = max((r.rss_mb for r in by_size[size]), default=0.0)
        figures[str(size)] = peak
        rows.append((f"peak RSS of a worker, {size}-entity home", f"{peak:.0f} MB"))
    return rows, figures


def rtf(done: Iterable[Done]) -> float:
    decode = audio = 0.0
    for r in done:
        decode, audio = decode + r.decode_s, audio + r.audio_s
    return decode / audio if audio else 0.0


def speed_rows(by_size: dict[int, list[Done]]) -> tuple[Rows, dict[str, Any]]:
    rs = pick(by_size[MAIN], "wake")
    rows: Rows = []
    figures: dict[str, Any] = {}
    for label in ("clean", "10 dB"):
        chosen = [r for r in rs if r.room in SNR_ROOMS[label]]
        row, figures[f"latency_{label}"] = latency_row(
            chosen, f"end of speech -> actions p50/p95, {label}"
        )
        rows.append(row)
    everything = [r for done in by_size.values() for r in done]
    hours = sum(r.audio_s for r in everything) / 3600
    figures["rtf"] = {"clean": rtf(r for r in rs if r.room == CLEAN), "all": rtf(everything)}
    figures["audio_hours_all"] = hours
    rows.append(("real-time factor (decode wall / audio), clean", f"{figures['rtf']['clean']:.3f}"))
    rows.append((f"real-time factor, all {hours:.2f} h of audio", f"{figures['rtf']['all']:.3f}"))
    return rows, figures


def end_rows(by_size: dict[int, list[Done]]) -> tuple[Rows, dict[str, Any]]:
    """How often the loop never found the end of speech by quiet (wake mode, main home)."""
    rs = pick(by_size[MAIN], "wake")
    rows: Rows = []
    figures: dict[str, Any] = {}
    for label, kept in SNR_ROOMS.items():
        chosen = [r for r in rs if r.room in kept]
        missed = sum(not r.end_found for r in chosen)
        figures[label] = {"count": missed, "n": len(chosen)}
        rows.append((f"end of speech never found by quiet, {label}", pct(missed, len(chosen))))
    return rows, figures


def table_speed(by_size: dict[int, list[Done]]) -> tuple[Rows, dict[str, Any]]:
    speed, figures = speed_rows(by_size)
    ends, figures["end_not_found"] = end_rows(by_size)
    rss, figures["peak_rss_mb"] = rss_rows(by_size)
    return speed + ends + rss, figures


def examples(by_size: dict[int, list[Done]], count: int = 20) -> list[dict[str, str]]:
    """Clean wake-mode commands that went wrong: what was typed and what was heard."""
    wrong = [r for r in pick(by_size[MAIN], "wake") if r.room == CLEAN and not r.right]
    wrong.sort(key=lambda r: (r.family, r.text))
    return [{"family": r.family, "typed": r.text, "heard": r.heard} for r in wrong[:count]]


# --- main --------------------------------------------------------------------------------


def setup_rows(plan: Plan, config: Config, args: argparse.Namespace) -> Rows:
    voices = f"espeak: {', '.join(ESPEAK_VOICES)}; hibari seeds {HIBARI_SEEDS}"
    classifier = for_phrase(config.voice.wake_word) is not None
    rows = [
        ("recogniser", engine_in_use(config.voice) + (
            f", {config.voice.recognition_in_use} recognition in wake mode"
            if engine_in_use(config.voice) == "pocketsphinx" else "")),
        ("voices", voices),
        ("sensitivity", f"{config.voice.sensitivity:g} (wake: " + (
            "the wake classifier" if classifier else "word confidences, no classifier") + ")"),
        ("items per cell", f"{args.n} commands, {plan.chatter} chatter sentences; table 2's "
         f"{', '.join(str(s) for s in SIZES if s != MAIN)}-entity homes: {-(-args.n // 2)}"),
    ]  # fmt: skip
    for size, cs in plan.commands.items():
        sources = Counter(c.source for c in cs)
        told = ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        rows.append((f"commands, {size}-entity home", f"{len(cs)} ({told})"))
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=None, help="commands per cell (default 100)")
    ap.add_argument("--quick", action="store_true", help="n 10, 0.1 h of false-wake audio")
    ap.add_argument("--hours", type=float, default=None, help="false-wake audio (default 1)")
    ap.add_argument("--sensitivity", type=float, default=None, help="voice.sensitivity")
    ap.add_argument("--engine", default=None, help="voice.engine (default: the config's)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    ap.add_argument("--config", default=str(ROOT / "configs" / "agent.example.yaml"))
    args = ap.parse_args(argv)
    if args.n is None:
        args.n = 10 if args.quick else 100
    if args.hours is None:
        args.hours = 0.1 if args.quick else 1.0
    return args


def show(title: str, rows: Rows) -> None:
    print(f"\n{title}")
    print_table(rows)


def run_all(plan: Plan, args: argparse.Namespace) -> tuple[dict[int, list[Done]], float]:
    """Every home's tasks, one pool after another; the results and the workers' CPU seconds.
    Temporary files (the recogniser's grammars) go to a temporary directory."""
    before = os.environ.get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        os.environ["TMPDIR"] = tmp  # the spawned workers' tempfile module reads it
        try:
            runs = {size: run_home(size, plan.tasks[size], args) for size in (500, 10, MAIN)}
        finally:
            if before is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = before
    return {size: runs[size][0] for size in SIZES}, sum(cpu for _, cpu in runs.values())


def commands_json(plan: Plan) -> dict[int, list[dict[str, Any]]]:
    return {
        size: [
            {"text": c.text, "source": c.source, "intent": c.want[0], "targets": c.want[2]}
            for c in cs
        ]
        for size, cs in plan.commands.items()
    }


def tables(
    by_size: dict[int, list[Done]], sensitivity: float
) -> list[tuple[str, str, tuple[Rows, Any]]]:
    everything = [r for done in by_size.values() for r in done]
    return [
        ("wake", f"1. Wake mode, {MAIN}-entity home", table_wake(by_size[MAIN])),
        ("sizes", f"2. Home size, wake mode ({MAIN}: table 1's rows)", table_sizes(everything)),
        ("always", f"3. Always mode, {MAIN}-entity home", table_always(by_size[MAIN])),
        ("false_wakes", "4. False wakes (wake mode, streams without the wake phrase)",
         table_false_wakes(by_size[MAIN], sensitivity)),
        ("speed", "5. Speed and memory", table_speed(by_size)),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    repeatable_sox()
    config = settings_config(args.config, args.sensitivity, args.engine)
    plan = make_plan(config, args.n, args.hours)
    say(", ".join(f"home {s}: {len(t)} tasks" for s, t in plan.tasks.items()))
    by_size, cpu = run_all(plan, args)
    settings = {"n": args.n, "hours": args.hours, "jobs": args.jobs}
    report: dict[str, Any] = {"settings": settings | {"sensitivity": config.voice.sensitivity}}
    report["commands"] = commands_json(plan)
    show("Setup", setup_rows(plan, config, args))
    for key, title, (rows, figures) in tables(by_size, config.voice.sensitivity):
        show(title, rows)
        report[key] = figures
    wall = time.perf_counter() - started
    print(f"\nwall time {wall / 60:.1f} min with {args.jobs} workers; CPU time in the workers "
          f"{cpu / 60:.1f} min")  # fmt: skip
    report |= {"wall_s": wall, "worker_cpu_s": cpu, "clean_misses": examples(by_size)}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
