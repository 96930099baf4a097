"""The wake classifier: does an utterance begin with the wake phrase? A small int8 ONNX network
over sliding 1.5 s windows of log-mel features (trained on synthetic speech in synthetic rooms:
agent/train/wake), whatever recogniser turns the speech into words. Its score is a probability
calibrated on voices kept apart from training; the phrase wakes the agent when the score is at
least 1 - `voice.sensitivity`.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path

import numpy as np

from agent.language.normalize import normalize
from agent.shipped import WAKE_MODEL
from agent.voice import features
from agent.voice.recognition import RecognizerError

log = logging.getLogger(__name__)
WINDOW_FRAMES = 150  # 1.5 s: the phrase said slowly fits
HOP_FRAMES = 10
SPAN_S = 3.0  # how far into an utterance the phrase is looked for
SHIPPED = "wake-hey-computer"
# where the shipped model is: the package's own (agent/shipped.py), or install.sh's (beside
# its venv)
PLACES = (WAKE_MODEL, Path(sys.prefix).parent / "models" / SHIPPED)


class WakeModel:
    def __init__(self, folder: Path) -> None:
        try:
            meta = json.loads((folder / "wake.json").read_text())
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            self.session = ort.InferenceSession(
                str(folder / "wake.int8.onnx"), opts, providers=["CPUExecutionProvider"]
            )
            self.phrase = normalize(meta["phrase"])
            self.a = float(meta["calibration"]["a"])
            self.b = float(meta["calibration"]["b"])
        except Exception as exc:  # files, JSON, missing keys and onnxruntime's own errors
            raise RecognizerError(
                f"the wake model in {folder} could not be loaded: {exc!r}"
            ) from None

    def score(self, pcm: bytes) -> float:
        """0..1: how sure the first SPAN_S of `pcm` (16 kHz s16le) holds the wake phrase."""
        audio = features.pcm_to_float(pcm[: int(SPAN_S * features.RATE) * 2])
        x = features.windows(features.log_mel(audio), WINDOW_FRAMES, HOP_FRAMES)
        logit = float(self.session.run(None, {"features": x})[0].max())
        return float(1.0 / (1.0 + np.exp(-(self.a * logit + self.b))))


def shipped() -> Path | None:
    return next((p for p in PLACES if (p / "wake.json").is_file()), None)


def for_phrase(wake: str | None, folder: str | Path | None = None) -> WakeModel | None:
    """The wake classifier in `folder` (None: the shipped one) when it was trained for
    `wake`; None (the recogniser's word confidences decide) for any other phrase, or where
    there is none. Loaded once per folder."""
    where = Path(folder) if folder is not None else shipped()
    if not wake or where is None:
        return None
    model = _load(where)
    if model.phrase != normalize(wake):
        log.info(
            "no wake classifier for %r (it knows %r); using word confidences", wake, model.phrase
        )
        return None
    return model


@functools.cache
def _load(folder: Path) -> WakeModel:
    return WakeModel(folder)
