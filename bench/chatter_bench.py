"""Benchmark typed chatter: everyday speech that is no command (bench/voice_bench.py's
CHATTER, kept out of training), typed into the pipeline of a second-author home of 10, 150
and 500 entities. Counts what is understood as a command (any intent but none) and what is
acted on (device messages), the text side of always mode's "chatter taken as a command":
at understanding's usual bar (typed text) and at the one always mode holds voice to.

    .venv/bin/python bench/chatter_bench.py [--model models/intent-minilm]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from table import print_table
from voice_bench import CHATTER, SIZES, home_entities, home_of

from agent.pipeline import Pipeline
from agent.service import ROOM_TALK_LEAST
from agent.understand.cascade import build_tiers

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "intent-minilm"))
    parser.add_argument("--show", action="store_true", help="print what was taken")
    args = parser.parse_args()
    tiers = build_tiers(model=args.model)
    rows: list[tuple[str, str]] = []
    for size in SIZES:
        pipeline = Pipeline(home_of(home_entities(size)), tiers)
        for bar, least in (("typed", 0.0), ("always mode's bar", ROOM_TALK_LEAST)):
            understood = acted = 0
            for text in CHATTER:
                outcome = pipeline.handle(text, least=least)
                pipeline.handle("no")  # a question it asked is not left open for the next
                understood += outcome.intent.name != "none"
                acted += bool(outcome.actions)
                if args.show and outcome.intent.name != "none":
                    print(f"{size}, {bar}: {text!r} -> {outcome.intent.name} {outcome.targets}")
            n = len(CHATTER)
            rows.append(
                (
                    f"{size} entities, {bar}: understood as a command",
                    f"{understood / n:.1%} ({understood}/{n})",
                )
            )
            rows.append((f"{size} entities, {bar}: acted on", f"{acted / n:.1%} ({acted}/{n})"))
    print_table(rows)


if __name__ == "__main__":
    main()
