"""Command line: wiring only. Parse arguments, load the config, build the pipeline, run."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import yaml

from agent import __version__, asked, systemd
from agent.cli_args import parser
from agent.config import Config, load_config
from agent.deliver import publish_outcome
from agent.errors import AgentError, BrokerError, ConfigError
from agent.inputs import BadInput, parse_text
from agent.messages import Transcript
from agent.mqtt import MqttClient
from agent.oneshot import Reached, connect_to_the_home, read_the_home
from agent.pipeline import Pipeline
from agent.service import Service, overheard, room_talk_least
from agent.shipped import write_example
from agent.speak.aloud import speak_once
from agent.topics import Topics
from agent.understand.cascade import tiers_for
from agent.voice.models import KNOWN

EXIT_NOT_ACTED = 1
EXIT_CONFIG = 2
EXIT_BROKER = 3
log = logging.getLogger("agent")


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _logging(verbose=getattr(args, "verbose", False), quiet=args.command in QUIET)
    try:
        return _command(args)
    except BrokenPipeError:  # `voice-agent config | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing at exit can't fail again
        return EXIT_BROKEN_PIPE
    except AgentError as exc:  # the one place an error becomes a message and an exit code
        print(f"voice-agent: {exc}", file=sys.stderr)
        return exc.exit_code


def _command(args: argparse.Namespace) -> int:
    if args.command == "models":
        return models_download(args.name, Path(args.dir), args.url)
    if args.command == "check":
        return check(args.config)
    if args.command == "init":
        print(write_example(Path(args.config)))
        return 0
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"voice-agent: invalid config:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "config":
        yaml.safe_dump(config.to_dict(), sys.stdout, sort_keys=False)
        return 0
    if args.command == "forget":
        return forget(config)
    if args.command == "speak":
        speak_once(config, " ".join(args.text), args.wav)
        return 0
    pipeline = _pipeline(config)  # ModelError: exit 2 (main)
    area = getattr(args, "area", None)
    grows = config.home_assistant.discovery or config.home_assistant.url  # more areas later
    if area is not None and not grows and config.home.area_called(area) is None:
        known = ", ".join(a.name for a in config.home.areas) or "none"
        print(f"voice-agent: unknown area {area!r} (the home's areas: {known})", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "parse":
        if config.home_assistant.discovery or config.home_assistant.url:  # read only
            read_the_home(config, pipeline)
        return parse_lines(pipeline, sys.stdin, sys.stdout, area=args.area)
    try:
        if args.command == "say":
            aloud = args.speak or args.wav
            said = (lambda reply: speak_once(config, reply, args.wav)) if aloud else None
            return say(
                config, pipeline, " ".join(args.text), area=args.area, yes=args.yes, aloud=said
            )
        if args.command == "listen":
            return listen(config, pipeline, args.wav)  # None: raw audio on stdin
        return run(config, pipeline)
    except ConfigError as exc:  # found only when used: TLS files that aren't certificates
        print(f"voice-agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def forget(config: Config) -> int:
    """An empty retained config removes the agent's device from Home Assistant."""
    from agent.ha import own_config_topic
    from agent.messages import Action

    topic = own_config_topic(config)
    client = MqttClient(config.mqtt, f"voice-agent-{config.site.id}-forget-{os.getpid()}")
    try:
        client.connect_once(timeout=5.0)
        client.send(Action("voice-agent", topic, "", retain=True))
    except BrokerError as exc:
        print(f"voice-agent: {exc}", file=sys.stderr)
        return EXIT_BROKER
    finally:
        client.stop()
    print(f"removed the agent from Home Assistant ({topic})")
    return 0


def check(config_path: str) -> int:
    from agent.check import run_checks

    logging.getLogger().setLevel(logging.WARNING)  # the lines below say it all
    failed = 0
    for result in run_checks(config_path):
        print("\n".join(result.lines()), flush=True)
        failed += result.status == "FAIL"
    print(f"{failed} check(s) failed" if failed else "all checks passed")
    return 1 if failed else 0


# one-shot commands whose output is their answer: their log says only what went wrong
QUIET = ("say", "parse", "config", "forget")


