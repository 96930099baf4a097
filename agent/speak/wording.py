"""Replies as they are read aloud: numbers as words and units spelt out ("21.5 °C" ->
"twenty-one and a half degrees", "40%" -> "forty percent"), from the language file's
`spoken` section (agent/language/en.yaml; another language is another file). Pure."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.language import phrases

NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?:\s?(°C|°F|%))?(?![\w])")


@dataclass(frozen=True)
class Language:
    ones: tuple[str, ...]
    tens: tuple[str, ...]
    hundred: str
    scales: tuple[tuple[int, str], ...]
    joiner: str
    and_hundreds: str
    minus: str
    point: str
    fractions: dict[str, tuple[str, str]]
    units: dict[str, str]
    words: dict[str, str]


@functools.cache
def language(name: str = "en") -> Language:
    raw = phrases.language(name)["spoken"]
    return Language(
        ones=tuple(raw["ones"]),
        tens=tuple(raw["tens"]),
        hundred=raw["hundred"],
        scales=tuple((int(n), str(w)) for n, w in raw["scales"]),
        joiner=raw["joiner"],
        and_hundreds=raw["and_hundreds"],
        minus=raw["minus"],
        point=raw["point"],
        fractions={k: (v[0], v[1]) for k, v in raw["fractions"].items()},
        units=dict(raw["units"]),
        words=dict(raw["words"]),
    )


def whole(n: int, lang: Language) -> str:
    """0 <= n < 10**9 in words: 21 -> "twenty-one", 105 -> "one hundred and five"."""
    if n < 20:
        return lang.ones[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return lang.tens[tens] + (lang.joiner + lang.ones[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{lang.ones[hundreds]} {lang.hundred}"
        return head + (lang.and_hundreds + whole(rest, lang) if rest else "")
    for size, word in lang.scales:
        if n >= size:
            top, rest = divmod(n, size)
            head = f"{whole(top, lang)} {word}"
            if not rest:
                return head
            return head + (lang.and_hundreds if rest < 100 else " ") + whole(rest, lang)
    return str(n)


def number(said: str, lang: Language) -> str:
    """A number as written in a reply ("21.5", "-3", "0.25") in words."""
    sign = ""
    if said.startswith("-"):
        sign, said = lang.minus + " ", said[1:]
    head, _, tail = said.partition(".")
    tail = tail.rstrip("0")
    if int(head) >= 10**9:
        return sign + said
    if not tail:
        return sign + whole(int(head), lang)
    fraction = lang.fractions.get(f"0.{tail}")
    if fraction is not None:
        after, alone = fraction
        return sign + (alone if head == "0" else f"{whole(int(head), lang)} {after}")
    digits = " ".join(lang.ones[int(d)] for d in tail)
    return f"{sign}{whole(int(head), lang)} {lang.point} {digits}"


def speakable(text: str, lang: Language | None = None) -> str:
    """The reply with its numbers and units as words, ready for any engine."""
    lang = lang or language()

    def read(m: re.Match[str]) -> str:
        said = number(m.group(1), lang)
        unit = m.group(2)
        return f"{said} {lang.units[unit]}" if unit else said

    out = NUMBER.sub(read, text)
    for written, said in lang.words.items():
        out = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", said, out)
    return re.sub(r"\s+", " ", out).strip()
