"""Benchmark `voice-agent run` against a real broker, as a user runs it: throughput and latency,
a burst, a Home Assistant discovery storm, and broker outages.

    .venv/bin/python bench/broker_bench.py                 # every section, default sizes (~3 min)
    .venv/bin/python bench/broker_bench.py --closed --outage   # only these sections

    # the same against another commit (the agent, its example config and model from there)
    git archive <commit> | tar -x -C /tmp/va-old   # into an empty /tmp/va-old
    .venv/bin/python bench/broker_bench.py --agent-dir /tmp/va-old

The agent is started as `python -m agent run --config <cfg>` (the example config with this
run's broker port, plus `home_assistant: {discovery: true}` for the storm) against a private
Mosquitto on a free loopback port; the bench talks MQTT with paho (TCP_NODELAY on its own
sockets, so the bench measures the agent, not Nagle on its side). Every section starts a fresh
broker and a fresh agent, and stops both (only the processes it started, by their handles).
Where a command must be told apart from every other one, it is "play song <n> on the tv": the
example TV's `play_media` template puts "song <n>" on `home/tv/search`, a device message
unique per command. --logs DIR keeps each section's config, agent log and broker log.

Sections (all by default; pick with flags):

--closed   closed loop: one client publishes "turn on/off the coffee machine" (Tasmota,
           `cmnd/coffee/POWER`) and waits for the device message before the next; commands/s
           and publish -> device message latency p50/p95/p99 over --commands N (after 10
           warm-up commands).
--burst    --burst-size K commands ("play song <n> on the tv") published as fast as paho
           goes (QoS 1, up to --window 1000 unacknowledged), then device messages counted until
           none came for 5 s (or --burst-timeout); lines of the agent's log saying "dropped"
           and ERROR lines, and its last lines saying "dropped" and "skipped" (its own counts);
           messages the broker itself dropped ($SYS/broker/publish/messages/dropped); time from
           the first publish to the last device message.
--storm    --entities E retained discovery configs (`homeassistant/switch/stormN/relay/config`:
           name "Storm Plug N", unique_id, command_topic, state_topic, device with
           identifiers and suggested_area), each followed by a state message on its state
           topic, then a second round of state messages, at full speed (QoS 1, up to --window
           1000 unacknowledged), while a probe sends "play song <n> on the tv" every 100 ms.
           Once the last config is out, "turn on storm plug <E-1>" (the last entity) is sent
           until it reaches that entity's command topic: the time from the storm's start is
           when the agent had taken every entity. The storm window runs until that and the
           broker's PUBACK of every storm message, plus 2 s (10 s at least); for it: probe
           delay (publish -> device message) p50/p95/max, probes never acted on, the agent's
           CPU seconds (/proc/<pid>/stat utime+stime, all threads; also up to the last entity,
           and its busiest second, sampled every 100 ms), the broker's CPU seconds, the
           agent's RSS before and peak (VmHWM), and what the broker dropped ($SYS).
--outage   commands at --rate 20/s ("play song <n> on the tv", n unique) from a publisher
           with a persistent session (clean_session false, QoS 1; paho keeps what it could
           not send and resends it on reconnect), while the broker is killed with SIGKILL and
           restarted --restarts R times, each outage --outage-s D seconds, --up-s U seconds
           of broker up time between them. The broker runs with `persistence true` in a temp
           dir and `autosave_interval 1`, so a SIGKILL loses its last second or two of state
           (sessions, queued and retained messages). Every command is classified: acted on
           time (device message within --late-s 10 s of the publish call), acted late (must
           be 0), never acted though the broker acknowledged it (PUBACK), never acknowledged
           by the broker (paho refused it or no PUBACK by the end); plus commands the device
           got more than once, and per restart the time from the broker accepting
           connections again until the agent's status topic says "online" (a live message,
           not the retained one the broker restores).

Broker: Mosquitto with `max_queued_messages` from --max-queued (default 0 = unlimited:
Mosquitto's default of 1000 would drop retained configs and commands queued for a slow
client, and then the broker, not the agent, would be measured); `sys_interval 1`.

Full run (about 30 minutes; paste the table into the issue with the commit):

    .venv/bin/python bench/broker_bench.py --commands 5000 --burst-size 50000 \\
        --entities 50000 --storm-timeout 900 --restarts 10 --outage-s 30 --up-s 40

The table is markdown; --json FILE also writes every number.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import free_port  # noqa: E402

PREFIX = "voice-agent/kitchen-pi"
COMMAND, STATUS, INTENT = f"{PREFIX}/command", f"{PREFIX}/status", f"{PREFIX}/intent"
COFFEE = "cmnd/coffee/POWER"  # switch.coffee_machine, tasmota {topic: coffee}
TV = "home/tv/search"  # media_player.tv, templates.play_media {topic: home/tv/search}
AREAS = ["Kitchen", "Living Room", "Hallway", "Garage", "Bedroom", "Office"]
HA_EXTRA = "\nhome_assistant: {discovery: true, announce: true}\n"
now = time.monotonic


AGENT_DIR = ROOT  # where `python -m agent` runs from (--agent-dir)


def agent_config(work: Path, port: int, extra: str = "") -> Path:
    """The example config of the agent being run, with this broker's port and its model."""
    text = (AGENT_DIR / "configs" / "agent.example.yaml").read_text()
    text = text.replace("  port: 1883 ", f"  port: {port} ", 1)
    text = text.replace("  model: ../models/", f"  model: {AGENT_DIR}/models/", 1)
    if f"port: {port}" not in text:
        raise RuntimeError("could not set the broker port in the example config")
    path = work / "agent.yaml"
    path.write_text(text + extra)
    return path


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def song(n: int) -> str:
    return f"play song {n} on the tv"


