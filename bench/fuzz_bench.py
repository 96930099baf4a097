"""Fuzz `voice-agent run` through a private broker: thousands of hostile command payloads
and discovery configs (bench/fuzz.py, seeded), a valid command after each batch, and the
same checks as tests/test_hostile.py. An agent that hangs or dies is counted, killed and
started again (with the retained configs cleared, or it would meet them again), and the run
goes on.

    .venv/bin/python bench/fuzz_bench.py [--commands 10000] [--configs 10000] [--seed 1]

Prints a table: payloads sent, crashes, hangs, hijacks, unconfirmed sensitive actions,
tracebacks, the valid command's latency after each batch, the agent's CPU seconds and
peak RSS. Exit 1 when anything went wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import fuzz
from table import print_table

from tests.conftest import Agent, Broker, Recorder, example_config

STATUS = "voice-agent/kitchen-pi/status"


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    rest = data[data.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Agents:
    """One agent at a time; its CPU and peak RSS kept when it goes."""

    def __init__(self, config: Path, workdir: Path, recorder: Recorder) -> None:
        self.config = config
        self.workdir = workdir
        self.recorder = recorder
        self.all: list[Agent] = []
        self.cpu = 0.0
        self.rss = 0.0
        self._last: tuple[float, float] = (0.0, 0.0)

    @property
    def current(self) -> Agent:
        return self.all[-1]

    def alive(self) -> bool:
        return self.current.proc.poll() is None

    def sample(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self._last = (
                    cpu_seconds(self.current.proc.pid),
                    peak_rss_mb(self.current.proc.pid),
                )

    def start(self) -> bool:
        start = len(self.recorder.messages)
        agent = Agent(self.config, self.workdir / f"agent-{len(self.all)}.log")
        self.all.append(agent)
        self._last = (0.0, 0.0)
        online = fuzz.wait_new(
            self.recorder, start, lambda m: m.topic == STATUS and m.payload == "online", 60
        )
        return online is not None

    def stop(self) -> None:
        self.sample()
        cpu, rss = self._last
        self.cpu += cpu
        self.rss = max(self.rss, rss)
        agent = self.current
        agent.end()
        agent._log_file.close()

    def logs(self) -> str:
        return "\n".join(a.output() for a in self.all)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commands", type=int, default=10_000)
    ap.add_argument("--configs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--probe", type=float, default=2.0, help="seconds the valid command may take")
    ap.add_argument("--drain", type=float, default=15.0, help="seconds a batch may take")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="fuzz-bench-") as tmp:
        workdir = Path(tmp)
        broker = Broker(workdir).start()
        recorder = Recorder(broker.port)
        config = example_config(workdir, broker.port)
        config.write_text(
            config.read_text() + "\nhome_assistant:\n  discovery: true\n  announce: true\n"
        )
        home = fuzz.home_from_config(config)
        plan = fuzz.batches(args.seed, args.commands, args.configs, home, args.batch)
        agents = Agents(config, workdir, recorder)
        session = fuzz.Session(recorder, home)
        retained: set[str] = set()
        restarts = 0
        began = time.monotonic()
        try:
            if not agents.start():
                print("the agent did not come online", file=sys.stderr)
                return 1
            for n, batch in enumerate(plan, 1):
                session.send(batch)
                retained.update(t for t, p, r in batch.messages if r and p)
                retained.difference_update(t for t, p, r in batch.messages if r and not p)
                problem = session.check(agents.alive, drain_s=args.drain, probe_s=args.probe)
                agents.sample()
                print(
                    f"batch {n}/{len(plan)}: {problem or 'ok'} ({time.monotonic() - began:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
                if problem is not None:
                    agents.stop()
                    fuzz.publish_all(recorder.client, [(t, b"", True) for t in sorted(retained)])
                    retained.clear()
                    restarts += 1
                    if not agents.start():
                        print("the agent did not come online again", file=sys.stderr)
                        break
            time.sleep(1.0)
        finally:
            agents.stop()
            wall = time.monotonic() - began
            verdict = session.judge(agents.logs())
            recorder.close()
            broker.stop()

    probe = sorted(verdict.probe_ms)
    rows = [
        ("seed", str(args.seed)),
        ("command payloads sent", str(verdict.sent_commands)),
        ("discovery messages sent", str(verdict.sent_configs)),
        ("crashes", str(verdict.crashes)),
        ("hangs (valid command not acted on)", str(verdict.hangs)),
        ("agent restarts", str(restarts)),
        ("hijacks", str(len(verdict.hijacks))),
        ("unconfirmed sensitive actions", str(len(verdict.unconfirmed))),
        ("tracebacks in the log", str(verdict.tracebacks)),
        (
            "valid command after a batch, p50 / max",
            f"{statistics.median(probe):.0f} / {probe[-1]:.0f} ms" if probe else "-",
        ),
        ("agent CPU", f"{agents.cpu:.1f} s"),
        ("agent peak RSS", f"{agents.rss:.0f} MB"),
        ("wall time", f"{wall:.0f} s"),
    ]
    print_table(rows)
    for line in verdict.problems():
        print(f"- {line}")
    return 1 if verdict.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