def _logging(*, verbose: bool, quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if systemd.under_journal():
        handler.setFormatter(systemd.JournalFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, handlers=[handler])


def _pipeline(config: Config) -> Pipeline:
    return Pipeline(
        config.home,
        tiers_for(config.understanding),
        site_area=config.site.area,
        site_player=config.site.media_player,
        wake_words=(config.voice.wake_word,),
        confirm_timeout_s=config.understanding.confirm_timeout_s,
    )


def parse_lines(pipeline: Pipeline, lines: TextIO, out: TextIO, *, area: str | None) -> int:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            text = parse_text(line, "stdin").text
        except BadInput as exc:
            log.warning("line %d skipped: %s", number, exc)
            out.write(json.dumps({"text": line.rstrip("\n"), "error": str(exc)}) + "\n")
            continue
        event = pipeline.handle(text, area=area).to_dict()
        del event["actions"]
        out.write(json.dumps(event) + "\n")
        out.flush()
    return 0


def say(
    config: Config,
    pipeline: Pipeline,
    text: str,
    *,
    area: str | None,
    yes: bool,
    aloud: Callable[[str], None] | None = None,
) -> int:
    """Act as the service would, in the home it knows (discovered devices and states too).
    The event and reply go to the agent's topics only while the service is not running:
    they are where Home Assistant shows the service's last reply."""
    site = config.site.id
    client = MqttClient(config.mqtt, f"voice-agent-{site}-say-{os.getpid()}")
    reached = None
    try:
        reached = connect_to_the_home(config, client, pipeline)
        outcome = asked.answer(config.site.id, pipeline, text, area=area, yes=yes)
        outcome = publish_outcome(
            client,
            Topics(config),
            outcome,
            replies=not reached.service_running,
            hass=reached.hass,
        )
    except BrokerError as exc:
        print(f"voice-agent: {exc}", file=sys.stderr)
        return EXIT_BROKER
    finally:
        client.stop()
        if reached is not None:
            reached.close()
    question = pipeline.asking("")
    if question is not None and not outcome.actions:
        # the next `say` may answer it
        seconds = config.understanding.confirm_timeout_s
        asked.keep(site, asked.Asked(text, area), seconds)
        print(f"{outcome.response} {asked.how_to_answer(question, text, seconds)}")
    else:
        print(outcome.response)
    if aloud is not None:  # --speak, --wav
        aloud(outcome.response)
    acted = bool(outcome.actions) or (outcome.intent.name == "get_state" and outcome.targets)
    return 0 if acted else EXIT_NOT_ACTED


def models_download(name: str, models_dir: Path, url: str | None) -> int:
    from agent.voice.models import install

    install(KNOWN[name], models_dir, url=url)  # ModelDownloadError: exit 5 (main)
    return 0


def listen(config: Config, pipeline: Pipeline, wav: str | None) -> int:
    """The voice loop on a recording (a WAV file, or raw audio on stdin). With a broker it
    acts, as `run` would; without one it only prints the events."""
    from agent.voice.audio import AudioSource, RawSource, WavSource
    from agent.voice.engines import make_engine
    from agent.voice.loop import voice_commands

    v = config.voice
    topics = Topics(config)
    broker = MqttClient(config.mqtt, f"voice-agent-{config.site.id}-listen-{os.getpid()}")
    client: MqttClient | None = broker
    reached = Reached(service_running=False)
    try:  # the home the service knows, discovered devices and Home Assistant's too
        reached = connect_to_the_home(config, broker, pipeline)
    except BrokerError as exc:
        log.warning("%s; printing events without acting", exc)
        client = None
    try:
        engine = make_engine(v, pipeline.home)
    except AgentError:
        if client is not None:
            client.stop()
        reached.close()
        raise
    try:
        source: AudioSource = WavSource(wav) if wav is not None else RawSource()
        for command in voice_commands(source.blocks(), v, engine):
            said = Transcript(command.text, source="voice")
            outcome = pipeline.handle(command.text, least=room_talk_least(said, v.mode))
            print(json.dumps(outcome.to_dict()), flush=True)
            if client is not None:  # beside the service, its event and reply topics are its own
                asking = pipeline.asking("") is not None
                replies = not reached.service_running and not overheard(
                    said, outcome, v.mode, asking
                )
                publish_outcome(client, topics, outcome, replies=replies, hass=reached.hass)
    finally:
        if client is not None:
            client.stop()
        reached.close()
    return 0


def run(config: Config, pipeline: Pipeline) -> int:
    topics = Topics(config)
    client_id = config.mqtt.client_id or f"voice-agent-{config.site.id}"
    client = MqttClient(
        config.mqtt,
        client_id,
        status_topic=topics.status,
        reserved=topics.reserved,
        probe_topic=topics.probe,
    )
    # discovery and device states on a connection of their own: a storm of them never
    # queues in front of a command
    home_client = MqttClient(
        config.mqtt, f"{client_id}-home", reserved=topics.reserved, persistent=False
    )
    service = Service(config, pipeline, client, voice=config.voice.enabled, home_client=home_client)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("stopping (signal %d)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "voice-agent %s for site %s, broker %s:%d",
        __version__,
        config.site.id,
        config.mqtt.host,
        config.mqtt.port,
    )
    service.run(stop)
    if service.wedged:
        # PortAudio's exit handler would wait for the wedged stream for good: leave now
        logging.shutdown()
        os._exit(0)
    return 0
