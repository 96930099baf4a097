"""Benchmark the Home Assistant link against a real Home Assistant Core holding N entities:
connect -> inventory ready, command -> state change in Home Assistant, and the memory the
link adds.

    .venv/bin/python bench/hass_bench.py [--entities 500] [--commands 60] [--venv .venv-ha-2025]

Home Assistant (.venv-ha, scripts/bootstrap.sh --dev) starts with N template lights,
switches and covers backed by input_boolean (each with a unique id, so each is in the entity
registry), spread over 25 areas made over WebSocket, each entity with an alias. Then, in this
process:
- **ready**: from opening the connection to the inventory holding every exposed entity (auth,
  subscriptions, the registries, states and exposure read, the home merged), 10 times;
- **command -> state change**: "turn on the <alias>" through the pipeline and the link's
  service call until Home Assistant's `state_changed` event for that entity arrives (on a
  connection of its own), for `--commands` commands alternating on and off;
- **added RSS**: this process's VmRSS before the link's modules are imported and after it
  holds the inventory (the home's devices included).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from discovery_bench import ROOMS
from table import print_table

HEAD = """\
homeassistant:
  name: Bench Home
  unit_system: metric
  time_zone: Europe/Berlin
  latitude: 52.52
  longitude: 13.405
  elevation: 34
  currency: EUR
  country: DE
  language: en
  internal_url: "http://127.0.0.1:__PORT__"
  auth_providers:
    - type: homeassistant
logger:
  default: warning
http:
  server_host: 127.0.0.1
  server_port: __PORT__
api:
websocket_api:
config:
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def configuration(n: int) -> str:
    """N entities: lights, switches and covers, in that ratio 5:3:2."""
    kinds = ["light"] * 5 + ["switch"] * 3 + ["cover"] * 2
    booleans, lights, switches, covers = [], [], [], []
    for i in range(n):
        kind, key = kinds[i % len(kinds)], f"e{i}"
        booleans.append(f"  {key}_power:\n    name: {key} power")
        on = f"{{{{ is_state('input_boolean.{key}_power', 'on') }}}}"
        act = "          service: input_boolean.turn_{}\n          target:\n"
        act += f"            entity_id: input_boolean.{key}_power"
        body = f"      {kind}_{i}:\n        unique_id: bench_{kind}_{i}\n"
        body += f'        friendly_name: {kind.title()} {i}\n        value_template: "{on}"\n'
        verbs = ("open_cover", "close_cover") if kind == "cover" else ("turn_on", "turn_off")
        for verb, what in zip(verbs, ("on", "off"), strict=True):
            body += f"        {verb}:\n" + act.format(what) + "\n"
        {"light": lights, "switch": switches, "cover": covers}[kind].append(body)
    text = HEAD + "input_boolean:\n" + "\n".join(booleans) + "\n"
    for domain, key, bodies in (
        ("light", "lights", lights),
        ("switch", "switches", switches),
        ("cover", "covers", covers),
    ):
        text += f"{domain}:\n  - platform: template\n    {key}:\n" + "".join(bodies)
    return text


def furnish(home: Any, n: int) -> dict[str, str]:
    """Areas, and each entity in one with an alias; the alias of each light."""
    from agent.hass_ws import HassConnection

    conn = HassConnection(home.url, home.token)
    have = {a["name"]: a["area_id"] for a in conn.request({"type": "config/area_registry/list"})}
    areas = [
        have.get(room)
        or conn.request({"type": "config/area_registry/create", "name": room})["area_id"]
        for room in ROOMS
    ]  # onboarding made three of them
    deadline = time.monotonic() + 120  # a newer Home Assistant answers before it has them all
    while True:
        entries = conn.request({"type": "config/entity_registry/list"})
        if sum(e["platform"] == "template" for e in entries) >= n:
            break
        if time.monotonic() > deadline:
            sys.exit(f"Home Assistant made fewer than {n} template entities")
        time.sleep(0.2)
    aliases: dict[str, str] = {}
    futures = []
    for i, entry in enumerate(e for e in entries if e["platform"] == "template"):
        alias = f"thing number {i}"
        aliases[entry["entity_id"]] = alias
        futures.append(
            conn.send(
                {
                    "type": "config/entity_registry/update",
                    "entity_id": entry["entity_id"],
                    "area_id": areas[i % len(areas)],
                    "aliases": [alias],
                }
            )
        )
    for f in futures:
        f.result(30)
    conn.close()
    return aliases


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=500)
    parser.add_argument("--commands", type=int, default=60)
    parser.add_argument(
        "--venv", default=".venv-ha", help="the Home Assistant's venv (.venv-ha-2025: 2025.4.4)"
    )
    args = parser.parse_args()
    # the agent without the link first: its pipeline, inventory and MQTT client
    import agent.deliver
    import agent.home.live
    import agent.pipeline
    import agent.understand.cascade  # noqa: F401

    before_mb = rss_mb()
    from tests.hass import ROOT, HomeAssistant, installed

    hass = ROOT / args.venv / "bin" / "hass"
    version = installed(hass)
    if not version:
        sys.exit("Home Assistant is not installed in .venv-ha: run scripts/bootstrap.sh --dev")
    work = Path(tempfile.mkdtemp(prefix="hass-bench-"))
    home = HomeAssistant(work, hass)
    (home.dir / "configuration.yaml").write_text(
        configuration(args.entities).replace("__PORT__", str(home.port))
    )
    began = time.monotonic()
    home.start(timeout=180)
    started_s = time.monotonic() - began
    try:
        aliases = furnish(home, args.entities)
        rows = measure(home, aliases, args.commands, before_mb)
    finally:
        home.stop()
    print(f"{version}; {args.entities} entities; Home Assistant started in {started_s:.1f} s\n")
    print_table(rows)


