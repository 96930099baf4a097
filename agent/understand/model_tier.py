"""Second understanding tier: the quantised joint model (onnxruntime + tokenizers + numpy).

The model reads normalised text and gives an intent, a direction and a BIO slot tag per
token; tagged spans become the device, area and value slots, resolved later by name.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from agent.errors import AgentError
from agent.messages import Intent, Slots
from agent.understand.normalize import normalize
from agent.understand.values import parse_value

log = logging.getLogger(__name__)
MODEL_FILE = "model.int8.onnx"
MAX_TOKENS = 48
DETERMINERS = ("the ", "my ", "our ", "a ", "an ", "this ", "that ", "these ", "those ")


class ModelError(AgentError):
    pass


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()  # type: ignore[no-any-return]


class ModelTier:
    def __init__(self, model_dir: Path | str, *, threads: int = 1, file: str = MODEL_FILE) -> None:
        model_dir = Path(model_dir)
        needed = [model_dir / file, model_dir / "tokenizer.json", model_dir / "labels.json"]
        missing = [str(p) for p in needed if not p.is_file()]
        if missing:
            raise ModelError(f"understanding model incomplete: missing {', '.join(missing)}")
        try:
            labels = json.loads((model_dir / "labels.json").read_text())
            self.intents: list[str] = labels["intents"]
            self.directions: list[str] = labels["directions"]
            self.tags: list[str] = labels["tags"]
            self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(
                str(model_dir / file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a broken model file: say which and why
            raise ModelError(f"cannot load the understanding model in {model_dir}: {exc}") from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)

    def predict(self, text: str) -> Intent:
        norm = normalize(text)
        enc = self.tokenizer.encode(norm)
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        intent_logits, direction_logits, tag_logits = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask}
        )
        probs = _softmax(intent_logits[0])
        best = int(probs.argmax())
        direction = self.directions[int(direction_logits[0].argmax())]
        tags = [self.tags[i] for i in tag_logits[0].argmax(-1)]
        spans = _spans(norm, enc.offsets, enc.special_tokens_mask, tags)
        value = parse_value(spans["value"]) if "value" in spans else None
        slots = Slots(
            device=_clean(spans.get("device")),
            area=_clean(spans.get("area")),
            value=value,
            direction=direction or None if value is None else None,
            media=_clean(spans.get("media")),
        )
        return Intent(self.intents[best], slots, confidence=float(probs[best]), tier="model")


def _spans(
    text: str, offsets: list[tuple[int, int]], special: list[int], tags: list[str]
) -> dict[str, str]:
    """The first span of each slot, as text: B-x (or I-x after O) opens, I-x extends."""
    found: dict[str, tuple[int, int]] = {}
    current: str | None = None
    for (start, end), is_special, tag in zip(offsets, special, tags, strict=True):
        if is_special or tag == "O":
            current = None
            continue
        prefix, slot = tag.split("-", 1)
        if prefix == "I" and current == slot:
            found[slot] = (found[slot][0], end)
        elif slot not in found:
            found[slot] = (start, end)
            current = slot
        else:
            current = None
    return {slot: _word_bounds(text, s, e) for slot, (s, e) in found.items()}


def _word_bounds(text: str, start: int, end: int) -> str:
    """Widen a span to whole words: a tag on 'lamp' of 'lamps' keeps 'lamps'."""
    while start > 0 and text[start - 1] != " ":
        start -= 1
    while end < len(text) and text[end] != " ":
        end += 1
    return text[start:end]


def _clean(name: str | None) -> str | None:
    if name is None:
        return None
    for det in DETERMINERS:
        if name.startswith(det):
            name = name[len(det) :]
    return name.strip() or None
