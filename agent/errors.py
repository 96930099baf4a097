"""The package's one exception tree."""


class AgentError(Exception):
    """Base of every error voice-agent raises on purpose. The command line prints its
    message and exits with its `exit_code` (agent/cli.py, one place)."""

    exit_code = 2  # a setup problem: the config, a model, the recogniser


class ConfigError(AgentError):
    """A config file is unreadable or invalid; the message names file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class BrokerError(AgentError):
    """The MQTT broker cannot be reached or refused us."""

    exit_code = 3


class UnsupportedCommand(AgentError):
    """A device cannot carry out the requested command; the message is user-facing."""

    exit_code = 1
