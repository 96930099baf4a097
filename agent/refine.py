"""A tier's reading, refined against the sentence and the home before and after resolving:
a scene said by its name alone, "the kitchen ceiling light blue", "play jazz" (something to
play, not a player called jazz), a level asked about rather than set, Fahrenheit, a lock named
with no request, and a number nobody asked to set ("it's 21 degrees"). Pure."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from itertools import pairwise

from agent.colors import COLORS
from agent.intents import INTENT_DOMAINS
from agent.language.normalize import normalize, other_numbers
from agent.messages import Intent, Slots
from agent.resolve import Resolution
from agent.resolve.names import NameIndex
from agent.resolve.vocab import ADAPT, PRONOUNS, kind_of
from agent.understand.utterance import is_bare_name, temperature_unit

# Intents that set a level: with no level and no direction, they only ask about it.
NEEDS_VALUE = frozenset(
    {"set_brightness", "set_color", "set_temperature", "set_position", "set_volume"}
)
# A thermostat set above this was asked in Fahrenheit ("set it to 70").
FAHRENHEIT_ABOVE = 45
FAHRENHEIT_UP_TO = 95
# What a level can be set to, in the units sent; a reply says what is sent.
RANGES = {
    "set_temperature": (5.0, 35.0),
    "set_brightness": (0.0, 100.0),
    "set_position": (0.0, 100.0),
    "set_volume": (0.0, 100.0),
}
# What "play ..." names when it names no particular thing to play.
_ANYTHING = frozenset(
    {"music", "some music", "something", "a song", "songs", "tunes", "media", "audio", "sound"}
)


def something_to_play(intent: Intent) -> bool:
    """'play jazz' names something to play; 'play the media in the nursery' a player."""
    said = normalize(intent.slots.device or "").removeprefix("the ")
    if intent.name != "media_play" or not said or said in _ANYTHING:
        return False
    return not any(kind_of(w) for w in said.split(" "))


def generic_play(intent: Intent) -> Intent:
    """'play some music on the speaker' is play, not a search for 'music'."""
    media = normalize(intent.slots.media or "").removeprefix("the ")
    if intent.name == "play_media" and media in _ANYTHING:
        return replace(intent, name="media_play", slots=replace(intent.slots, media=None))
    return intent


_ASKING = re.compile(r"\b(?:current|currently|what|whats|how|tell me|check|know)\b")
_LEVEL = re.compile(r"\b(?:volume|brightness|level|temperature|position|speed|setting)\b")


def asks_level(text: str, intent: Intent) -> bool:
    """A level asked about, not set: "I need the current volume of the soundbar"."""
    slots = intent.slots
    unset = slots.value is None and slots.direction is None
    asking = bool(_ASKING.search(text) and _LEVEL.search(text))
    return intent.name in NEEDS_VALUE and unset and asking


def light_colour(intent: Intent, names: NameIndex) -> Intent:
    """'the kitchen ceiling light blue': the colour is blue when 'kitchen ceiling light' is a
    name and 'kitchen ceiling' is not; light blue otherwise."""
    slots = intent.slots
    value, device = slots.value, slots.device or ""
    if intent.name != "set_color" or not isinstance(value, str) or " " not in value:
        return intent
    first, rest = value.split(" ", 1)
    named = f"{device} {first}"
    if rest in COLORS and names.exact(named) and not names.exact(device):
        return replace(intent, slots=replace(slots, device=named, value=rest))
    return intent


# Words too common to name a scene by themselves ("good" is not Good Night).
_COMMON = frozenset(
    [
        "good",
        "the",
        "a",
        "time",
        "mode",
        "scene",
        "night",
        "morning",
        "day",
        "evening",
        "home",
        "all",
        "on",
        "off",
        "my",
        "our",
    ]
)


def scene_named(text: str, names: NameIndex) -> Intent | None:
    """A scene by its name alone, whole or in part: "movie time", "movie", "good night"."""
    words = normalize(text).removesuffix(" scene").removesuffix(" mode").removeprefix("the ")
    if not words or len(words.split(" ")) > 4:
        return None
    found = names.exact(words)
    if not found and set(words.split(" ")) - _COMMON:  # "movie", never "good" or "time"
        found = names.partial(words, None)
    if found and all(d.domain == "scene" for d in found):
        name = found[0].name if len(found) == 1 else words
        return Intent("activate_scene", Slots(device=name), confidence=1.0, tier="template")
    return None


def in_units(text: str, res: Resolution) -> Resolution:
    """A temperature said in Fahrenheit (or too high to be Celsius) is sent in Celsius, and
    the reply says so."""
    value = res.intent.slots.value
    if res.intent.name != "set_temperature" or not isinstance(value, int | float):
        return res
    step = res.intent.slots.direction is not None  # "up by 4 degrees fahrenheit"
    plausible_f = not step and FAHRENHEIT_ABOVE < value <= FAHRENHEIT_UP_TO
    unit = temperature_unit(text) or ("F" if plausible_f else "C")
    if unit == "C":
        return res
    celsius = round(float(value) * 5 / 9 if step else (float(value) - 32) * 5 / 9, 1)
    slots = replace(res.intent.slots, value=int(celsius) if celsius.is_integer() else celsius)
    intent = replace(res.intent, slots=slots)
    return replace(res, intent=intent, note=f"{_number(value)} °F")


def clamped(res: Resolution) -> Resolution:
    """A level beyond what can be sent is sent at the nearest end, and said so: 'set the
    thermostat to 70 c' sets 35 and says 35; a number too big to be one is no value."""
    slots = res.intent.slots
    value, limits = slots.value, RANGES.get(res.intent.name)
    if limits is None or not isinstance(value, int | float) or slots.direction is not None:
        return res
    low, high = limits
    if not math.isfinite(value):
        return replace(res, intent=replace(res.intent, slots=replace(slots, value=None)))
    inside = min(high, max(low, float(value)))
    if inside == value:
        return res
    number = int(inside) if inside.is_integer() else inside
    return replace(res, intent=replace(res.intent, slots=replace(slots, value=number)))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bare_entry(text: str, res: Resolution, names: NameIndex) -> bool:
    """A lock, garage door, gate or door named with no request ("the front door"): asking
    what to do is the only safe reading."""
    slots = res.intent.slots
    return (
        res.status == "ok"
        and res.intent.name != "get_state"
        and any(d.domain == "lock" or d.is_sensitive("open") for d in res.targets)
        and (
            is_bare_name(text, slots.device, slots.area, named=lambda w: bool(names.exact(w)))
            or any(
                is_bare_name(text, d.name, None, named=lambda _: False, part=True)
                for d in res.targets
            )
        )
    )


