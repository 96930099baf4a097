"""voice-agent: an offline voice-and-text home agent that acts over MQTT."""

__version__ = "0.1.0"
