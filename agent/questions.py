"""The questions the agent asks and waits on, per asker: a "yes" to confirm a sensitive
action, or which of several devices was meant (agent/resolve/choice.py reads that answer)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.home.inventory import Device
from agent.messages import Act, Intent

Question = Literal["confirm", "choose"]

YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|confirm|confirmed|correct|do it|go ahead|ok do it|"
    r"yes please|yes do it|absolutely|affirmative)$"
)
NO = re.compile(
    r"^(no|nope|nah|cancel|dont|do not|stop|never mind|nevermind|no thanks|"
    r"no thank you|abort)$"
)


@dataclass(frozen=True)
class Pending:
    intent: Intent
    targets: tuple[Device, ...]
    actions: tuple[Act, ...]
    response: str
    expires: float
    # a "Which light, ...?" question: `targets` are the devices to choose from, and `said`
    # and `area` the command that asked (agent/resolve/choice.py reads the answer)
    choose: bool = False
    said: str = ""
    area: str | None = None

    @staticmethod
    def merged(parts: list[Pending]) -> Pending | None:
        """Several sensitive commands in one sentence wait for one "yes" together."""
        if not parts:
            return None
        return Pending(
            parts[0].intent,
            tuple(d for p in parts for d in p.targets),
            tuple(a for p in parts for a in p.actions),
            " ".join(p.response for p in parts),
            min(p.expires for p in parts),
        )
