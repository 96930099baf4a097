"""What a topic from the broker (a discovery config names them) must be before we subscribe
or publish to it, and how MQTT filters match. Pure."""

from __future__ import annotations

import unicodedata

MAX_TOPIC_BYTES = 1024  # MQTT allows 65,535; no device topic comes near this


def topic_problem(topic: object, *, wildcards: bool = False) -> str | None:
    """Why `topic` can't be used (None when it can): empty, too long, control characters
    (NUL makes the broker drop the connection), `$` topics, wildcards where only a plain
    topic will do, or a wildcard misplaced (`a/#/b`, `a+/b`)."""
    if not isinstance(topic, str) or not topic:
        return "a topic must be a non-empty string"
    if len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        return f"topic longer than {MAX_TOPIC_BYTES} bytes"
    if any(unicodedata.category(c) in ("Cc", "Cs", "Cn") for c in topic):
        return "topic has control characters or invalid code points"
    if topic.startswith("$"):
        return "topics starting with $ belong to the broker"
    levels = topic.split("/")
    for i, level in enumerate(levels):
        if "+" in level or "#" in level:
            if not wildcards:
                return "wildcards (+ or #) are not allowed in this topic"
            if level not in ("+", "#") or (level == "#" and i != len(levels) - 1):
                return "misplaced wildcard"
    return None


def matches(pattern: str, topic: str) -> bool:
    """Whether `topic` falls under the MQTT filter `pattern` (+ one level, # the rest)."""
    if pattern == topic:
        return True
    want = pattern.split("/")
    have = topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return not (i == 0 and topic.startswith("$"))
        if i >= len(have):
            return False
        if level == "+":
            if i == 0 and have[0].startswith("$"):
                return False
            continue
        if level != have[i]:
            return False
    return len(want) == len(have)
