"""Train the wake classifier: a small convolutional network over 1.5 s of log-mel features
that says whether the window holds the whole wake phrase. Trained on synthetic speech
(data.py) in synthetic rooms (noise.py), calibrated on other voices, exported to ONNX and
quantised to int8.

    .venv/bin/python -m agent.train.wake [--out models/wake-hey-computer] [--scale 1.0]

Needs torch (training only: pip install torch==2.13.0); the agent runs the ONNX file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections.abc import Callable
from multiprocessing.pool import Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.train.wake import data, noise
from agent.voice import features
from agent.voice.wake import HOP_FRAMES, SPAN_S, WINDOW_FRAMES

if TYPE_CHECKING:
    import torch

WINDOW_SAMPLES = (WINDOW_FRAMES - 1) * features.HOP + features.WINDOW
RATE = data.RATE


def room(audio: np.ndarray, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """`audio` (float) as a microphone in a random room might hear it."""
    if rng.random() < 0.35:
        audio = noise.reverb(audio, rng)
    audio = noise.level(audio, float(rng.uniform(-38, -12)))
    if rng.random() < 0.9:
        kind = noise.KINDS[int(rng.integers(len(noise.KINDS)))]
        snr = float(rng.uniform(-2, 32))
        audio = noise.mix(audio, noise.noise(kind, len(audio), rng, babble), snr)
    else:
        audio = audio + rng.standard_normal(len(audio)) * 10 ** (rng.uniform(-90, -60) / 20)
    clipped: np.ndarray = np.clip(audio, -1.0, 1.0)
    return clipped


def _crop(audio: np.ndarray, start: int) -> np.ndarray:
    """WINDOW_SAMPLES of `audio` from `start` (may be negative), quiet where it runs out."""
    out = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
    lo, hi = max(start, 0), min(start + WINDOW_SAMPLES, len(audio))
    if hi > lo:
        out[lo - start : hi - start] = audio[lo:hi]
    return out


def sample_window(clip: data.Clip, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One training window of `clip` and its label."""
    audio = clip.audio.astype(np.float32) / 32768.0
    if clip.wake is not None:
        s, e = clip.wake
        length = e - s
        if rng.random() < 0.22:  # a part of the phrase only: not the wake phrase
            if rng.random() < 0.5:
                return _crop(audio, int(s + length * rng.uniform(0.35, 0.6))), 0.0
            return _crop(audio, int(e - length * rng.uniform(0.35, 0.55) - WINDOW_SAMPLES)), 0.0
        room_ = WINDOW_SAMPLES - length - int(0.04 * RATE)
        before = int(rng.uniform(0.02 * RATE, max(room_, 0.02 * RATE + 1)))
        return _crop(audio, s - before), 1.0
    if rng.random() < 0.5:
        start = -int(rng.uniform(0.02, 0.3) * RATE)  # from the start, as an utterance begins
    else:
        start = int(rng.integers(0, max(len(audio) - WINDOW_SAMPLES // 2, 1)))
    return _crop(audio, start), 0.0


def _windows(
    args: tuple[list[data.Clip], int, int, list[np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    clips, seed, quiet, babble = args
    rng = np.random.default_rng(seed)
    xs, ys = [], []

    def heard(window: np.ndarray) -> np.ndarray:
        feats = features.log_mel(room(window, rng, babble))
        window_: np.ndarray = features.windows(feats, WINDOW_FRAMES, WINDOW_FRAMES)[0]
        return window_

    for clip in clips:
        window, label = sample_window(clip, rng)
        xs.append(heard(window))
        ys.append(label)
    for _ in range(quiet):  # noise alone
        xs.append(heard(np.zeros(WINDOW_SAMPLES)))
        ys.append(0.0)
    return np.stack(xs), np.array(ys, dtype=np.float32)


def epoch_data(
    pool: Pool, clips: list[data.Clip], seed: int, babble: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    parts = [clips[i::8] for i in range(8)]
    out = pool.map(
        _windows, [(p, seed * 100 + i, len(p) // 20, babble) for i, p in enumerate(parts)]
    )
    return np.concatenate([x for x, _ in out]), np.concatenate([y for _, y in out])


def make_model() -> torch.nn.Module:
    import torch
    from torch import nn

    def block(cin: int, cout: int, pool: bool) -> list[nn.Module]:
        layers: list[nn.Module] = [
            nn.Conv1d(cin, cout, 5, padding=2),
            nn.BatchNorm1d(cout),
            nn.ReLU(),
        ]
        return layers + ([nn.MaxPool1d(2)] if pool else [])

    class WakeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                *block(features.MELS, 48, True),
                *block(48, 64, True),
                *block(64, 64, True),
                *block(64, 64, True),
                *block(64, 64, False),
            )
            self.head = nn.Linear(128, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.body(x)
            out: torch.Tensor = self.head(torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1))
            return out.squeeze(1)

    return WakeNet()


def utterance_scores(
    session_run: Callable[[np.ndarray], np.ndarray],
    clips: list[data.Clip],
    rng: np.random.Generator,
    babble: list[np.ndarray],
    snr: float | None,
    kind: str,
) -> np.ndarray:
    """The largest logit over the sliding windows of each whole clip, as the agent scores an
    utterance, in a room of noise `kind` at `snr` (None: clean)."""
    out = []
    for clip in clips:
        audio = clip.audio.astype(np.float64) / 32768.0
        audio = np.concatenate([np.zeros(int(0.3 * RATE)), audio, np.zeros(int(0.3 * RATE))])
        audio = noise.level(audio, float(rng.uniform(-35, -15)))
        if snr is not None:
            audio = noise.mix(audio, noise.noise(kind, len(audio), rng, babble), snr)
        else:
            audio = audio + rng.standard_normal(len(audio)) * 1e-4
        feats = features.log_mel(np.clip(audio[: int(SPAN_S * RATE)], -1, 1).astype(np.float32))
        out.append(float(session_run(features.windows(feats, WINDOW_FRAMES, HOP_FRAMES)).max()))
    return np.array(out)


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """a, b with sigmoid(a * logit + b) calibrated on held-apart audio (balanced classes)."""
    weight = np.where(labels > 0, 0.5 / max(labels.sum(), 1), 0.5 / max((1 - labels).sum(), 1))
    a, b = 1.0, 0.0
    for _ in range(2000):
        p = 1 / (1 + np.exp(-(a * logits + b)))
        g = (p - labels) * weight
        a -= 0.5 * float((g * logits).sum()) / max(np.abs(logits).mean(), 1e-3)
        b -= 0.5 * float(g.sum())
    return a, b


def _fit(
    train_clips: list[data.Clip], babble: list[np.ndarray], epochs: int, seed: int, began: float
) -> Any:
    """The classifier trained on the clips, with fresh noise and babble each epoch."""
    import torch

    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * 80)
    steps = 0
    with Pool(2) as pool:
        for epoch in range(epochs):
            x, y = epoch_data(pool, train_clips, seed * 1000 + epoch, babble)
            model.train()
            order = np.random.default_rng(epoch).permutation(len(x))
            batch = math.ceil(len(x) / 80)
            total = 0.0
            pos = float(y.mean())
            for i in range(0, len(x), batch):
                if steps >= epochs * 80:
                    break
                idx = order[i : i + batch]
                xb, yb = torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
                logits = model(xb)
                w = torch.where(yb > 0, 0.5 / pos, 0.5 / (1 - pos))
                loss = (
                    torch.nn.functional.binary_cross_entropy_with_logits(
                        logits, yb, reduction="none"
                    )
                    * w
                ).mean()
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                sched.step()
                steps += 1
                total += float(loss) * len(idx)
            print(
                f"epoch {epoch + 1}: loss {total / len(x):.4f} ({time.time() - began:.0f} s)",
                flush=True,
            )

    return model


def _export(model: Any, out: Path, train_clips: list[data.Clip], babble: list[np.ndarray]) -> Path:
    """The model as int8 ONNX in `out` (quantised on the training clips)."""
    import torch

    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "wake.fp32.onnx"
    torch.onnx.export(
        model, (torch.zeros(1, features.MELS, WINDOW_FRAMES),), str(fp32),
        input_names=["features"], output_names=["logit"],
        dynamic_axes={"features": {0: "n"}, "logit": {0: "n"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    int8 = out / "wake.int8.onnx"
    quantize(fp32, int8, train_clips, babble)
    fp32.unlink()

    return int8


def _calibrate(
    int8: Path, cal_clips: list[data.Clip], babble: list[np.ndarray]
) -> tuple[float, float, dict[str, dict[str, float]]]:
    """Platt scaling fitted on the calibration clips in six noise conditions, and the
    wake and false-accept rates it gives at 0.5 in each."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(sess.run(None, {"features": x})[0])

    rng = np.random.default_rng(7)
    labels = np.array([1.0 if c.kind == "wake" else 0.0 for c in cal_clips])
    logits, conds = [], []
    for snr, kind in [
        (None, "white"),
        (20.0, "pink"),
        (10.0, "white"),
        (10.0, "babble"),
        (5.0, "brown"),
        (10.0, "music"),
    ]:
        logits.append(utterance_scores(run, cal_clips, rng, babble, snr, kind))
        conds.append((snr, kind))
    a, b = fit_platt(np.concatenate(logits), np.tile(labels, len(logits)))
    metrics: dict[str, dict[str, float]] = {}
    for (snr, kind), lg in zip(conds, logits, strict=True):
        p = 1 / (1 + np.exp(-(a * lg + b)))
        name = "clean" if snr is None else f"{snr:.0f} dB {kind}"
        metrics[name] = {
            "wake_rate": round(float((p[labels > 0] >= 0.5).mean()), 4),
            "false_accepts": round(float((p[labels == 0] >= 0.5).mean()), 4),
            "near_miss_false_accepts": round(
                float((p[[c.kind == "near" for c in cal_clips]] >= 0.5).mean()), 4
            ),
        }
        print(name, metrics[name], flush=True)
    return a, b, metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="models/wake-hey-computer")
    ap.add_argument("--scale", type=float, default=1.0, help="dataset size factor")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default="/tmp/wake-clips.npz")
    args = ap.parse_args(argv)

    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    began = time.time()
    train_clips = data.synthesize("train", args.seed, args.scale)
    cal_clips = data.synthesize("calibration", args.seed, args.scale)
    print(
        f"synthesised {len(train_clips)} training and {len(cal_clips)} calibration clips "
        f"in {time.time() - began:.0f} s",
        flush=True,
    )
    babble_train = [
        c.audio.astype(np.float32) / 32768 for c in train_clips if c.kind in ("command", "chatter")
    ][:400]
    babble_cal = [
        c.audio.astype(np.float32) / 32768 for c in cal_clips if c.kind in ("command", "chatter")
    ][:200]

    model = _fit(train_clips, babble_train, args.epochs, args.seed, began)
    out = Path(args.out)
    int8 = _export(model, out, train_clips, babble_train)
    a, b, metrics = _calibrate(int8, cal_clips, babble_cal)
    meta = {
        "phrase": data.WAKE,
        "sample_rate": RATE,
        "mels": features.MELS,
        "window_frames": WINDOW_FRAMES,
        "hop_frames": HOP_FRAMES,
        "span_s": SPAN_S,
        "calibration": {"a": a, "b": b},
        "calibration_metrics_at_sensitivity_0.5": metrics,
        "clips": {"train": len(train_clips), "calibration": len(cal_clips)},
        "sha256": hashlib.sha256(int8.read_bytes()).hexdigest(),
        "recipe": "python -m agent.train.wake " + " ".join(argv or []),
    }
    (out / "wake.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {int8} ({int8.stat().st_size / 1024:.0f} KiB) in {time.time() - began:.0f} s")
    return 0


def quantize(fp32: Path, int8: Path, clips: list[data.Clip], babble: list[np.ndarray]) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    x, _ = _windows((clips[::10], 123, 20, babble))

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.items = iter([{"features": x[i : i + 32]} for i in range(0, len(x), 32)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    quantize_static(
        str(fp32), str(int8), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
    )  # fmt: skip
