"""Tiers of understanding in order: templates first, then (when configured) the model."""

from __future__ import annotations

from collections.abc import Callable

from agent.config import UnderstandingConfig
from agent.messages import Intent
from agent.understand.templates import TemplateMatcher


def build_understander(cfg: UnderstandingConfig) -> Callable[[str], Intent | None]:
    tiers: list[Callable[[str], Intent | None]] = []
    if cfg.templates:
        tiers.append(TemplateMatcher.load().match)

    def understand(text: str) -> Intent | None:
        for tier in tiers:
            intent = tier(text)
            if intent is not None:
                return intent
        return None

    return understand
