"""The training recipe for the understanding model (needs the `train` extra: torch).

    python -m agent.train --out models/intent-minilm

The running agent imports only the torch-free sentence sources here (corpus, datagen,
sampler), from which agent/voice/lm.py builds the home's language model.
"""
