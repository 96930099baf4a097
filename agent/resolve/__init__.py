"""Heard names -> devices: names, areas and floors, kinds, and the policy on what to do."""

from agent.resolve.policy import Resolution
from agent.resolve.resolver import Resolver

__all__ = ["Resolution", "Resolver"]
