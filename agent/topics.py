"""The agent's own MQTT topics, under <topic_prefix>/<site id>, and those nothing discovered
may use."""

from __future__ import annotations

from agent.config import Config


class Topics:
    def __init__(self, config: Config) -> None:
        base = f"{config.mqtt.topic_prefix}/{config.site.id}"
        self.base = base
        self.command = f"{base}/command"
        self.listen = f"{base}/listen"
        self.listening = f"{base}/listening"
        self.partial = f"{base}/transcript/partial"
        self.intent = f"{base}/intent"
        self.response = f"{base}/response"
        self.reply_audio = f"{base}/reply/audio"  # the reply as WAV (speech.publish_audio)
        self.speak = f"{base}/speak"  # text for the agent to say aloud
        self.status = f"{base}/status"
        self.probe = f"{base}/probe"  # we send ourselves a message here (agent/mqtt_link.py)
        ha = config.home_assistant.prefix
        # Topics nothing discovered may publish to or take over: every voice agent's own
        # (this one's and other sites'), and Home Assistant's discovery and status topics.
        self.reserved: tuple[str, ...] = (
            f"{config.mqtt.topic_prefix}/#",
            f"{ha}/+/+/config",
            f"{ha}/+/+/+/config",
            f"{ha}/status",
        )
