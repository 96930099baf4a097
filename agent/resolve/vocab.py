"""The words the resolver knows: kinds of device, quantifiers, places, determiners.

Pure data and small string helpers; every other module of the resolver reads from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.intents import INTENT_DOMAINS, Domain, IntentName

Kind = tuple[str, str | None]  # (domain, device_class or None)

HERE = frozenset({"here", "in here", "this room", "the room", "this area", "room", "in the room"})
EVERYWHERE = (
    "everywhere",
    "anywhere",
    "in the house",
    "in the whole house",
    "the whole house",
    "in the entire house",
    "the entire house",
    "all over the house",
    "around the house",
    "in every room",
    "every room",
    "in all rooms",
    "in all the rooms",
    "all rooms",
    "all the rooms",
    "throughout the house",
    "in the home",
    "in the whole home",
    "the whole home",
    "in the entire home",
    "the entire home",
    "around the home",
    "throughout the home",
    "at home",
    "in the house right now",
)
QUANTIFIERS = (
    "each and every",
    "every single",
    "all of the",
    "all the",
    "all of",
    "all",
    "every",
    "each",
    "both the",
    "both",
    "any of the",
    "any of",
    "any",
    "how many of the",
    "how many",
)
PRONOUNS = frozenset({"it", "them", "they", "that", "this", "everything", "stuff", "things"})
# What people call a kind of device: word -> kinds.
KIND_WORDS: dict[str, tuple[Kind, ...]] = {}


def _kinds(words: str, *kinds: Kind) -> None:
    for word in words.split(","):
        KIND_WORDS[word.strip()] = kinds


_kinds(
    "light,lamp,lighting,lights,bulb,light bulb,lightbulb,lite,ceiling light,spotlight,spot,"
    "lamps,overhead light,overhead lights,ceiling lights",
    ("light", None),
)
_kinds("switch,plug,socket,outlet,plug socket,power socket,smart plug,power", ("switch", None))
_kinds("fan,ceiling fan,ventilator,fans", ("fan", None))
_kinds(
    "blind,shade,shutter,curtain,roller blind,drape,awning,window blind,window covering",
    ("cover", "shade"),
)
_kinds("cover", ("cover", None))
_kinds("garage door,garage,garage door opener", ("cover", "garage"))
_kinds("gate,driveway gate", ("cover", "gate"))
_kinds("window", ("cover", "window"), ("binary_sensor", "window"))
_kinds("door", ("lock", None), ("cover", "door"), ("binary_sensor", "door"))
_kinds("lock,door lock,deadbolt,smart lock", ("lock", None))
_kinds(
    "thermostat,heating,heat,heater,radiator,ac,air conditioning,air con,aircon,climate,"
    "air conditioner,boiler,hvac",
    ("climate", None),
)
_kinds("temperature,temp", ("sensor", "temperature"), ("climate", None))
_kinds("humidity,humidity level", ("sensor", "humidity"))
_kinds(
    "music,radio,media player,player,sound,movie,show,song,podcast,audio,video,film,tunes,"
    "media,volume",
    ("media_player", None),
)
_kinds("tv,television,telly,tv set", ("media_player", "tv"))
_kinds(
    "speaker,speakers,stereo,sound system,sound bar,soundbar,smart speaker,receiver,hifi,"
    "audio system,jukebox,record player,turntable,home theater,home theatre,"
    "entertainment center,entertainment system,media system,media center,music system",
    ("media_player", "speaker"),
)
_kinds(
    "vacuum,hoover,robot,roomba,vacuum cleaner,robot vacuum,robot cleaner,cleaner,robovac,"
    "cleaning bot,cleaning robot,bot,sweeper,robot mop,mop,dust buster",
    ("vacuum", None),
)
_kinds("valve,water,sprinkler,sprinklers,irrigation,water valve,lawn", ("valve", None))
_kinds("scene", ("scene", None))
_kinds("button,doorbell", ("button", None))
_kinds("sensor", ("sensor", None), ("binary_sensor", None))
_kinds("motion,motion sensor,movement", ("binary_sensor", "motion"))
_kinds(
    "occupancy,presence,occupancy sensor,presence sensor",
    ("binary_sensor", "occupancy"),
    ("binary_sensor", "presence"),
)
_kinds(  # people are seen by presence, occupancy or motion
    "anybody,anyone,somebody,someone,people",
    ("binary_sensor", "occupancy"),
    ("binary_sensor", "presence"),
    ("binary_sensor", "motion"),
)
_kinds(
    "leak,leaks,water leak,flood,moisture,leak sensor,water sensor,moisture sensor",
    ("binary_sensor", "moisture"),
)
_kinds("smoke,smoke detector,smoke alarm,fire alarm", ("binary_sensor", "smoke"))
_kinds("gas,gas leak,gas detector", ("binary_sensor", "gas"))
_kinds("carbon monoxide,co detector,co alarm", ("binary_sensor", "carbon_monoxide"))
_kinds(
    "battery,batteries,battery level,battery levels",
    ("sensor", "battery"),
    ("binary_sensor", "battery"),
)
_kinds("door sensor,contact sensor", ("binary_sensor", "door"), ("binary_sensor", "opening"))
_kinds("window sensor", ("binary_sensor", "window"))

# A kind's class that stands for several: blinds are covers with no class or a shade's.
CLASS_GROUPS: dict[str, frozenset[str | None]] = {
    "shade": frozenset({None, "blind", "shade", "shutter", "curtain", "awning", "window"}),
    "tv": frozenset({None, "tv"}),
    "speaker": frozenset({None, "speaker", "receiver"}),
}


def fits(device_domain: str, device_class: str | None, kinds: tuple[Kind, ...]) -> bool:
    """Whether a device is of one of these kinds."""
    return any(
        device_domain == dom
        and (cls is None or device_class == cls or device_class in CLASS_GROUPS.get(cls, ()))
        for dom, cls in kinds
    )


# Kinds of device that usually serve the whole house from one place.
HOUSE_WIDE = frozenset({"climate", "vacuum"})

# Words that say "a device" and nothing more: "the outdoor sensor" is the Outdoor Temperature.
GENERIC = frozenset({"sensor", "sensors", "device", "devices", "thing", "unit"})

# What an intent means when no device is named: "a bit brighter" means lights.
USUAL_KIND: dict[str, tuple[Kind, ...]] = {
    "set_brightness": (("light", None),),
    "set_color": (("light", None),),
    "set_temperature": (("climate", None),),
    "vacuum_start": (("vacuum", None),),
    "vacuum_dock": (("vacuum", None),),
    # the media player's own intents: volume, play, pause, next...
    **{
        intent: (("media_player", None),)
        for intent, domains in INTENT_DOMAINS.items()
        if domains == {"media_player"}
    },
}

# When the devices found can't do the intent as heard, the intent they can do.
ADAPT: dict[tuple[IntentName, Domain], IntentName] = {
    ("set_brightness", "climate"): "set_temperature",
    ("set_brightness", "cover"): "set_position",
    ("set_brightness", "valve"): "set_position",
    ("set_brightness", "media_player"): "set_volume",
    ("set_position", "light"): "set_brightness",
    ("set_position", "fan"): "set_brightness",
    ("turn_on", "scene"): "activate_scene",
    ("turn_on", "vacuum"): "vacuum_start",
    ("turn_off", "vacuum"): "vacuum_dock",
    ("open", "lock"): "unlock",
    ("close", "lock"): "lock",
    ("turn_on", "valve"): "open",
    ("turn_off", "valve"): "close",
    ("vacuum_start", "light"): "turn_on",
    ("vacuum_start", "switch"): "turn_on",
    ("vacuum_start", "fan"): "turn_on",
    ("vacuum_start", "climate"): "turn_on",
    ("vacuum_start", "media_player"): "media_play",
    ("vacuum_start", "scene"): "activate_scene",
    ("vacuum_start", "valve"): "open",
    ("vacuum_dock", "valve"): "close",
    ("turn_on", "cover"): "open",
    ("turn_off", "cover"): "close",
    ("turn_on", "lock"): "lock",
    ("activate_scene", "light"): "turn_on",
    ("activate_scene", "switch"): "turn_on",
    ("media_pause", "vacuum"): "vacuum_dock",
    ("media_pause", "cover"): "stop",
    ("stop", "media_player"): "media_pause",
    ("stop", "vacuum"): "vacuum_dock",
    ("stop", "fan"): "turn_off",
    ("stop", "valve"): "close",
    ("stop", "switch"): "turn_off",
    ("stop", "climate"): "turn_off",
    ("media_pause", "fan"): "turn_off",
    ("media_play", "vacuum"): "vacuum_start",
    ("set_volume", "light"): "set_brightness",
    ("set_volume", "fan"): "set_brightness",
}


# Words that name the same kind, as one: "Bob's Lamp" answers to "Bob's light".
_CANONICAL = {
    "lamp": "light",
    "lamps": "light",
    "lights": "light",
    "lighting": "light",
    "bulb": "light",
    "bulbs": "light",
    "lightbulb": "light",
    "fans": "fan",
    "speakers": "speaker",
    "blinds": "blind",
    "shade": "blind",
    "shades": "blind",
    "curtains": "curtain",
    "shutters": "shutter",
    "locks": "lock",
    "doors": "door",
    "entrance": "entry",
    "entryway": "entry",
    "television": "tv",
    "telly": "tv",
}


def canonical(phrase: str) -> str:
    """The phrase with kind words in one spelling: 'entrance lamps' -> 'entry light'."""
    return " ".join(_CANONICAL.get(w, w) for w in phrase.split(" "))


def distinct(phrase: str) -> str:
    """The words of a name that are not kind words: 'den lights switch' -> 'den'."""
    return " ".join(w for w in phrase.split(" ") if kind_of(w) is None)


def singular(phrase: str) -> tuple[str, bool]:
    """'kitchen lights' -> ('kitchen light', True); other phrases unchanged, False."""
    words = phrase.split(" ")
    last = words[-1]
    if len(last) > 3 and last.endswith(("ches", "shes", "xes", "sses")):
        words[-1] = last[:-2]
    elif len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        words[-1] = last[:-1]
    else:
        return phrase, False
    return " ".join(words), True


def strip_prefix(phrase: str, words: Iterable[str]) -> tuple[str, bool]:
    for word in words:
        if phrase == word:
            return "", True
        if phrase.startswith(word + " "):
            return phrase[len(word) + 1 :], True
    return phrase, False


def strip_suffix(phrase: str, words: Iterable[str]) -> tuple[str, bool]:
    for word in words:
        if phrase.endswith(" " + word):
            return phrase[: -len(word) - 1], True
    return phrase, False


def kind_of(phrase: str) -> tuple[str, tuple[Kind, ...]] | None:
    """The kind word a phrase is, as said or in the singular."""
    for candidate in (phrase, singular(phrase)[0]):
        if candidate in KIND_WORDS:
            return candidate, KIND_WORDS[candidate]
    return None
