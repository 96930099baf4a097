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
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("payload is not UTF-8 text") from None
    else:
        text = raw
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadInput('JSON payload needs a "text" string')
        text = data["text"].strip()
    if not text:
        raise BadInput("empty text")
    if len(text) > MAX_TEXT:
        raise BadInput(f"text longer than {MAX_TEXT} characters")
    return Transcript(text, source)
