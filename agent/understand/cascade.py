"""Tiers of understanding in order: the templates first, then the model.

The pipeline asks the next tier when a tier has no answer or names nothing in the home.
Below the confidence threshold the model's answer becomes `none` (the pipeline then asks the
user to say it another way); the Intent's tier says which tier answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from agent.config import UnderstandingConfig
from agent.messages import Intent
from agent.understand.templates import TemplateMatcher

Tier = Callable[[str], Intent | None]


def with_threshold(predict: Callable[[str], Intent], threshold: float) -> Tier:
    def tier(text: str) -> Intent:
        intent = predict(text)
        if intent.name != "none" and intent.confidence < threshold:
            return replace(intent, name="none")
        return intent

    return tier


def build_tiers(cfg: UnderstandingConfig) -> list[Tier]:
    tiers: list[Tier] = []
    if cfg.templates:
        tiers.append(TemplateMatcher.load().match)
    if cfg.model:
        from agent.understand.model_tier import ModelTier  # onnxruntime only when configured

        model = ModelTier(cfg.model, threads=cfg.threads)
        tiers.append(with_threshold(model.predict, cfg.confidence_threshold))
    return tiers
