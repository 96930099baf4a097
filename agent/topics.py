"""The agent's own MQTT topics, under <topic_prefix>/<site id>."""

from __future__ import annotations

from agent.config import Config


class Topics:
    def __init__(self, config: Config) -> None:
        base = f"{config.mqtt.topic_prefix}/{config.site.id}"
        self.command = f"{base}/command"
        self.listen = f"{base}/listen"
        self.listening = f"{base}/listening"
        self.partial = f"{base}/transcript/partial"
        self.intent = f"{base}/intent"
        self.response = f"{base}/response"
        self.status = f"{base}/status"
