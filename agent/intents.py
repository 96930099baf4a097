"""The fixed intent vocabulary, shared by every tier, the resolver and the benchmarks."""

from typing import Final

INTENTS: Final = (
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
)

DOMAINS: Final = (
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
)

# Which domains can carry out an intent. get_state works on every domain.
INTENT_DOMAINS: Final[dict[str, frozenset[str]]] = {
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
