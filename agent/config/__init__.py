"""One YAML config, validated at start-up into frozen objects."""

from agent.config.load import load_config
from agent.config.schema import (
    Config,
    MqttConfig,
    SiteConfig,
    TlsConfig,
    UnderstandingConfig,
    VoiceConfig,
    audio_device,
)

__all__ = [
    "Config",
    "MqttConfig",
    "SiteConfig",
    "TlsConfig",
    "UnderstandingConfig",
    "VoiceConfig",
    "audio_device",
    "load_config",
]
