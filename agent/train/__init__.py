"""The training recipe for the understanding model (needs the `train` extra: torch).

    python -m agent.train --out models/intent-minilm

Nothing here is imported by the running agent.
"""
