"""The command line's arguments: the commands and their options (agent/cli.py wires them)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from agent import __version__
from agent.shipped import user_config
from agent.voice.models import KNOWN

DEFAULT_CONFIG = "/etc/voice-agent/config.yaml"


def default_config() -> str:
    """$VOICE_AGENT_CONFIG; else a user install's config under $XDG_CONFIG_HOME (default
    ~/.config) if there is one; else the system's."""
    if named := os.environ.get("VOICE_AGENT_CONFIG"):
        return named
    user = user_config()
    return str(user) if user.is_file() else DEFAULT_CONFIG


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-agent", description="Offline voice and text control of a home over MQTT."
    )
    parser.add_argument("--version", action="version", version=f"voice-agent {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        "-c",
        default=default_config(),
        help="config file (default: $VOICE_AGENT_CONFIG, else "
        f"$XDG_CONFIG_HOME/voice-agent/config.yaml if there is one, else {DEFAULT_CONFIG})",
    )
    common.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True)
    _text_commands(sub, common)
    _setup_commands(sub, common)
    return parser


def _text_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """say, run, parse, listen: the ways in."""
    say = sub.add_parser("say", parents=[common], help="act on one text command and exit")
    say.add_argument("text", nargs="+", help="the command, e.g. turn on the kitchen light")
    say.add_argument("--area", help="the area the command is spoken in (default: site.area)")
    say.add_argument(
        "--yes",
        action="store_true",
        help="confirm a sensitive action (unlock, open a garage door) up front",
    )
    aloud = argparse.ArgumentParser(add_help=False)
    aloud.add_argument("--wav", type=Path, help="write the speech to this WAV file instead")
    say.add_argument("--speak", action="store_true", help="say the reply aloud (speech.device)")
    say.add_argument("--wav", type=Path, help="write the spoken reply to this WAV file")
    speak = sub.add_parser("speak", parents=[common, aloud], help="say a text aloud, once")
    speak.add_argument("text", nargs="+", help="what to say")
    sub.add_parser("run", parents=[common], help="the long-running agent")
    parse = sub.add_parser(
        "parse",
        parents=[common],
        help="read commands on stdin, write one JSON line each; never publishes",
    )
    parse.add_argument("--area", help="the area commands are spoken in (default: site.area)")
    listen = sub.add_parser(
        "listen",
        parents=[common],
        help="run the voice loop on a recording; print each command's intent event",
    )
    source = listen.add_mutually_exclusive_group(required=True)
    source.add_argument("--wav", help="16-bit PCM WAV (other rates are resampled)")
    source.add_argument(
        "--stdin", action="store_true", help="raw audio on stdin: s16le, mono, 16 kHz"
    )


def _setup_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """models, init, config, forget, check: setting up and looking after an install."""
    models = sub.add_parser("models", help="install speech models")
    models_sub = models.add_subparsers(dest="action", required=True)
    download = models_sub.add_parser(
        "download", parents=[common], help="download, verify and unpack a model"
    )
    download.add_argument("name", choices=sorted(KNOWN))
    download.add_argument(
        "--dir",
        default="/var/lib/voice-agent/models",
        help="the models folder (default: /var/lib/voice-agent/models)",
    )
    download.add_argument("--url", help="fetch from here instead (a mirror or a file:// path)")
    init = sub.add_parser("init", help="write the example config, for a user install")
    init.add_argument(
        "--config",
        "-c",
        default=os.environ.get("VOICE_AGENT_CONFIG") or str(user_config()),
        help="where (default: $VOICE_AGENT_CONFIG, else $XDG_CONFIG_HOME/voice-agent/config.yaml)",
    )
    sub.add_parser("config", parents=[common], help="print the effective config, secrets masked")
    sub.add_parser(
        "forget",
        parents=[common],
        help="remove the agent's own entities from Home Assistant (install.sh --uninstall)",
    )
    sub.add_parser(
        "check",
        parents=[common],
        help="check the config, models, broker, audio device and Home Assistant; one line "
        "each, with fixes",
    )
