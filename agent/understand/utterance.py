"""What kind of utterance this is, before and after the tiers: assistant names taken out,
questions told from commands, a bare name told from a request. Pure, on normalised text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from agent.language.normalize import normalize
from agent.language.words import DETERMINERS, FILLERS
from agent.understand.clauses import VERB

# Names of voice assistants and their wake phrases: never part of a command.
ASSISTANT_NAMES = (
    "hey google",
    "ok google",
    "okay google",
    "hey siri",
    "hey alexa",
    "hey jarvis",
    "ok jarvis",
    "okay jarvis",
    "hey mycroft",
    "hey computer",
    "ok computer",
    "okay computer",
    "alexa",
    "siri",
    "google",
    "jarvis",
    "mycroft",
    "computer",
)

# A question about state starts like this ("is the fan on", "do we have a leak anywhere")...
_QUESTION = re.compile(
    r"^(?:is|are|was|isnt|arent|does|do|did|has|have|hasnt|havent|which|whats|what|how|"
    r"shall|should|"
    r"any|anything|count|tell me (?:if|whether|what|which|how)|check (?:if|whether)|"
    r"(?:can|could) you (?:tell|check) (?:me )?(?:if|whether|what|which|how)|"
    r"do you know (?:if|whether|what|which|how)|i wonder (?:if|whether)|"
    r"let me know (?:if|whether))\b"
)
# ...unless it is a request said as a question ("is it possible to turn on ...").
_REQUEST = re.compile(
    r"^(?:is it possible to|is there (?:a )?(?:way|chance) (?:to|you could)|"
    r"how about|what about|do you mind|would you mind|do me a favou?r|"
    r"does anyone mind|have (?:the|my|our) )\b"
)
# "can you turn on the light?", "get the sweeper going, would you?": requests, though they
# end with a question mark.
_POLITE = re.compile(
    r"^(?:can|could|would|will|wont|may|might)\b|"
    r"\b(?:can|could|would|will|wont|may|might) (?:you|we|i|u)\b|\bwould you mind\b|"
    r"\b(?:please|kindly|pls)\b|^(?:i want|i need|id like|i would like|lets|let us)\b"
)
# "the fan is on", "the heating is at 30": how things are, not what to do.
_STATEMENT = re.compile(
    r"^(?:the|my|our|your|that|this) (?:\w+ ){1,5}(?:is|are) (?:still |now |already )?"
    r"(?:on|off|open|closed|shut|locked|unlocked|running|at \d+(?:\.\d+)?(?: \w+)?)$"
)

_DURATION = re.compile(
    r"\b(?P<how>for|in|after) (?:the next |another |about |around )?"
    r"(?:\d+(?:\.\d+)?|a|an|half an?|a couple of|a few|couple of|few) (?:more )?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
    r"|\b(?P<for>for) (?:a while|a bit|a little while)\b"
    r"|\b(?P<later>(?:in|after) (?:a moment|a bit|a while|a minute|a few minutes|a second)"
    r"|at (?:sunset|sunrise|dusk|dawn|noon|midnight|\d+(?: \d+)? ?(?:am|pm|oclock))"
    r"|tomorrow(?: morning| evening| night)?|later(?: on| today| tonight)?"
    r"|when (?:i|we) (?:leave|get home|get back|go to bed|go out|wake up|arrive))\b"
)
_FAHRENHEIT = re.compile(r"\b(?:fahrenheit|farenheit|degrees f|f)\b")
_CELSIUS = re.compile(r"\b(?:celsius|centigrade|degrees c|c)\b")
_NOT_NAMES = frozenset(DETERMINERS) | FILLERS


@dataclass(frozen=True)
class Duration:
    how: str  # "for": act now, for a while; "in" or "after": later
    said: str  # "for half an hour"


def split_duration(text: str) -> tuple[str, Duration | None]:
    """'silence the speaker for half an hour' -> ('silence the speaker', for half an hour);
    'turn off the lights in 10 minutes' -> (..., in 10 minutes): times not kept yet."""
    words = normalize(text)
    found = _DURATION.search(words)
    if found is None:
        return words, None
    rest = " ".join((words[: found.start()] + " " + words[found.end() :]).split())
    return rest, Duration(found["how"] or found["for"] or "later", found.group())


def temperature_unit(text: str) -> str | None:
    """'F' or 'C' when the sentence says which; None when it doesn't."""
    words = normalize(text)
    if _FAHRENHEIT.search(words):
        return "F"
    if _CELSIUS.search(words):
        return "C"
    return None


def strip_assistant_names(
    text: str, *, named: Callable[[str], bool], extra: Iterable[str] = ()
) -> str:
    """Normalised text without assistant names anywhere in it; a name that is part of a
    device's name in this home ("the computer desk lamp") stays."""
    words = normalize(text)
    names = sorted({*ASSISTANT_NAMES, *(normalize(w) for w in extra if w)}, key=len, reverse=True)
    for name in names:
        if f" {name} " in f" {words} " and not named(name):
            words = re.sub(rf"(?:^| ){re.escape(name)}(?= |$)", " ", words)
    return " ".join(words.split())


def is_question(text: str, *, marked: bool = False) -> bool:
    """A question about how things are, or a statement of it, not a request: it must never
    move anything. `marked`: the sentence ended with "?" ("lights on?")."""
    words = normalize(text)
    if _REQUEST.match(words) or (marked and _POLITE.search(words)):
        return False
    return bool(_QUESTION.match(words) or _STATEMENT.match(words)) or marked


def is_bare_name(
    text: str,
    device: str | None,
    area: str | None,
    *,
    named: Callable[[str], bool],
    part: bool = False,
) -> bool:
    """Nothing but a name ("the garage door", "living room lock okay"): no request in it.
    `named`: whether words are a device's name in this home; `part`: part of `device` is
    enough ("back door" of the Back Door Lock)."""
    said = [w for w in normalize(text).split(" ") if w not in _NOT_NAMES]
    if said and named(" ".join(said)):
        return True
    if part:
        words = set(normalize(device or "").split(" "))
        return bool(said) and not VERB.match(" ".join(said)) and set(said) <= words
    heard = [w for w in normalize(f"{device or ''} {area or ''}").split(" ") if w]
    heard = [w for w in heard if w not in DETERMINERS]
    return bool(said) and sorted(said) == sorted(heard)