# "up by 2", "down 10 percent", "raise the heating by one degree": a step, not a setting.
_BY = re.compile(
    r"\b(?:(?P<dir>up|down|higher|lower|warmer|cooler|louder|quieter|brighter|dimmer)"
    r"(?: by)?|by) (?P<n>\d+(?:\.\d+)?)(?! ?(?:am|pm|oclock))\b"
    r"|\b(?P<n2>\d+(?:\.\d+)?) (?:degrees? |percent |points? |notch(?:es)? )?"
    r"(?P<dir2>warmer|cooler|higher|lower|louder|quieter|brighter|dimmer|more|less)\b"
)
_UP = re.compile(
    r"\b(?:up|raise|increase|bump|boost|higher|warmer|louder|brighter|brighten|warm|heat|"
    r"open|speed up|more)\b"
)
_DOWN = re.compile(
    r"\b(?:down|lower|decrease|reduce|drop|cooler|quieter|dimmer|dim|cool|close|slow|less)\b"
)


def by_amount(text: str, intent: Intent) -> Intent:
    """'bump the thermostat up one degree' moves it by 1, never to 1; 'up to 22' stays a
    setting. The step is the value, with the direction beside it."""
    words = normalize(text)
    found = _BY.search(words)
    if found is None or intent.name not in NEEDS_VALUE - {"set_color"}:
        return intent
    said = found["dir"] or found["dir2"]
    direction = (
        "up"
        if said in _UP_WORDS
        else "down"
        if said in _DOWN_WORDS
        else intent.slots.direction or _direction(words)
    )
    if direction is None:  # a step, but which way is unclear: ask, never set it to the step
        return replace(intent, slots=replace(intent.slots, value=None, direction=None))
    step = float(found["n"] or found["n2"])
    value = int(step) if step.is_integer() else step
    return replace(intent, slots=replace(intent.slots, value=value, direction=direction))


_UP_WORDS = frozenset({"up", "higher", "warmer", "louder", "brighter"})
_DOWN_WORDS = frozenset({"down", "lower", "cooler", "quieter", "dimmer"})
# "3 more" or "10 less": which way follows the verb


