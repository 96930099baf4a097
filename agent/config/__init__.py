"""One YAML config, validated at start-up into frozen objects."""

from agent.config.schema import (
    Config,
    MqttConfig,
    SiteConfig,
    TlsConfig,
    UnderstandingConfig,
    VoiceConfig,
    load_config,
)

__all__ = [
    "Config",
    "MqttConfig",
    "SiteConfig",
    "TlsConfig",
    "UnderstandingConfig",
    "VoiceConfig",
    "load_config",
]
