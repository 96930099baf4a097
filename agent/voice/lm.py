"""A statistical language model of what people say to this home, for the recogniser.

The closed grammar (agent/voice/grammar.py) hears only its own sentences, so "activate the
shed light" or "is jordans lamp shining" came out as some other command, or as nothing. Here
a second decoder gets a trigram model beside it (agent/voice/sphinx.py chooses between
them), estimated from sentences sampled from the understanding model's training frames
(agent/train/corpus.py: many ways to say each intent) and the spoken grammar, filled with
this home's names, areas and kinds of device that can do what each sentence says, plus
everyday speech that is no command (so chatter is heard as chatter, which understanding
then rejects). Word order and wording may stray from any one frame: the text goes on to the
understanding tiers as typed text does. Pure.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.home.inventory import Device, Home
from agent.intents import as_intent
from agent.language.normalize import normalize, spoken_number
from agent.train import corpus, datagen
from agent.train.sampler import Slot, parse, sample
from agent.voice import grammar
from agent.voice.grammar import SPOKEN, SPOKEN_KINDS, able, spelled

ORDER = 3
DISCOUNT = 0.9  # absolute discount per seen n-gram; what it frees goes to the lower order
# Shares of the sentences: everyday speech that is no command, the spoken grammar's short
# commands; the rest are the training frames', intents drawn evenly.
CHATTER_SHARE = 0.15
GRAMMAR_SHARE = 0.6  # the spoken grammar's short commands: what people say most
ANSWER_SHARE = 0.03  # answers to its questions: "yes", "the kitchen one"
WAKE_SHARE = 0.3  # commands said after the wake phrase in the same breath
SENTENCES = 30000
NUMBERS = tuple(range(101))
VALUES = {  # the other slots' values, from the training vocabularies
    "color": corpus.COLOR_NAMES,
    "level": corpus.LEVELS,
    "climate": corpus.CLIMATE_WORDS,
    "reading": corpus.READINGS,
    "class": corpus.CLASSES,
    "media": corpus.MEDIA,
    "lights": corpus.LIGHTS,
    "mute": ["mute", "silence"],
}


def _spoken(text: str) -> str:
    words = []
    for w in normalize(text).split():
        if w.isdecimal() and len(w) < 4 and int(w) <= 100:
            words.append(spoken_number(int(w)))
        elif w.isdecimal():
            words.append(" ".join(spoken_number(int(d)) for d in w))
        else:
            words.append(SPOKEN.get(w, w))
    return " ".join(words)


class _Filler:
    """Slot values from the home: names and kinds of devices that can do the intent."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.areas = sorted(
            {normalize(n) for a in home.areas for n in (a.name, *a.aliases, a.floor or "") if n}
        )
        self.able: dict[str, list[Device]] = {}

    def devices(self, intent: str) -> list[Device]:
        if intent not in self.able:
            if intent == "get_state":
                self.able[intent] = list(self.home.devices)
            else:
                # the kinds of device the frames were written for ("that's far enough, stop
                # the blinds" is no way to stop the music)
                kinds = {"scene"} if intent == "activate_scene" else set(datagen.domains(intent))
                self.able[intent] = [
                    d for d in self.home.devices if d.domain in kinds and able(d, as_intent(intent))
                ]
        return self.able[intent]

    def device(self, intent: str, rng: random.Random) -> str | None:
        devices = self.devices(intent)
        if not devices:
            return None
        d = rng.choice(devices)
        kinds = SPOKEN_KINDS.get(d.domain, ())
        roll = rng.random()
        if roll < 0.7 or not kinds:
            return rng.choice((d.name, *d.aliases))
        kind = rng.choice(kinds)
        if roll < 0.85 and d.area:
            return f"{d.area} {kind}"
        return kind

    def fill(self, slot: str, intent: str, rng: random.Random) -> str | None:
        if slot in ("device", "scene"):
            return self.device("activate_scene" if slot == "scene" else intent, rng)
        if slot == "area":
            return rng.choice(self.areas) if self.areas else None
        if slot in ("pct", "num", "percent", "number"):
            n = rng.choice(NUMBERS)
            template = {"pct": rng.choice(corpus.PERCENTS), "percent": "{n} percent"}.get(
                slot, "{n}"
            )
            return template.format(n=n)
        if slot == "temperature":
            return f"{rng.randint(15, 30)} degrees"
        if slot == "temp":
            return rng.choice(corpus.TEMPS).format(n=rng.randint(15, 30))
        return rng.choice(VALUES[slot])


def _sentence(
    template: str,
    intent: str,
    filler: _Filler,
    rng: random.Random,
    rules: dict[str, str] = corpus.RULES,
) -> str | None:
    words = []
    for item in sample(parse(template, rules), rng):
        if isinstance(item, Slot):
            value = filler.fill(item.name, intent, rng)
            if value is None:
                return None
            words.append(value)
        else:
            words.append(item)
    return _spoken(" ".join(words))


def _spoken_sentence(spoken: dict[str, Any], filler: _Filler, rng: random.Random) -> str | None:
    """A sentence of the spoken grammar (speech.yaml), with a prefix or suffix at times."""
    entry = rng.choice(spoken["commands"])
    template, can = (
        (entry, ["get_state"]) if isinstance(entry, str) else (entry["say"], entry["can"])
    )
    said = _sentence(template, rng.choice(can), filler, rng, spoken.get("rules", {}))
    if said and rng.random() < 0.2:
        said = f"{_spoken(rng.choice(spoken['prefixes']))} {said}"
    if said and rng.random() < 0.2:
        said = f"{said} {_spoken(rng.choice(spoken['suffixes']))}"
    return said


