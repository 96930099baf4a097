"""Benchmark Home Assistant discovery: how long after connecting the agent has its inventory
ready with N discovered entities, what that costs in memory, and what a command costs then.

    .venv/bin/python bench/discovery_bench.py [--entities 500]

A private Mosquitto holds N retained discovery configs (Zigbee2MQTT lights and sensors,
Tasmota switches, ESPHome covers, spread over 25 rooms), then `voice-agent run` starts with
discovery on. Times come from the agent's log lines as they appear (read every 5 ms);
memory is the agent's VmRSS once ready, against a run with no discovered entities.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table

from tests.conftest import Broker, Recorder

ROOT = Path(__file__).resolve().parent.parent
ROOMS = [
    "Kitchen", "Living Room", "Bedroom", "Office", "Hall", "Bathroom", "Garage", "Attic",
    "Cellar", "Nursery", "Study", "Dining Room", "Utility Room", "Porch", "Landing", "Den",
    "Library", "Guest Room", "Playroom", "Laundry", "Pantry", "Gym", "Workshop", "Loft", "Sunroom",
]  # fmt: skip
CONFIG = """\
mqtt: {{host: 127.0.0.1, port: {port}}}
site: {{id: bench, area: Kitchen}}
understanding: {{model: {root}/models/intent-minilm}}
voice: {{enabled: false}}
areas:
{areas}
home_assistant: {{discovery: {discovery}, announce: false}}
"""


def configs(n: int) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    for i in range(n):
        room = ROOMS[i % len(ROOMS)]
        kind = i % 10
        ident = f"0x{i:016x}"
        if kind < 4:  # Zigbee2MQTT light, JSON schema
            name = f"{room} Lamp {i}"
            out.append(
                (
                    f"homeassistant/light/{ident}/light/config",
                    {
                        "name": None,
                        "schema": "json",
                        "brightness": True,
                        "brightness_scale": 254,
                        "command_topic": f"zigbee2mqtt/{name}/set",
                        "state_topic": f"zigbee2mqtt/{name}",
                        "object_id": name.lower().replace(" ", "_"),
                        "unique_id": f"{ident}_light_zigbee2mqtt",
                        "device": {"identifiers": [f"zigbee2mqtt_{ident}"], "name": name},
                    },
                )
            )
        elif kind < 7:  # Zigbee2MQTT temperature sensor
            name = f"{room} Sensor {i}"
            out.append(
                (
                    f"homeassistant/sensor/{ident}/temperature/config",
                    {
                        "name": "Temperature",
                        "device_class": "temperature",
                        "unit_of_measurement": "°C",
                        "value_template": "{{ value_json.temperature }}",
                        "state_topic": f"zigbee2mqtt/{name}",
                        "unique_id": f"{ident}_temperature_zigbee2mqtt",
                        "device": {"identifiers": [f"zigbee2mqtt_{ident}"], "name": name},
                    },
                )
            )
        elif kind < 9:  # Tasmota switch (abbreviated, "~")
            out.append(
                (
                    f"homeassistant/switch/{ident[-6:]}_RL_1/config",
                    {
                        "name": f"{room} Plug {i}",
                        "~": f"plug_{i}/",
                        "cmd_t": "~cmnd/POWER",
                        "stat_t": "~tele/STATE",
                        "val_tpl": "{{value_json.POWER}}",
                        "uniq_id": f"{ident[-6:]}_RL_1",
                        "device": {"identifiers": [ident[-6:]], "suggested_area": room},
                    },
                )
            )
        else:  # ESPHome cover
            out.append(
                (
                    f"homeassistant/cover/esp{i}/blind_{i}/config",
                    {
                        "name": f"{room} Blind {i}",
                        "cmd_t": f"esp{i}/cover/blind/command",
                        "stat_t": f"esp{i}/cover/blind/state",
                        "uniq_id": f"ESPcoverblind_{i}",
                        "dev": {"ids": f"esp{i}", "name": f"esp{i}", "sa": room},
                    },
                )
            )
    return out


def _rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def run_agent(tmp: Path, port: int, discovery: bool, n: int) -> dict[str, float]:
    areas = "\n".join(f"  - {{name: {r}}}" for r in ROOMS)
    path = tmp / f"agent-{discovery}.yaml"
    path.write_text(
        CONFIG.format(port=port, root=ROOT, areas=areas, discovery=str(discovery).lower())
    )
    log = tmp / f"agent-{discovery}.log"
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(path)],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    seen: dict[str, float] = {}
    want = f"({n} discovered entities)" if discovery else "connected to MQTT broker"
    try:
        while time.monotonic() - started < 120:
            text = log.read_text(errors="replace")
            if "connected to MQTT broker" in text and "connected" not in seen:
                seen["connected"] = time.monotonic()
            if want in text:
                seen["ready"] = time.monotonic()
                break
            time.sleep(0.005)
        else:
            raise RuntimeError(f"not ready:\n{log.read_text()}")
        time.sleep(1.0)  # let the last state subscriptions settle
        out = {
            "startup_s": seen["connected"] - started,
            "ready_s": seen["ready"] - seen["connected"],
            "rss_mb": _rss_mb(proc.pid),
        }
        if discovery:
            bench_commands(port, out)  # on the home it has just discovered
        return out
    finally:
        proc.terminate()
        proc.wait(20)


def bench_commands(port: int, out: dict[str, float]) -> None:
    recorder = Recorder(port, ("bench/#", "voice-agent/#"))
    latencies = []
    try:
        lamps = [i for i in range(400) if i % 10 < 4][:40]  # names that exist: "Hall Lamp 4"
        for i in lamps:
            recorder.messages.clear()
            room = ROOMS[i % len(ROOMS)]
            recorder.publish("voice-agent/bench/command", f"turn on the {room.lower()} lamp {i}")
            event = json.loads(recorder.on("voice-agent/bench/intent", 10).payload)
            assert event["targets"], event  # found, not "no such device"
            latencies.append(float(event["latency_ms"]))
    finally:
        recorder.close()
    out["cmd_p50_ms"] = statistics.median(latencies)
    out["cmd_max_ms"] = max(latencies)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entities", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        broker = Broker(tmp).start()
        try:
            publisher = Recorder(broker.port, ("nothing/#",))
            for topic, body in configs(args.entities):
                publisher.publish(topic, json.dumps(body), retain=True)
            publisher.close()
            bare = run_agent(tmp, broker.port, False, 0)
            full = run_agent(tmp, broker.port, True, args.entities)
        finally:
            broker.stop()
    rows = [
        ("discovered entities", str(args.entities)),
        ("connected -> inventory ready", f"{full['ready_s'] * 1000:.0f} ms"),
        ("agent RSS, no discovery", f"{bare['rss_mb']:.0f} MB"),
        (f"agent RSS, {args.entities} entities", f"{full['rss_mb']:.0f} MB"),
        ("memory for the discovered inventory", f"{full['rss_mb'] - bare['rss_mb']:.1f} MB"),
        (
            "command on that home, p50 / max",
            f"{full['cmd_p50_ms']:.1f} / {full['cmd_max_ms']:.1f} ms",
        ),
    ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