def is_device_msg(topic: str, payload: str, m: Msg) -> bool:
    return m.topic == topic and m.payload == payload


def song_number(payload: str) -> int | None:
    m = re.fullmatch(r"song (\d+)", payload.strip())
    return int(m.group(1)) if m else None


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s), math.ceil(p / 100 * len(s))) - 1)]


def ranges(ns: list[int], limit: int = 120) -> str:
    """1-3, 7, 9-12 (cut at `limit` characters)."""
    parts: list[str] = []
    for n in sorted(ns):
        if parts and parts[-1].split("-")[-1] == str(n - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


# -- processes ------------------------------------------------------------------------------

_started: list[subprocess.Popen[bytes]] = []  # every process this bench started


def _spawn(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, **kw)
    _started.append(proc)
    return proc


def _end(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `grace`; only ever a process we started."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    with contextlib.suppress(ValueError):
        _started.remove(proc)


def cleanup() -> None:
    for proc in list(_started):
        _end(proc, 5.0)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def vm_mb(pid: int, key: str) -> float:
    m = re.search(rf"^{key}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m.group(1)) / 1024 if m else float("nan")


class CpuSampler:
    """The CPU seconds of one process every 100 ms, to read it at any moment afterwards and to
    find its busiest second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError, IndexError):
                self.samples.append((now(), cpu_seconds(self.pid)))
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def at(self, t: float) -> float:
        """CPU seconds at the last sample not after t."""
        best = self.samples[0][1] if self.samples else float("nan")
        for ts, c in self.samples:
            if ts > t:
                break
            best = c
        return best

    def busiest(self, t0: float, t1: float, span: float = 1.0) -> float:
        """The most CPU used in any `span` seconds between t0 and t1, as a share of a core."""
        inside = [(ts, c) for ts, c in self.samples if t0 <= ts <= t1]
        best = 0.0
        for i, (ti, ci) in enumerate(inside):
            for tk, ck in reversed(inside[:i]):
                if ti - tk >= span:
                    best = max(best, (ci - ck) / (ti - tk))
                    break
        return best


class BenchBroker:
    """Mosquitto on a loopback port; restartable on the same port, killable with SIGKILL."""

    def __init__(
        self, workdir: Path, *, max_queued: int, persistent: bool = False, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.dir = workdir / f"broker-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "mosquitto.conf"
        lines = [
            *(["user root"] if os.geteuid() == 0 else []),  # read/write under a 0700 tmp dir
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"max_queued_messages {max_queued}",
            "sys_interval 1",
            f"log_dest file {self.dir / 'mosquitto.log'}",
        ]
        if persistent:
            lines += [
                "persistence true",
                f"persistence_location {self.dir}/",
                "autosave_interval 1",
            ]
        else:
            lines.append("persistence false")
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BenchBroker:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = _spawn(
            [exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = now() + 10
        while now() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"mosquitto did not start; see {self.dir / 'mosquitto.log'}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)
        with contextlib.suppress(ValueError):
            _started.remove(self.proc)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            _end(self.proc)
            self.proc = None

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc else float("nan")


def mosquitto_version() -> str:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    out = subprocess.run([exe, "-h"], capture_output=True, text=True).stdout
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else "?"


class AgentProc:
    """`python -m agent run --config CFG`, output to a log file."""

    def __init__(self, config: Path, logfile: Path) -> None:
        self.logfile = logfile
        self._out = logfile.open("wb")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
        }
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = _spawn(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=AGENT_DIR,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def text(self) -> str:
        return self.logfile.read_text(errors="replace")

    def cpu(self) -> float:
        return cpu_seconds(self.pid) if self.alive() else float("nan")

    def counts(self) -> tuple[int, int]:
        """(lines saying 'dropped', ERROR/CRITICAL lines) in the log so far."""
        lines = self.text().splitlines()
        dropped = sum("dropped" in line.lower() for line in lines)
        errors = sum(line.startswith(("ERROR", "CRITICAL", "<3>", "<2>")) for line in lines)
        return dropped, errors

    def last_line(self, *words: str) -> str:
        """The last log line with any of `words` (its own count of drops, say), or '-'."""
        for line in reversed(self.text().splitlines()):
            if any(w in line.lower() for w in words):
                return line if len(line) <= 140 else line[:137] + "..."
        return "-"

    def stop(self) -> None:
        _end(self.proc)
        self._out.close()


# -- MQTT from the bench ----------------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    t: float
    topic: str
    payload: str
    retain: bool
    dup: bool = False  # the broker sent it again (a QoS 1 redelivery to this client)


class Bus:
    """A paho client of the bench: TCP_NODELAY, (re)subscribes on every connect, records what
    it receives with the time, and the time of every PUBACK."""

    def __init__(
        self,
        port: int,
        name: str,
        topics: tuple[str, ...] = (),
        *,
        clean: bool = True,
        window: int | None = None,
        on_msg: Callable[[Msg], None] | None = None,
        keep: bool = True,
    ) -> None:
        self.msgs: list[Msg] = []
        self.cond = threading.Condition()
        self.acks: list[tuple[int, float]] = []  # (mid, time), appended by paho's thread
        self.connects = 0
        self._keep = keep
        self._on_msg = on_msg
        self._subscribed = threading.Event()
        c = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{name}-{os.getpid()}",
            clean_session=clean,
            protocol=paho.MQTTv311,
        )
        # window: at most this many QoS 1 publishes unacknowledged; paho itself then sends at
        # once (its own in-flight queue rescans all queued messages on every PUBACK)
        self._window = threading.Semaphore(window) if window else None
        c.max_inflight_messages_set(0 if window else 20)
        # the bench's own clients come back at once (paho sleeps these; floats work)
        c.reconnect_delay_set(0.05, 0.2)  # type: ignore[arg-type]
        c.on_socket_open = self._nodelay
        c.on_connect = lambda cl, u, f, rc, p: self._connected(cl, rc, topics)
        c.on_subscribe = lambda *a: self._subscribed.set()
        c.on_message = self._message
        c.on_publish = self._acked
        self.client = c
        c.connect("127.0.0.1", port, keepalive=30)
        c.loop_start()
        if topics and not self._subscribed.wait(10):
            raise RuntimeError(f"{name} could not subscribe")

    @staticmethod
    def _nodelay(client: paho.Client, userdata: object, sock: Any) -> None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _connected(self, client: paho.Client, rc: Any, topics: tuple[str, ...]) -> None:
        if getattr(rc, "is_failure", False):
            return
        self.connects += 1
        if topics:
            client.subscribe([(t, 1) for t in topics])

    def _acked(self, client: paho.Client, userdata: object, mid: int, rc: Any, p: Any) -> None:
        self.acks.append((mid, now()))
        if self._window is not None:
            self._window.release()

    def _message(self, client: paho.Client, userdata: object, m: paho.MQTTMessage) -> None:
        msg = Msg(now(), m.topic, m.payload.decode("utf-8", "replace"), bool(m.retain), bool(m.dup))
        if self._on_msg is not None:
            self._on_msg(msg)
        if self._keep:
            with self.cond:
                self.msgs.append(msg)
                self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.msgs)

    def wait(self, pred: Callable[[Msg], bool], timeout: float, start: int = 0) -> Msg | None:
        deadline = now() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.msgs):
                    if pred(self.msgs[i]):
                        return self.msgs[i]
                    i += 1
                left = deadline - now()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> paho.MQTTMessageInfo:
        if self._window is not None and not self._window.acquire(timeout=60):
            raise RuntimeError("no PUBACK from the broker for 60 s")
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


def broker_dropped(port: int) -> str:
    """Mosquitto's own count of publishes it dropped (queue limits), from $SYS."""
    got: list[str] = []
    done = threading.Event()

    def take(m: Msg) -> None:
        got.append(m.payload)
        done.set()

    bus = Bus(port, "bench-sys", ("$SYS/broker/publish/messages/dropped",), on_msg=take)
    try:
        done.wait(5)
    finally:
        bus.close()
    return got[-1] if got else "n/a"


@contextlib.contextmanager
def running(
    tmp: Path, name: str, args: argparse.Namespace, *, extra: str = "", persistent: bool = False
) -> Iterator[tuple[BenchBroker, AgentProc, Path]]:
    """A fresh broker and agent for one section; the agent is online when this yields."""
    work = tmp / name
    work.mkdir()
    broker = BenchBroker(work, max_queued=args.max_queued, persistent=persistent).start()
    agent: AgentProc | None = None
    try:
        watch = Bus(broker.port, f"bench-{name}-status", (STATUS,))
        config = agent_config(work, broker.port, extra)
        started = now()
        agent = AgentProc(config, work / "agent.log")
        online = watch.wait(lambda m: m.payload == "online", 60)
        watch.close()
        if online is None:
            raise RuntimeError(f"agent not online after 60 s:\n{agent.text()[-3000:]}")
        log(f"{name}: agent online {online.t - started:.1f} s after start (pid {agent.pid})")
        yield broker, agent, work
    finally:
        if agent is not None:
            agent.stop()
        broker.stop()


# -- 1. closed loop -------------------------------------------------------------------------


def closed_loop(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    with running(tmp, "closed", args) as (broker, agent, _):
        # One client publishing and another listening, as a phone and a lamp are: a single
        # client doing both measured Mosquitto's Nagle on that one connection (its PUBACK
        # of the command held the device message ~40 ms), not the agent.
        bus = Bus(broker.port, "bench-closed", (COFFEE,))
        sender = Bus(broker.port, "bench-closed-pub")
        lat: list[float] = []
        timeouts = 0
        try:
            warm = 10
            t_start = 0.0
            for i in range(warm + args.commands):
                if i == warm:
                    t_start = now()
                on = i % 2 == 0
                want = "ON" if on else "OFF"
                mark = bus.mark()
                t0 = now()
                sender.publish(COMMAND, f"turn {'on' if on else 'off'} the coffee machine")
                got = bus.wait(partial(is_device_msg, COFFEE, want), 10, mark)
                if i < warm:
                    continue
                if got is None:
                    timeouts += 1
                else:
                    lat.append(got.t - t0)
            elapsed = now() - t_start
        finally:
            bus.close()
            sender.close()
        _, errors = agent.counts()
    if not lat:
        lat = [float("nan")]
    return {
        "commands": args.commands,
        "timeouts": timeouts,
        "per_s": len(lat) / elapsed,
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "max": max(lat),
        "errors": errors,
    }


# -- 2. burst -------------------------------------------------------------------------------


def burst(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    k = args.burst_size
    first: dict[int, float] = {}
    seen = [0]  # device messages in all
    intents = [0]
    last = [0.0]

    def take(m: Msg) -> None:
        if m.topic == TV:
            n = song_number(m.payload)
            seen[0] += 1
            last[0] = m.t
            if n is not None and n not in first:
                first[n] = m.t
        elif m.topic == INTENT:
            intents[0] += 1

    with running(tmp, "burst", args) as (broker, agent, _):
        rec = Bus(broker.port, "bench-burst-rec", (TV, INTENT), on_msg=take, keep=False)
        pub = Bus(broker.port, "bench-burst-pub", window=args.window)
        try:
            t0 = now()
            refused = 0
            for n in range(k):
                if pub.publish(COMMAND, song(n)).rc not in (0, paho.MQTT_ERR_NO_CONN):
                    refused += 1
            t_called = now()
            while len(pub.acks) < k - refused and now() - t0 < args.burst_timeout:
                time.sleep(0.01)
            t_acked = now()
            acked = len(pub.acks)
            log(f"burst: {k} published in {t_called - t0:.2f} s, {acked} acked by the broker")
            while now() - t0 < args.burst_timeout and len(first) < k:
                if now() - max(last[0], t_acked) > 5.0:
                    break
                time.sleep(0.05)
            broker_drop = broker_dropped(broker.port)
        finally:
            pub.close()
            rec.close()
        dropped, errors = agent.counts()
        said = (agent.last_line("dropped"), agent.last_line("skipped"))
    return {
        "sent": k,
        "publish_s": t_called - t0,
        "acked": acked,
        "acked_s": t_acked - t0,
        "acted": len(first),
        "device_msgs": seen[0],
        "intents": intents[0],
        "log_dropped": dropped,
        "log_errors": errors,
        "log_said": said,
        "broker_dropped": broker_drop,
        "drain_s": (last[0] - t0) if last[0] else float("nan"),
        "refused": refused,
    }


# -- 3. discovery storm ---------------------------------------------------------------------


def storm_config(i: int) -> tuple[str, str]:
    body = {
        "name": f"Storm Plug {i}",
        "unique_id": f"storm_plug_{i}",
        "command_topic": f"storm/{i}/set",
        "state_topic": f"storm/{i}/state",
        "device": {"identifiers": [f"storm_{i}"], "suggested_area": AREAS[i % len(AREAS)]},
    }
    return f"homeassistant/switch/storm{i}/relay/config", json.dumps(body)


def storm(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    e = args.entities
    last_topic = f"storm/{e - 1}/set"
    probe_sent: dict[int, float] = {}
    probe_acted: dict[int, float] = {}

    def take(m: Msg) -> None:
        if m.topic == TV:
            n = song_number(m.payload)
            if n is not None and n not in probe_acted:
                probe_acted[n] = m.t

    with running(tmp, "storm", args, extra=HA_EXTRA) as (broker, agent, _):
        rec = Bus(broker.port, "bench-storm-rec", (TV, last_topic, INTENT), on_msg=take)
        probe = Bus(broker.port, "bench-storm-probe")
        pub = Bus(broker.port, "bench-storm-pub", window=args.window)
        stop_probe = threading.Event()
        configs_out = threading.Event()
        rss_before = vm_mb(agent.pid, "VmRSS")
        cpu0, bcpu0 = agent.cpu(), broker.cpu()
        sampler = CpuSampler(agent.pid)
        t_s = now()
        total = 3 * e

        def probing() -> None:
            n = 0
            while not stop_probe.is_set():
                due = t_s + n * 0.1
                time.sleep(max(0.0, due - now()))
                probe_sent[n] = now()
                probe.publish(COMMAND, song(n))
                n += 1

        def storming() -> None:
            for i in range(e):
                topic, body = storm_config(i)
                pub.publish(topic, body, retain=True)
                pub.publish(f"storm/{i}/state", "ON" if i % 2 else "OFF")
            configs_out.set()
            for i in range(e):
                pub.publish(f"storm/{i}/state", "OFF" if i % 2 else "ON")

        threads = [
            threading.Thread(target=probing, daemon=True),
            threading.Thread(target=storming, daemon=True),
        ]
        for t in threads:
            t.start()
        t_all: float | None = None
        tries = 0
        try:
            configs_out.wait(args.storm_timeout)
            t_configs = now()
            log(f"storm: {e} configs out after {t_configs - t_s:.1f} s; trying the last entity")
            text = f"turn on storm plug {e - 1}"
            while t_all is None and now() - t_s < args.storm_timeout and agent.alive():
                tries += 1
                mark = rec.mark()
                rec.publish(COMMAND, text)
                left = max(1.0, args.storm_timeout - (now() - t_s))
                got = rec.wait(
                    lambda m: (
                        m.topic == last_topic
                        or (m.topic == INTENT and json.loads(m.payload).get("text") == text)
                    ),
                    min(15.0, left),
                    mark,
                )
                if got is not None and got.topic == last_topic:
                    t_all = got.t
                elif got is not None:
                    time.sleep(0.2)
            while len(pub.acks) < total and now() - t_s < args.storm_timeout:
                time.sleep(0.05)
            t_acked = max(t for _, t in pub.acks) if len(pub.acks) >= total else None
            # the storm: until the agent has every entity and the broker every message, then
            # 2 s more; 10 s at least
            t_end = max(t_all or now(), t_acked or now()) + 2.0
            t_end = min(max(t_end, t_s + 10.0), t_s + args.storm_timeout)
            time.sleep(max(0.0, t_end - now()))
            cpu1, bcpu1 = agent.cpu(), broker.cpu()
            sampler.stop()
            cpu_all = (sampler.at(t_all) - cpu0) if t_all is not None else None
            busiest = sampler.busiest(t_s, t_end)
            stop_probe.set()
            threads[0].join(5)
            window = [n for n, t in probe_sent.items() if t_s <= t <= t_end]
            drain_until = now() + 15
            while now() < drain_until and any(n not in probe_acted for n in window):
                time.sleep(0.1)
            peak = vm_mb(agent.pid, "VmHWM")
            broker_drop = broker_dropped(broker.port)
        finally:
            stop_probe.set()
            sampler.stop()
            for b in (probe, pub, rec):
                b.close()
        dropped, errors = agent.counts()
        said = (agent.last_line("dropped"), agent.last_line("skipped"))
    delays = [probe_acted[n] - probe_sent[n] for n in window if n in probe_acted]
    return {
        "entities": e,
        "messages": total,
        "configs_out_s": t_configs - t_s,
        "all_acked_s": (t_acked - t_s) if t_acked else None,
        "all_taken_s": (t_all - t_s) if t_all is not None else None,
        "timeout_s": args.storm_timeout,
        "tries": tries,
        "window_s": t_end - t_s,
        "probes": len(window),
        "probes_lost": sum(n not in probe_acted for n in window),
        "probe_p50": pct(delays, 50) if delays else None,
        "probe_p95": pct(delays, 95) if delays else None,
        "probe_max": max(delays) if delays else None,
        "cpu_s": cpu1 - cpu0,
        "cpu_all_s": cpu_all,
        "cpu_busiest": busiest,
        "broker_cpu_s": bcpu1 - bcpu0,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "broker_dropped": broker_drop,
        "log_dropped": dropped,
        "log_errors": errors,
        "log_said": said,
    }


# -- 4. outage ------------------------------------------------------------------------------


def outage(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    sent: list[float] = []
    rcs: list[int] = []
    mids: list[int] = []
    acted: dict[int, float] = {}
    arrivals: dict[int, list[float]] = {}  # every (non-DUP) device message per command
    redelivered = [0]  # device messages the broker sent the bench's recorder twice (DUP)
    onlines: list[float] = []  # live "online" on the status topic

    def take(m: Msg) -> None:
        if m.topic == TV:
            n = song_number(m.payload)
            if n is not None:
                if n in acted and m.dup:
                    redelivered[0] += 1
                else:
                    arrivals.setdefault(n, []).append(m.t)
                acted.setdefault(n, m.t)
        elif m.topic == STATUS and m.payload == "online" and not m.retain:
            onlines.append(m.t)

    with running(tmp, "outage", args, persistent=True) as (broker, agent, _):
        watch = Bus(
            broker.port, "bench-outage-watch", (TV, STATUS), clean=False, on_msg=take, keep=False
        )
        pub = Bus(broker.port, "bench-outage-pub", clean=False)
        stop = threading.Event()

        def sending() -> None:
            t0 = now()
            n = 0
            while not stop.is_set():
                time.sleep(max(0.0, t0 + n / args.rate - now()))
                sent.append(now())
                info = pub.publish(COMMAND, song(n))
                rcs.append(info.rc)
                mids.append(info.mid)
                n += 1

        kills: list[float] = []
        ups: list[float] = []
        sender = threading.Thread(target=sending, daemon=True)
        try:
            time.sleep(2.5)  # the broker has saved every session (it saves every ~2 s)
            sender.start()
            time.sleep(5.0)
            for r in range(args.restarts):
                kills.append(now())
                broker.kill()
                log(f"outage: broker killed ({r + 1}/{args.restarts}); down {args.outage_s:g} s")
                time.sleep(args.outage_s)
                broker.start()
                ups.append(now())
                time.sleep(args.up_s)
            stop.set()
            sender.join(5)
            t_stop = now()
            while now() - t_stop < args.late_s + 5 and (
                len(acted) < len(sent) or len(pub.acks) < len(sent)
            ):
                time.sleep(0.1)
        finally:
            stop.set()
            pub.close()
            watch.close()
        dropped, errors = agent.counts()

    acked_at: dict[int, float] = {}
    pending: dict[int, list[int]] = {}
    for i, mid in enumerate(mids):
        pending.setdefault(mid, []).append(i)
    for mid, t in sorted(pub.acks, key=lambda a: a[1]):
        for i in pending.get(mid, []):
            if i not in acked_at and sent[i] <= t:
                acked_at[i] = t
                break

    def phase(t: float) -> str:
        for r, k in enumerate(kills):
            up = ups[r] if r < len(ups) else float("inf")
            if k <= t < up:
                return "down"
            back = next((o for o in onlines if o >= up), float("inf"))
            if up <= t < back and (r + 1 >= len(kills) or t < kills[r + 1]):
                return "reconnecting"
        return "up"

    classes = {"on_time": 0, "late": 0, "lost_acked": 0, "not_acked": 0}
    lost: list[int] = []
    lost_phase = {"down": 0, "reconnecting": 0, "up": 0}
    late_worst = 0.0
    for n, t in enumerate(sent):
        if n in acted:
            delay = acted[n] - t
            if delay <= args.late_s:
                classes["on_time"] += 1
            else:
                classes["late"] += 1
                late_worst = max(late_worst, delay)
        elif n in acked_at and rcs[n] in (0, paho.MQTT_ERR_NO_CONN):
            classes["lost_acked"] += 1
            lost_phase[phase(t)] += 1
            lost.append(n)
        else:
            classes["not_acked"] += 1
    reconnects: list[float | None] = []
    for r, up in enumerate(ups):
        until = kills[r + 1] if r + 1 < len(kills) else float("inf")
        back = next((o for o in onlines if up <= o < until), None)
        reconnects.append(None if back is None else back - up)
    return {
        "commands": len(sent),
        "rate": args.rate,
        "restarts": args.restarts,
        "outage_s": args.outage_s,
        "up_s": args.up_s,
        **classes,
        "late_worst_s": late_worst,
        "lost_phase": lost_phase,
        "duplicates": sum(len(a) > 1 for a in arrivals.values()),
        "late_duplicates": sum(
            len(a) > 1 and a[-1] - sent[n] > args.late_s for n, a in arrivals.items()
        ),
        "lost_ids": ranges(lost),
        "redelivered": redelivered[0],
        "reconnect_s": reconnects,
        "log_errors": errors,
        "log_dropped": dropped,
    }


# -- report ---------------------------------------------------------------------------------


def rows_for(
    res: dict[str, dict[str, Any]], args: argparse.Namespace
) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    if "closed" in res:
        r = res["closed"]
        s = "closed loop"
        rows += [
            (
                s,
                "commands (coffee machine on/off, one at a time)",
                f"{r['commands']} ({r['timeouts']} timed out at 10 s)",
            ),
            (s, "throughput", f"{r['per_s']:.1f} commands/s"),
            (
                s,
                "publish -> device message p50 / p95 / p99",
                f"{ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])}",
            ),
            (s, "publish -> device message max", ms(r["max"])),
            (s, "agent log: ERROR lines", str(r["errors"])),
        ]
    if "burst" in res:
        r = res["burst"]
        s = "burst"
        rows += [
            (
                s,
                "commands published (QoS 1)",
                f"{r['sent']} in {r['publish_s']:.2f} s; "
                f"PUBACKs {r['acked']} after {r['acked_s']:.2f} s",
            ),
            (
                s,
                "commands acted on (device message)",
                f"{r['acted']} / {r['sent']} ({100 * r['acted'] / r['sent']:.1f}%)",
            ),
            (s, "device messages / intent events", f"{r['device_msgs']} / {r['intents']}"),
            (
                s,
                "agent log: lines with 'dropped' / ERROR lines",
                f"{r['log_dropped']} / {r['log_errors']}",
            ),
            (s, "agent log: last line saying 'dropped'", f"`{r['log_said'][0]}`"),
            (s, "agent log: last line saying 'skipped'", f"`{r['log_said'][1]}`"),
            (s, "dropped by the broker ($SYS)", str(r["broker_dropped"])),
            (s, "first publish -> last device message", f"{r['drain_s']:.2f} s"),
        ]
    if "storm" in res:
        r = res["storm"]
        s = "discovery storm"
        taken = (
            f"{r['all_taken_s']:.1f} s ({r['tries']} tries)"
            if r["all_taken_s"] is not None
            else f"not within {r['timeout_s']:g} s ({r['tries']} tries)"
        )
        acked = f"{r['all_acked_s']:.1f} s" if r["all_acked_s"] is not None else "not all"
        probe = (
            f"{ms(r['probe_p50'])} / {ms(r['probe_p95'])} / {ms(r['probe_max'])}"
            if r["probe_max"] is not None
            else "none acted on"
        )
        rows += [
            (
                s,
                "discovery configs (retained) + state messages",
                f"{r['entities']} + {2 * r['entities']}",
            ),
            (s, "storm start -> last entity commandable", taken),
            (s, "storm start -> broker acked every storm message", acked),
            (s, "storm window: until both, + 2 s (10 s at least)", f"{r['window_s']:.1f} s"),
            (s, "probes (every 100 ms) in the window: delay p50 / p95 / max", probe),
            (s, "probes never acted on (15 s grace)", f"{r['probes_lost']} / {r['probes']}"),
            (
                s,
                "agent CPU until the last entity was commandable",
                "-"
                if r["cpu_all_s"] is None
                else f"{r['cpu_all_s']:.1f} s in {r['all_taken_s']:.1f} s",
            ),
            (
                s,
                "agent CPU, busiest second of the window",
                f"{100 * r['cpu_busiest']:.0f}% of a core",
            ),
            (
                s,
                "agent CPU in the window",
                f"{r['cpu_s']:.1f} s in {r['window_s']:.1f} s "
                f"({100 * r['cpu_s'] / max(r['window_s'], 1e-9):.0f}% of a core)",
            ),
            (s, "broker CPU in the window", f"{r['broker_cpu_s']:.1f} s"),
            (
                s,
                "agent RSS before / peak (VmHWM)",
                f"{r['rss_before_mb']:.0f} MB / {r['peak_rss_mb']:.0f} MB",
            ),
            (s, "dropped by the broker ($SYS)", str(r["broker_dropped"])),
            (
                s,
                "agent log: lines with 'dropped' / ERROR lines",
                f"{r['log_dropped']} / {r['log_errors']}",
            ),
            (s, "agent log: last line saying 'dropped'", f"`{r['log_said'][0]}`"),
            (s, "agent log: last line saying 'skipped'", f"`{r['log_said'][1]}`"),
        ]
    if "outage" in res:
        r = res["outage"]
        s = "outage"
        lp = r["lost_phase"]
        rec = ", ".join("never" if x is None else f"{x:.1f} s" for x in r["reconnect_s"])
        rows += [
            (
                s,
                "commands (persistent-session publisher)",
                f"{r['commands']} at {r['rate']:g}/s; {r['restarts']} SIGKILLs, "
                f"{r['outage_s']:g} s down, {r['up_s']:g} s up",
            ),
            (s, f"acted on time (<= {args.late_s:g} s)", str(r["on_time"])),
            (
                s,
                f"acted late (> {args.late_s:g} s; must be 0)",
                f"{r['late']}" + (f" (worst {r['late_worst_s']:.1f} s)" if r["late"] else ""),
            ),
            (
                s,
                "never acted, broker had acked (PUBACK)",
                f"{r['lost_acked']} (sent while down {lp['down']}, "
                f"reconnecting {lp['reconnecting']}, up {lp['up']})",
            ),
            (s, "never acted: command numbers", r["lost_ids"] or "-"),
            (s, "never acked by the broker", str(r["not_acked"])),
            (
                s,
                "commands the device got more than once",
                f"{r['duplicates']}, the second time > {args.late_s:g} s after sent: "
                f"{r['late_duplicates']} (not counted: {r['redelivered']} QoS 1 redeliveries "
                "to the bench's recorder, DUP flag)",
            ),
            (s, "broker back -> agent 'online' (each restart)", rec),
            (s, "agent log: ERROR lines", str(r["log_errors"])),
        ]
    return rows


def print_markdown(rows: list[tuple[str, str, str]]) -> None:
    print("| section | metric | value |")
    print("|---|---|---|")
    for section, metric, value in rows:
        print(f"| {section} | {metric} | {value.replace('|', '&#124;')} |")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--closed", action="store_true", help="closed-loop throughput and latency")
    ap.add_argument("--burst", action="store_true", help="a burst of commands")
    ap.add_argument("--storm", action="store_true", help="a discovery storm")
    ap.add_argument("--outage", action="store_true", help="broker killed and restarted")
    ap.add_argument("--commands", type=int, default=500, help="closed loop: commands (500)")
    ap.add_argument("--burst-size", type=int, default=10_000, help="burst: commands (10000)")
    ap.add_argument("--burst-timeout", type=float, default=120, help="burst: give up after (120 s)")
    ap.add_argument("--entities", type=int, default=10_000, help="storm: discovery configs (10000)")
    ap.add_argument("--storm-timeout", type=float, default=180, help="storm: give up after (180 s)")
    ap.add_argument("--restarts", type=int, default=3, help="outage: broker kills (3)")
    ap.add_argument("--outage-s", type=float, default=5, help="outage: seconds down (5)")
    ap.add_argument("--up-s", type=float, default=15, help="outage: seconds up between (15)")
    ap.add_argument("--rate", type=float, default=20, help="outage: commands per second (20)")
    ap.add_argument("--late-s", type=float, default=10, help="outage: later than this is late (10)")
    ap.add_argument(
        "--max-queued", type=int, default=0, help="broker max_queued_messages (0 = unlimited)"
    )
    ap.add_argument(
        "--window",
        type=int,
        default=1000,
        help="burst/storm publishers: QoS 1 unacknowledged at most (1000)",
    )
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--logs", type=Path, help="keep the configs and agent/broker logs under here")
    ap.add_argument(
        "--agent-dir",
        type=Path,
        default=ROOT,
        help="run `python -m agent` from this checkout, e.g. a `git archive HEAD` export "
        "(default: this working tree); its configs/ and models/ are used",
    )
    args = ap.parse_args()
    global AGENT_DIR
    AGENT_DIR = args.agent_dir.resolve()
    chosen = [s for s in ("closed", "burst", "storm", "outage") if getattr(args, s)]
    chosen = chosen or ["closed", "burst", "storm", "outage"]
    sections = {"closed": closed_loop, "burst": burst, "storm": storm, "outage": outage}

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    res: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    try:
        with contextlib.ExitStack() as stack:
            if args.logs is not None:
                args.logs.mkdir(parents=True, exist_ok=True)
                name = tempfile.mkdtemp(prefix="broker-bench-", dir=args.logs)
                log(f"configs and logs of this run: {name}")
            else:
                name = stack.enter_context(tempfile.TemporaryDirectory(prefix="broker-bench-"))
            for s in chosen:
                log(f"{s}: starting")
                t = now()
                try:
                    res[s] = sections[s](Path(name), args)
                except (RuntimeError, OSError, AssertionError) as exc:
                    failed.append(f"{s}: {exc}")
                    log(f"{s}: FAILED: {exc}")
                log(f"{s}: done in {now() - t:.0f} s")
    finally:
        cleanup()
    mq = "unlimited" if args.max_queued == 0 else str(args.max_queued)
    print(
        f"Agent: {AGENT_DIR}; Mosquitto {mosquitto_version()} on loopback, "
        f"max_queued_messages {args.max_queued} ({mq}); "
        "outage broker: persistence true, autosave_interval 1\n"
    )
    print_markdown(rows_for(res, args))
    for f in failed:
        print(f"\nFAILED {f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "results": res},
                indent=2,
                default=str,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