def _direction(words: str) -> str | None:
    up, down = bool(_UP.search(words)), bool(_DOWN.search(words))
    return "up" if up and not down else "down" if down and not up else None


# -- a number nobody asked to set --------------------------------------------------------------
# The model reads a setting into most sentences with a number in them ("it's 21 degrees",
# "lol 21 please", "lock 5 degrees"). A text with a number not said plainly is no request;
# a model's reading that carries a number is one only when the words say what to set.
# Not said plainly: a minus ("-5" reads "minus 5"; no level here goes below zero, and
# dropping the sign would set +5), a programming literal (hex, exponent, digit groups), or
# number characters that are not digits ("²¹", "½").
_ODD_NUMBER = re.compile(
    r"\b(?:minus|negative) \d|\b(?:0[xob][0-9a-f]+|\d+(?:\.\d+)?e\d*|\d+(?:_\d+)+)\b"
    r"|\b(?:nan|inf|infinity)\b"  # what float() reads as a number, never a level to set
)
# Words for what a level is, beyond the kinds of device that have it ("thermostat", "lights").
_ATTRIBUTES = {
    "set_temperature": {"warm", "warmer", "cool", "cooler", "hotter", "colder", "warmth"},
    "set_brightness": {"brightness", "bright", "brighter", "brighten", "dim", "dimmer"}
    | {"darker", "lighter", "speed", "faster", "slower"},
    "set_volume": {"louder", "quieter", "loud", "quiet", "softer", "mute", "unmute"},
    "set_position": {"position", "open", "close", "raise", "lower", "shut"},
}
# Words that ask for a setting: "set", "make", "bump", "I'd like".
_SETTING = frozenset(
    {"set", "make", "turn", "put", "bump", "change", "raise", "lower", "increase", "decrease"}
    | {"adjust", "crank", "keep", "bring", "move", "drop", "reduce", "boost", "take", "up"}
    | {"down", "like", "want", "need", "prefer"}
)
_UNITS = frozenset({"degree", "degrees", "percent", "celsius", "fahrenheit", "c", "f"})
# How things are, not what to do: "it's 21 now", "I was 19", "my kid is 12".
_STATEMENT = re.compile(
    r"^(?:its|it is|it was|im|i am|i was|thats|that is|theres|there is|there was|were|"
    r"we are|we were|hes|he is|shes|she is|theyre|they are|(?:the|my|our) \w+ (?:is|was))\b"
)
# A verb of another intent: "lock 5 degrees" is no temperature, "open 5 percent" a position.
_OTHER_VERB = {
    "lock": {"lock"},
    "unlock": {"unlock"},
    "open": {"open", "set_position"},
    "close": {"close", "set_position"},
    "shut": {"close", "set_position"},
}


def number_unasked(text: str, intent: Intent) -> bool:
    """A reading the words don't ask for (see above): any, from a text with a number not
    said plainly ('volume -5', 'up 0x15', 'lights ²¹'); from the model, one that carries a
    number the words don't say what to set with ('it's 21 degrees', 'lock 5 degrees'). A
    template says what it sets by construction."""
    words = normalize(text)
    if _ODD_NUMBER.search(words) or other_numbers(words):
        return True
    if intent.tier != "model" or not isinstance(intent.slots.value, int | float):
        return False
    said = words.removeprefix("please ").split(" ")
    if intent.name not in _OTHER_VERB.get(said[0], {intent.name}):
        return True
    setting = any(w in _SETTING for w in said)
    if _STATEMENT.match(words) and not setting:
        return True
    device = intent.slots.device is not None and normalize(intent.slots.device) not in PRONOUNS
    placed = intent.slots.area is not None or any(w in _UNITS for w in said)
    return not (device or names_what(said, intent) or (setting and placed))


def names_what(said: list[str], intent: Intent) -> bool:
    """The words name what the reading sets: a kind of device that can do it ("thermostat",
    "lights", "blinds") or the level itself ("volume", "dimmer")."""
    able = INTENT_DOMAINS.get(intent.name, frozenset()) | {
        domain for (name, domain) in ADAPT if name == intent.name
    }
    phrases = said + [f"{a} {b}" for a, b in pairwise(said)]
    for phrase in phrases:
        kind = kind_of(phrase)
        if kind is not None and any(domain in able for domain, _ in kind[1]):
            return True
    return any(w in _ATTRIBUTES.get(intent.name, ()) for w in said)
