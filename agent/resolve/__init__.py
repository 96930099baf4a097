"""Heard names -> devices: names, areas and floors, kinds, and the policy on what to do."""

from agent.resolve.policy import Resolution
from agent.resolve.resolver import Resolver
from agent.resolve.vocab import KIND_WORDS

__all__ = ["KIND_WORDS", "Resolution", "Resolver"]
