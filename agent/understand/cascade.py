"""Tiers of understanding in order: the templates first, then the model.

The pipeline asks the next tier when a tier has no answer or names nothing in the home.
Below the confidence threshold the model's answer becomes `none` (the pipeline then asks the
user to say it another way); the Intent's tier says which tier answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from agent.messages import Intent
from agent.understand.templates import TemplateMatcher

Tier = Callable[[str], Intent | None]


def with_threshold(predict: Callable[[str], Intent], threshold: float) -> Tier:
    def tier(text: str) -> Intent:
        intent = predict(text)
        if intent.confidence < threshold:
            return replace(intent, name="none", unsure=True)
        return intent

    return tier


def build_tiers(
    *, templates: bool = True, model: str | None = None, threads: int = 1, threshold: float = 0.6
) -> list[Tier]:
    """The tiers in order: the sentence templates (if `templates`), then the model in the
    folder `model` (if any), its answers below `threshold` made `none`."""
    tiers: list[Tier] = []
    if templates:
        tiers.append(TemplateMatcher.load().match)
    if model:
        from agent.understand.model_tier import ModelTier  # onnxruntime only when configured

        tiers.append(with_threshold(ModelTier(model, threads=threads).predict, threshold))
    return tiers


class TierOptions(Protocol):
    """What the tiers are built from (the config's `understanding` section is one)."""

    @property
    def templates(self) -> bool: ...
    @property
    def model(self) -> str | None: ...
    @property
    def threads(self) -> int: ...
    @property
    def confidence_threshold(self) -> float: ...


def tiers_for(cfg: TierOptions) -> list[Tier]:
    """The tiers the options ask for."""
    return build_tiers(
        templates=cfg.templates,
        model=cfg.model,
        threads=cfg.threads,
        threshold=cfg.confidence_threshold,
    )
