"""Text normalisation shared by the understanding tiers and the resolver.

Folded first (`fold`): terminal escape sequences and control characters out, compatibility
forms (NFKC: full-width, mathematical letters), letters that only look Latin (Cyrillic,
Greek) to the Latin ones, accents off. Then lower case, punctuation to spaces, apostrophes
dropped ("what's" -> "whats"), "%" to "percent", and number words to digits ("twenty one
point five" -> "21.5"). Letters of other scripts are kept, never dropped: dropping them
turned "привет 31" into "31".

Numbers: every decimal digit reads as its ASCII digit (Arabic-Indic and full-width "21" are
"21"); other number characters (superscripts, fractions, circled digits) are not digits and
stay as they are, each a word ("²¹" is no 21); a minus sign before a number is the word
"minus" ("-5" is "minus 5", never 5); an underscore between digits stays ("1_000" is not
"1 000").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_UNITS: Final = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS: Final = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORDS: Final = set(_UNITS) | set(_TENS) | {"hundred"}
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_PERCENT = re.compile(r"(\d)\s*%")
_NON_WORD = re.compile(r"[^\w.]+|(?<!\d)_+|_+(?!\d)")
_MINUS = re.compile(r"(?<![\w.])[-\u2212\u2012\u2013\u2014\ufe63](?=\d)")
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
# Lower-case letters of other scripts that read as Latin ones (after casefold, so capital
# lookalikes like Cyrillic ve and en count by their lower-case forms).
_LOOKALIKES: Final = str.maketrans(
    (
        "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443"
        "\u0445\u0455\u0456\u0457\u0458\u0501\u04bb\u04cf\u051b\u051d\u0261\u0131"
        "\u03b1\u03b2\u03b5\u03b7\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7"
        "\u03f2\u03f3"
    ),
    "abeekmhopctyxsiijdhlqwgiabenikvoptuxcj",
)


def fold(text: str) -> str:
    """Text as its letters read: see the module's docstring. Lower case."""
    text = _ESCAPES.sub(" ", text)
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


_STRAY_DOTS = re.compile(r"(?<!\d)\.|\.(?!\d)")
_SPACES = re.compile(r"\s+")
_EACH_AND_EVERY = re.compile(r"\beach and every\b")
_OF_FOR_OFF = re.compile(r"\b(turn|switch|shut|power|turned|switched) of\b")  # a common typo


def _words_to_number(words: list[str]) -> int | None:
    """Parse a run of number words ("one hundred", "twenty one"); None if it isn't one."""
    total = 0
    current = 0
    for word in words:
        if word in _UNITS:
            if current % 10 or (current and current < 20 and current >= 10):
                return None  # "five six" is not a number
            current += _UNITS[word]
        elif word in _TENS:
            if current:
                return None
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
            total += current
            current = 0
        else:
            return None
    return total + current


def _convert_numbers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _NUMBER_WORDS and not (
            tok == "oh" or (tok == "one" and _is_pronoun_one(tokens, i))
        ):
            j = i
            run: list[str] = []
            while j < len(tokens) and (
                (tokens[j] in _NUMBER_WORDS and tokens[j] != "oh")
                or (tokens[j] == "and" and run and run[-1] == "hundred")
            ):
                if tokens[j] != "and":
                    run.append(tokens[j])
                j += 1
            value = _words_to_number(run)
            if value is None:
                out.append(tok)
                i += 1
                continue
            text = str(value)
            # "twenty one point five"
            if j + 1 < len(tokens) and tokens[j] == "point" and tokens[j + 1] in _UNITS:
                text += "." + str(_UNITS[tokens[j + 1]])
                j += 2
            out.append(text)
            i = j
            continue
        if tok == "a" and i + 1 < len(tokens) and tokens[i + 1] == "hundred":
            out.append("100")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _is_pronoun_one(tokens: list[str], i: int) -> bool:
    """'the one in the kitchen', 'that one': keep the word."""
    prev = tokens[i - 1] if i else ""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    return prev in {"the", "this", "that", "which", "other", "big", "small", "every"} or nxt in {
        "in",
        "on",
        "by",
        "near",
        "next",
    }


_PLURAL_POSSESSIVE = re.compile(r"(?<=s)['\u2019]s\b")  # "lights's" is "lights"


def _folded_numbers(text: str) -> str:
    """`fold`, with numbers as they read: see the module's docstring."""
    if text.isascii():
        return fold(text)
    pieces: list[str] = []
    run = ""
    for char in text:  # other number characters kept, each a word (NFKC makes "²" a "2")
        if unicodedata.category(char) == "No":
            pieces += [fold(run), f" {char} "]
            run = ""
        else:
            run += char
    text = "".join([*pieces, fold(run)])
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def other_numbers(text: str) -> bool:
    """Whether the text holds number characters that are not digits ("²", "½", "①")."""
    return not text.isascii() and any(unicodedata.category(c) == "No" for c in text)


def normalize(text: str) -> str:
    text = _folded_numbers(text)
    text = _MINUS.sub(" minus ", text)
    text = _PLURAL_POSSESSIVE.sub("", text)
    text = _APOSTROPHES.sub("", text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = text.replace("-", " ")
    text = _NON_WORD.sub(" ", text)
    text = _STRAY_DOTS.sub(" ", text)
    text = _OF_FOR_OFF.sub(r"\1 off", text)
    text = _EACH_AND_EVERY.sub("every", text)
    tokens = _SPACES.sub(" ", text).strip().split(" ")
    if tokens == [""]:
        return ""
    return " ".join(_convert_numbers(tokens))


def spoken_number(n: int) -> str:
    """0..100 as words: 21 -> "twenty one"."""
    if n == 100:
        return "one hundred"
    units = {v: k for k, v in _UNITS.items() if k != "oh"}
    if n < 20:
        return units[n]
    tens = {v: k for k, v in _TENS.items() if k != "fourty"}
    return tens[n - n % 10] + ("" if n % 10 == 0 else " " + units[n % 10])


def to_number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value
