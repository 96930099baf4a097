"""What the package ships beside its code, in agent/bundled/ (links to models/ and configs/ in
a checkout, copies of them in the wheel): the intent model, the wake classifier and the
example config; and `voice-agent init`, which writes that config for a user install."""

from __future__ import annotations

import os
import re
from pathlib import Path

from agent.errors import AgentError

BUNDLED = Path(__file__).resolve().parent / "bundled"
INTENT_MODEL = BUNDLED / "intent-minilm"
WAKE_MODEL = BUNDLED / "wake-hey-computer"
EXAMPLE_CONFIG = BUNDLED / "agent.example.yaml"
_MODEL_LINE = re.compile(r"^(  model:) \.\./models/intent-minilm", re.MULTILINE)


class ConfigExists(AgentError):
    """`init` never writes over a config."""


def user_config() -> Path:
    """A user install's config: $XDG_CONFIG_HOME/voice-agent/config.yaml (~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "voice-agent" / "config.yaml"


def write_example(target: Path) -> str:
    """The example config written to `target`, its model the one shipped (an absolute path:
    the config may live anywhere). Returns what to tell the user."""
    if target.exists():
        raise ConfigExists(f"{target} exists; edit it, or move it away to start again")
    text = _MODEL_LINE.sub(rf"\1 {INTENT_MODEL.resolve()}", EXAMPLE_CONFIG.read_text())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return (
        f"wrote {target} (the example home: edit mqtt, site, areas and devices for yours, "
        f"then: voice-agent check --config {target})"
    )