def sentences(
    home: Home, *, wake: str | None = None, count: int = SENTENCES, seed: int = 0
) -> list[str]:
    """`count` sentences people might say to this home (with the wake phrase before some)."""
    rng = random.Random(seed)
    filler = _Filler(home)
    intents = [i for i in corpus.FRAMES if filler.devices(i) or i == "get_state"]
    phrase = _spoken(wake) if wake else ""
    spoken = grammar.patterns()
    out: list[str] = []
    tries = 0
    while len(out) < count and tries < count * 3:
        tries += 1
        roll = rng.random()
        if roll < CHATTER_SHARE:
            said = _sentence(rng.choice(corpus.NONE_FRAMES), "none", filler, rng)
        elif roll < CHATTER_SHARE + GRAMMAR_SHARE:
            said = _spoken_sentence(spoken, filler, rng)
        else:
            intent = rng.choice(intents)
            template, _ = rng.choice(corpus.FRAMES[intent])
            said = _sentence(template, intent, filler, rng)
        if not said:
            continue
        if phrase and rng.random() < WAKE_SHARE:
            said = f"{phrase} {said}"
        out.append(said)
    if phrase:
        out += [phrase] * max(1, count // 50)
    answers = random.Random(seed + 1)  # answers to its questions: "yes", "the kitchen one"
    for _ in range(round(count * ANSWER_SHARE)):
        template = answers.choice(spoken["answers"])
        said = _sentence(template, "get_state", filler, answers, spoken.get("rules", {}))
        if said:
            out.append(said)
    return out


@dataclass(frozen=True)
class LanguageModel:
    arpa: str
    words: frozenset[str]  # every word it can yield
    missing: list[str]  # words the recogniser's dictionary lacks (their sentences left out)


def build(
    home: Home, *, wake: str | None = None, vocabulary: set[str] | None = None
) -> LanguageModel:
    """The home's model: sentences() estimated by arpa()."""
    texts = [[spelled(w, vocabulary) for w in t.split()] for t in sentences(home, wake=wake)]
    missing = set()
    kept = []
    for words in texts:
        lacking = {w for w in words if vocabulary is not None and w not in vocabulary}
        missing |= lacking
        if not lacking:
            kept.append(words)
    return LanguageModel(arpa(kept), frozenset(w for ws in kept for w in ws), sorted(missing))


def words(home: Home, *, wake: str | None = None) -> frozenset[str]:
    """Every word the home's sentences use (a word list for a recogniser without the model,
    such as Vosk's)."""
    return frozenset(w for t in sentences(home, wake=wake) for w in t.split())


def arpa(texts: Iterable[Sequence[str]]) -> str:
    """A backed-off trigram model of `texts` (each a list of words) in ARPA format, absolute
    discounting."""
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(ORDER)]
    for words in texts:
        if not words:
            continue
        padded = ["<s>", *words, "</s>"]
        for n in range(1, ORDER + 1):
            for i in range(len(padded) - n + 1):
                gram = tuple(padded[i : i + n])
                if gram != ("<s>",):
                    counts[n - 1][gram] += 1
    return _write(_estimate(counts))


Model = list[dict[tuple[str, ...], tuple[float, float | None]]]  # log10 p, log10 backoff


def _estimate(counts: list[Counter[tuple[str, ...]]]) -> Model:
    unigrams = counts[0]
    total = sum(unigrams.values())
    # unigrams: relative frequencies, undiscounted (no word is unseen: the vocabulary is
    # what was seen)
    prob: list[dict[tuple[str, ...], float]] = [{g: c / total for g, c in unigrams.items()}]
    prob[0][("<s>",)] = 0.0
    followers: list[dict[tuple[str, ...], list[tuple[str, ...]]]] = []
    context_total: list[Counter[tuple[str, ...]]] = []
    for n in range(2, ORDER + 1):
        by_context: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        totals: Counter[tuple[str, ...]] = Counter()
        for gram, c in counts[n - 1].items():
            by_context[gram[:-1]].append(gram)
            totals[gram[:-1]] += c
        followers.append(by_context)
        context_total.append(totals)
        prob.append({g: (c - DISCOUNT) / totals[g[:-1]] for g, c in counts[n - 1].items()})

    def lower(gram: tuple[str, ...]) -> float:
        """P(w | shorter context), backing off as the model will."""
        if len(gram) == 1:
            return prob[0].get(gram, 0.0)
        if gram in prob[len(gram) - 1]:
            return prob[len(gram) - 1][gram]
        return backoff.get(gram[:-1], 1.0) * lower(gram[1:])

    backoff: dict[tuple[str, ...], float] = {}
    for n in range(2, ORDER + 1):
        for context, grams in followers[n - 2].items():
            freed = DISCOUNT * len(grams) / context_total[n - 2][context]
            taken = sum(lower(g[1:]) for g in grams)
            backoff[context] = freed / (1.0 - taken) if taken < 1.0 else 1e-9
    model: Model = []
    for n in range(1, ORDER + 1):
        level = {}
        for gram, p in prob[n - 1].items():
            logp = math.log10(p) if p > 0 else -99.0
            bo = backoff.get(gram)
            level[gram] = (logp, math.log10(bo) if bo and n < ORDER else None)
        model.append(level)
    return model


def _write(model: Model) -> str:
    lines = ["", "\\data\\"]
    lines += [f"ngram {n + 1}={len(level)}" for n, level in enumerate(model)]
    for n, level in enumerate(model):
        lines += ["", f"\\{n + 1}-grams:"]
        for gram, (logp, bo) in sorted(level.items()):
            words = " ".join(gram)
            lines.append(f"{logp:.4f}\t{words}" + ("" if bo is None else f"\t{bo:.4f}"))
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
