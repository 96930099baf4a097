"""Word lists that more than one stage reads, one list each. Pure data."""

from __future__ import annotations

# Said before a name and not part of it: "the kitchen light", "my lamp", "your speaker".
DETERMINERS = ("the", "my", "our", "a", "an", "this", "that", "these", "those", "your")
# Spoken around a request without changing it: left out when a bare name is weighed.
FILLERS = frozenset(
    {"please", "um", "uh", "er", "hey", "ok", "okay", "now", "just", "and", "alright", "thanks"}
)
# Words that carry no request: with only these and a number, text is never a command.
NO_REQUEST = frozenset(
    [
        "ok",
        "okay",
        "please",
        "now",
        "hey",
        "hi",
        "hello",
        "thanks",
        "thank",
        "you",
        "so",
        "um",
        "uh",
        "er",
        "hmm",
        "well",
        "the",
        "a",
        "an",
        "to",
        "and",
        "it",
        "is",
        "that",
        "this",
        "percent",
        "degrees",
        "degree",
        "yes",
        "no",
    ]
)
