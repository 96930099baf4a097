"""Random sentences from a parsed template (agent/language/template_lang.py).

`(a|b)` picks one, `[a]` keeps it half the time, `<rule>` expands, `{slot}` stays a Slot the
generator fills from a vocabulary.
"""

from __future__ import annotations

import random

from agent.language.template_lang import Node, Slot, parse

__all__ = ["Node", "Slot", "parse", "sample"]


def sample(tree: list[Node], rng: random.Random, p_optional: float = 0.5) -> list[str | Slot]:
    out: list[str | Slot] = []
    for item in tree:
        if isinstance(item, str | Slot):
            out.append(item)
        elif isinstance(item, tuple):
            kind, options = item
            if kind == "opt" and rng.random() >= p_optional:
                continue
            out.extend(sample(rng.choice(options), rng, p_optional))
        else:
            out.extend(sample(item, rng, p_optional))
    return out
