"""Text entering the loop from MQTT or stdin: plain text, or JSON with a "text" key."""

from __future__ import annotations

import json

from agent.messages import Transcript

MAX_TEXT = 1000


class BadInput(ValueError):
    pass


def parse_text(raw: bytes | str, source: str) -> Transcript:
    """Raise BadInput with a message fit for a log line."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("payload is not UTF-8 text") from None
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadInput(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadInput('JSON payload needs a "text" string')
        raw = data["text"].strip()
    if not raw:
        raise BadInput("empty text")
    if len(raw) > MAX_TEXT:
        raise BadInput(f"text longer than {MAX_TEXT} characters")
    return Transcript(raw, source)
