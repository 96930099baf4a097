"""A question a one-shot `voice-agent say` asked, kept for the next `say` to answer.

`say "unlock the front door"` asks for a "yes" and exits; `say yes` within the question's
time (understanding.confirm_timeout_s) answers it. The question is kept as the command that
asked it, per site, in `$XDG_STATE_HOME/voice-agent` (default `~/.local/state/voice-agent`),
readable by its owner only; answering or letting it expire removes it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from agent.messages import Outcome
from agent.pipeline import Pipeline
from agent.questions import Question


@dataclass(frozen=True)
class Asked:
    text: str  # the command that asked
    area: str | None  # where it was said


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "voice-agent"


def _path(site: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in site)
    return state_dir() / f"asked-{safe}.json"


def keep(site: str, asked: Asked, seconds: float) -> None:
    """Keep the question for `seconds` (best effort: a read-only home just can't)."""
    path = _path(site)
    body = {"text": asked.text, "area": asked.area, "expires": time.time() + seconds}
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(body, f)
        os.replace(tmp, path)
    except OSError:
        pass


def take(site: str) -> Asked | None:
    """The question still open for `site`, removed as it is taken; None if none is."""
    path = _path(site)
    try:
        body = json.loads(path.read_text())
        path.unlink()
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return None
    expires, area = body.get("expires"), body.get("area")
    if not isinstance(expires, (int, float)) or time.time() > expires:
        return None
    return Asked(body["text"], area if isinstance(area, str) else None)


def answer(site: str, pipeline: Pipeline, text: str, *, area: str | None, yes: bool) -> Outcome:
    kept = take(site)  # whatever is said next, as the service does
    if kept is not None:  # the question again (it acts on nothing), for the words to answer
        pipeline.handle(kept.text, area=kept.area)
    if kept is not None and pipeline.asking("") is not None:
        outcome = pipeline.handle(text, area=kept.area)
    else:
        outcome = pipeline.handle(text, area=area)
    if yes and not outcome.actions and pipeline.has_pending:
        outcome = pipeline.handle("yes", area=area)
    return outcome


def how_to_answer(question: Question, text: str, seconds: float) -> str:
    if question == "choose":
        return f'(here: voice-agent say "the ...", naming one, within {seconds:g} s)'
    return (
        f"(here: voice-agent say yes, within {seconds:g} s; "
        f'or at once: voice-agent say --yes "{text}")'
    )