def measure(
    home: Any, aliases: dict[str, str], commands: int, before_mb: float
) -> list[tuple[str, str]]:
    from agent.config.schema import Config, MqttConfig, SiteConfig, UnderstandingConfig
    from agent.deliver import publish_outcome
    from agent.hass_link import HassLink
    from agent.hass_ws import HassConnection
    from agent.home.expose import Expose
    from agent.home.inventory import Home
    from agent.home.live import Inventory, device_states
    from agent.home.state import StateStore
    from agent.mqtt import MqttClient
    from agent.pipeline import Pipeline
    from agent.topics import Topics
    from agent.understand.cascade import tiers_for

    link_modules_mb = rss_mb()
    ready: list[float] = []
    devices = 0
    link = None
    for _ in range(10):
        inventory, states = Inventory(Home(), Expose()), StateStore()
        link = HassLink(home.url, home.token, inventory, states)
        t0 = time.perf_counter()
        link.connect()
        devices = len(inventory.home.devices)
        ready.append((time.perf_counter() - t0) * 1000)
        link.close()
    assert link is not None
    inventory, states = Inventory(Home(), Expose()), StateStore()
    link = HassLink(home.url, home.token, inventory, states)
    link.connect()
    _ = inventory.home
    held_mb = rss_mb()
    pipeline = Pipeline(inventory.home, tiers_for(UnderstandingConfig(model=None)))
    pipeline.state = device_states(inventory, states)
    config = Config("bench", MqttConfig(), SiteConfig(id="bench"), Home(), UnderstandingConfig())
    changed: dict[str, threading.Event] = {}
    nobody = cast(MqttClient, _NoBroker())

    def on_event(_sub: int, event: dict[str, Any]) -> None:
        entity = event.get("data", {}).get("entity_id")
        if entity in changed:
            changed[entity].set()

    watcher = HassConnection(home.url, home.token, on_event)
    watcher.request({"type": "subscribe_events", "event_type": "state_changed"})
    lights = [e for e in aliases if e.startswith("light.")][: max(1, commands // 2)]
    times: list[float] = []
    failed = 0
    for i in range(commands):
        entity = lights[(i // 2) % len(lights)]
        verb = "on" if i % 2 == 0 else "off"
        changed[entity] = threading.Event()
        t0 = time.perf_counter()
        outcome = pipeline.handle(f"turn {verb} the {aliases[entity]}")
        done = publish_outcome(nobody, Topics(config), outcome, replies=False, hass=link)
        if not done.actions or not changed[entity].wait(5):
            failed += 1
            continue
        times.append((time.perf_counter() - t0) * 1000)
    watcher.close()
    link.close()
    return [
        ("entities exposed -> devices in the home", f"{link.exposed} -> {devices}"),
        ("connect -> inventory ready p50 / p95", f"{pct(ready, 50):.0f} / {pct(ready, 95):.0f} ms"),
        (
            "command -> state change p50 / p95",
            f"{pct(times, 50):.1f} / {pct(times, 95):.1f} ms ({len(times)} commands, "
            f"{failed} failed)",
        ),
        ("RSS: the link's modules", f"+{link_modules_mb - before_mb:.1f} MB"),
        ("RSS: the link holding the home", f"+{held_mb - link_modules_mb:.1f} MB"),
        ("RSS added by the link, all", f"+{held_mb - before_mb:.1f} MB"),
        ("mean ready", f"{statistics.mean(ready):.0f} ms"),
    ]


class _NoBroker:
    """The benchmark acts on Home Assistant's entities only: no MQTT message is sent."""

    def send_all(self, actions: list[Any]) -> None:
        assert not actions

    def publish(self, *_: Any) -> None:
        return None


if __name__ == "__main__":
    main()
