"""The fixed intent vocabulary, shared by every tier, the resolver and the benchmarks: the
intents and the kinds of device (domains) as Literal types, so that mypy names every place a
new one needs (tests/test_vocabulary.py names the rest: templates, grammar, replies, acts)."""

from typing import Final, Literal, get_args

IntentName = Literal[
    "turn_on",
    "turn_off",
    "set_brightness",
    "set_color",
    "set_temperature",
    "get_state",
    "lock",
    "unlock",
    "open",
    "close",
    "set_position",
    "stop",
    "set_volume",
    "media_play",
    "play_media",
    "media_pause",
    "media_resume",
    "media_next",
    "media_previous",
    "activate_scene",
    "vacuum_start",
    "vacuum_dock",
    "none",
]
Domain = Literal[
    "light",
    "switch",
    "fan",
    "cover",
    "lock",
    "climate",
    "media_player",
    "vacuum",
    "valve",
    "scene",
    "button",
    "sensor",
    "binary_sensor",
]
INTENTS: Final[tuple[IntentName, ...]] = get_args(IntentName)
DOMAINS: Final[tuple[Domain, ...]] = get_args(Domain)
# Kinds of device that are only read (asked about), never commanded.
STATE_ONLY: Final[frozenset[Domain]] = frozenset({"sensor", "binary_sensor"})


def as_intent(name: str) -> IntentName:
    """An intent's name read from outside (a model's label, a config key, a template file)
    as the vocabulary's type; ValueError for a name it doesn't have."""
    if name not in INTENTS:
        raise ValueError(f"unknown intent {name!r}")
    return name


# Which domains can carry out an intent. get_state works on every domain.
INTENT_DOMAINS: Final[dict[IntentName, frozenset[Domain]]] = {
    "turn_on": frozenset({"light", "switch", "fan", "media_player", "climate", "button"}),
    "turn_off": frozenset({"light", "switch", "fan", "media_player", "climate"}),
    "set_brightness": frozenset({"light", "fan"}),
    "set_color": frozenset({"light"}),
    "set_temperature": frozenset({"climate"}),
    "get_state": frozenset(DOMAINS),
    "lock": frozenset({"lock"}),
    "unlock": frozenset({"lock"}),
    "open": frozenset({"cover", "valve"}),
    "close": frozenset({"cover", "valve"}),
    "set_position": frozenset({"cover", "valve"}),
    "stop": frozenset({"cover"}),  # stop moving; a player pauses, a vacuum goes home
    "set_volume": frozenset({"media_player"}),
    "media_play": frozenset({"media_player"}),
    "play_media": frozenset({"media_player"}),  # something by name: "play some jazz"
    "media_pause": frozenset({"media_player"}),
    "media_resume": frozenset({"media_player"}),
    "media_next": frozenset({"media_player"}),
    "media_previous": frozenset({"media_player"}),
    "activate_scene": frozenset({"scene", "button"}),
    "vacuum_start": frozenset({"vacuum"}),
    "vacuum_dock": frozenset({"vacuum"}),
    "none": frozenset(),
}
