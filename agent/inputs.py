"""Text entering the loop from MQTT or stdin: plain text, or JSON with a "text" key and an
optional "source" (who said it: a "yes" confirms only what that source was asked).

Whatever arrives is bounded before it is parsed: its size, how deep its JSON nests (the
json module recurses once per level) and how long its numbers are (int() refuses more than
4,300 digits), so a hostile payload costs one short log line, never a traceback.
"""

from __future__ import annotations

import json

from agent.messages import Transcript

MAX_TEXT = 1000  # characters of the command itself
MAX_SENDER = 100  # characters of "source": who said it (a "yes" answers only them)
MAX_PAYLOAD = 16 * 1024  # bytes: the text, \u-escaped, with room for other keys
MAX_DEPTH = 32  # levels of JSON arrays and objects
MAX_DIGITS = 100  # of a JSON integer (no key we read is a number)


class BadInput(ValueError):
    pass


def parse_text(raw: bytes | str, source: str) -> Transcript:
    """Raise BadInput with a message fit for a log line."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_PAYLOAD:
        raise BadInput(f"payload longer than {MAX_PAYLOAD} bytes ({size})")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("payload is not UTF-8 text") from None
    else:
        text = raw
    text = text.strip()
    sender = ""
    if text.startswith("{"):
        data = _json(text)
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadInput('JSON payload needs a "text" string')
        text = data["text"].strip()
        said_by = data.get("source", "")
        if not isinstance(said_by, str) or len(said_by) > MAX_SENDER:
            raise BadInput(f'"source" must be a string of at most {MAX_SENDER} characters')
        sender = said_by
    if not text:
        raise BadInput("empty text")
    if len(text) > MAX_TEXT:
        raise BadInput(f"text longer than {MAX_TEXT} characters")
    return Transcript(text, source, sender=sender)


def _json(text: str) -> object:
    if _nests_deeper(text, MAX_DEPTH):
        raise BadInput(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_integer)
    except BadInput:
        raise
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:  # not reached past the depth check; kept as the last guard
        raise BadInput("JSON nested too deeply") from None
    except ValueError as exc:
        raise BadInput(f"invalid JSON: {str(exc)[:80]}") from None


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise BadInput(f"JSON number longer than {MAX_DIGITS} digits")
    return int(digits)


def _nests_deeper(text: str, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep, brackets in strings aside."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual payload: one object
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False
