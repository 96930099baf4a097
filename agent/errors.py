"""The package's one exception tree."""


class AgentError(Exception):
    """Base of every error voice-agent raises on purpose."""


class ConfigError(AgentError):
    """A config file is unreadable or invalid; the message names file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class BrokerError(AgentError):
    """The MQTT broker cannot be reached or refused us."""


class UnsupportedCommand(AgentError):
    """A device cannot carry out the requested command; the message is user-facing."""
