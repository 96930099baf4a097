"""What a discovered entity may not touch: the agent's own topics, Home Assistant's, and the
topics the config's devices are commanded on, exactly or as they read (case, spaces, empty
levels and look-alike letters). Pure."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from agent.language.normalize import fold
from agent.topic_rules import matches, topic_problem


@dataclass(frozen=True)
class Guard:
    """Topics a discovered entity may not use. `reserved`: the agent's own and Home
    Assistant's discovery topics (filters); `owned`: (filter, device id) for each topic a
    device of the config is commanded on."""

    reserved: tuple[str, ...] = ()
    owned: tuple[tuple[str, str], ...] = ()

    def state_problem(self, topic: str) -> str | None:
        """Why we may not subscribe to `topic` for a state (None: we may)."""
        problem = topic_problem(topic)
        if problem is not None:
            return problem
        if any(matches(pattern, topic) for pattern in self.reserved):
            return "it is one of the agent's own or Home Assistant's topics"
        return None

    def command_problem(self, topic: str) -> str | None:
        """Why we may not publish a command to `topic` (None: we may). MQTT topics are
        exact, so "Home/Lock/set" and "home/lock/set " reach no device listening on
        "home/lock/set"; but a discovered topic that differs from one of ours, or a config
        device's, only in case, spaces, empty levels or look-alike letters is an imitation
        (or a device that trims), and is refused too."""
        problem = self.state_problem(topic)
        if problem is not None:
            return problem
        for pattern, device_id in self.owned:
            if matches(pattern, topic):
                return f"{device_id} of the config is commanded there"
        loose = _loose(topic)
        if any(matches(_loose(pattern), loose) for pattern in self.reserved):
            return "it reads as one of the agent's own or Home Assistant's topics"
        for pattern, device_id in self.owned:
            if matches(_loose(pattern), loose):
                return f"it reads as a topic {device_id} of the config is commanded on"
        return None


@functools.lru_cache(maxsize=4096)
def _loose(topic: str) -> str:
    """A topic as it reads: folded (case, full-width and look-alike letters), each level
    without spaces around it, empty levels left out."""
    levels = (level.strip() for level in fold(topic).split("/"))
    return "/".join(level for level in levels if level)
