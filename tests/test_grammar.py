"""The speech grammar offers only what the home can do: sentences drawn at random from the
JSGF the recogniser gets, read by the text pipeline, never pair a verb with a device that
cannot do it ("unlock the bedroom light", "close the music")."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from agent.cli import _pipeline
from agent.config import Config, load_config
from agent.home.inventory import Device, Home
from agent.home.specs import HomeAssistantSpec
from agent.voice import grammar, lm

ROOT = Path(__file__).resolve().parent.parent
HOMES = {
    "example": ROOT / "configs" / "agent.example.yaml",
    "lookalike": ROOT / "tests" / "data" / "lookalike_home.yaml",
}
TOKEN = re.compile(r"<[^>]+>|[()\[\]|]|[^\s()\[\]|<>]+")


def rules(jsgf: str) -> dict[str, list[str]]:
    out = {}
    for line in jsgf.splitlines():
        found = re.match(r"(?:public )?<([^>]+)> = (.*);$", line)
        if found:
            out[found.group(1)] = TOKEN.findall(found.group(2))
    return out


def sentence(table: dict[str, list[str]], start: str, rnd: random.Random) -> str:
    """One random sentence of the grammar from rule `start`."""

    def expr(tokens: list[str], i: int) -> tuple[list[list[str]], int]:
        choices: list[list[str]] = [[]]
        while i < len(tokens) and tokens[i] not in (")", "]"):
            t = tokens[i]
            if t == "|":
                choices.append([])
                i += 1
            elif t in ("(", "["):
                inner, i = expr(tokens, i + 1)
                picked = rnd.choice(inner)
                if t == "[" and rnd.random() < 0.5:
                    picked = []
                choices[-1].extend(picked)
                i += 1  # the closing bracket
            elif t == "<NULL>":
                i += 1
            elif t.startswith("<"):
                choices[-1].extend(words(t[1:-1]))
                i += 1
            else:
                choices[-1].append(t)
                i += 1
        return choices, i

    def words(rule: str) -> list[str]:
        choices, _ = expr(table[rule], 0)
        return rnd.choice(choices)

    return " ".join(words(start))


@pytest.mark.parametrize("home", sorted(HOMES))
def test_no_sentence_of_the_grammar_asks_a_device_for_what_it_cannot_do(home: str) -> None:
    config = load_config(HOMES[home])
    table = rules(grammar.build(config.home, wake="hey computer").jsgf)
    rnd = random.Random(7)
    assert cannot_do(config, [sentence(table, "body", rnd) for _ in range(1500)]) == []


def cannot_do(config: Config, texts: list[str]) -> list[str]:
    """The texts the home's pipeline answers "Sorry, I can't ..." (a device asked for what
    it can't do)."""
    pipeline = _pipeline(config)
    cannot = []
    for n, text in enumerate(texts):
        outcome = pipeline.handle(text, who=f"t{n}")
        if outcome.response.startswith("Sorry, I can't"):
            cannot.append(f"{text!r}: {outcome.response}")
        if pipeline.has_pending:
            pipeline.handle("no", who=f"t{n}")
    return cannot


def test_verbs_are_offered_only_with_devices_that_can_do_them() -> None:
    config = load_config(HOMES["example"])
    table = rules(grammar.build(config.home, wake="hey computer").jsgf)
    jsgf_rules = {name: " ".join(tokens) for name, tokens in table.items()}

    def device_rule(verb: str) -> str:
        body = jsgf_rules["body"]
        found = re.search(rf"\( {verb} \| [^)]*\) [^<]*<(device\d+)>", body)
        found = found or re.search(rf"\( \w+ \| {verb} \) [^<]*<(device\d+)>", body)
        assert found, verb
        return jsgf_rules[found.group(1)]

    unlockable = device_rule("lock")
    assert "front door" in unlockable and "lights" not in unlockable
    assert "bedroom lamp" not in unlockable and "music" not in unlockable
    openable = device_rule("open")
    assert "blinds" in openable and "garage door" in openable
    assert "music" not in openable and "lights" not in openable and "front door" not in openable


def test_a_500_entity_grammar_builds_in_time_and_keeps_its_verbs() -> None:
    config = load_config(HOMES["example"])
    extra = tuple(
        Device(
            f"switch.outlet_{i}",
            f"outlet {grammar_number(i)}",
            command=HomeAssistantSpec(command_topic=f"o/{i}/set"),
        )
        for i in range(500)
    )
    home = Home(areas=config.home.areas, devices=config.home.devices + extra)
    began = time.perf_counter()
    built = grammar.build(home, wake="hey computer")
    seconds = time.perf_counter() - began
    assert seconds < 5, f"{seconds:.1f} s"
    table = rules(built.jsgf)
    devices = [" ".join(t) for name, t in table.items() if name.startswith("device")]
    lockable = next(d for d in devices if "front door" in d)
    assert "outlet" not in lockable
    assert any("outlet ninety nine" in d for d in devices)


def grammar_number(i: int) -> str:
    from agent.language.normalize import spoken_number

    return spoken_number(i % 100)


@pytest.mark.parametrize("home", sorted(HOMES))
def test_the_language_models_commands_ask_devices_only_for_what_they_can_do(home: str) -> None:
    """The statistical model's sentences (voice.recognition: open) come from the training
    frames filled with devices that can do each frame's intent."""
    config = load_config(HOMES[home])
    assert cannot_do(config, lm.sentences(config.home, count=1500, seed=3)) == []


def _probability(model: str, context: tuple[str, ...], word: str) -> float:
    """P(word | context) read back from ARPA text, backing off as a decoder does."""
    table: dict[tuple[str, ...], tuple[float, float]] = {}
    for line in model.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            table[tuple(parts[1].split())] = (
                float(parts[0]),
                float(parts[2]) if len(parts) > 2 else 0.0,
            )
    log10 = 0.0
    while (*context, word) not in table:
        log10 += table.get(context, (0.0, 0.0))[1]
        context = context[1:]
    return float(10 ** (log10 + table[(*context, word)][0]))


def test_the_language_model_is_a_distribution_after_every_context() -> None:
    texts = [s.split() for s in ("turn on the light", "turn off the light", "turn on the fan")]
    model = lm.arpa([*texts, ["lock", "the", "door"], ["the", "light", "is", "on"]])
    vocabulary = {w for t in texts for w in t} | {"lock", "door", "is", "</s>"}
    for context in [("<s>",), ("<s>", "turn"), ("turn", "on"), ("the",), ("on", "the"), ("is",)]:
        total = sum(_probability(model, context, w) for w in vocabulary)
        assert abs(total - 1.0) < 1e-3, (context, total)
    assert _probability(model, ("turn", "on"), "the") > _probability(model, ("turn", "on"), "door")
