"""Second understanding tier: the quantised joint model (onnxruntime + tokenizers + numpy).

The model reads normalised text and gives an intent, a direction and a BIO slot tag per
token; tagged spans become the device, area and value slots, resolved later by name.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from agent.errors import AgentError
from agent.intents import INTENTS, IntentName, as_intent
from agent.language.normalize import normalize
from agent.language.words import DETERMINERS
from agent.messages import Intent, Slots
from agent.understand.values import parse_value

log = logging.getLogger(__name__)
MODEL_FILE = "model.int8.onnx"
MAX_TOKENS = 48
INPUTS = ("input_ids", "attention_mask")
OUTPUTS = ("intent", "direction", "tags")  # in this order, each with one logit per label
LABELS = ("intents", "directions", "tags")  # labels.json: the names of those logits
DIRECTIONS = ("", "up", "down")
TAG = re.compile(r"^(O|[BI]-[a-z_]+)$")
GATHER_RANGE = re.compile(r"range \[-?\d+,\s*(\d+)\]")  # onnxruntime's out-of-bounds message


class ModelError(AgentError):
    pass


class ModelMismatch(ModelError):
    """labels.json or tokenizer.json was not made with the model file beside it."""


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
        labels_file = model_dir / "labels.json"
        try:
            labels = json.loads(labels_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelError(f"cannot read {labels_file}: {exc}") from None
        self.intents, self.directions, self.tags = _labels(labels, labels_file)
        tokenizer_file = model_dir / "tokenizer.json"
        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # the tokenizers library raises its own bare Exception
            raise ModelError(
                f"cannot load the understanding model's tokenizer {tokenizer_file}: {exc}"
            ) from exc
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(
                str(model_dir / file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a broken model file: say which and why
            raise ModelError(
                f"cannot load the understanding model {model_dir / file}: {exc}"
            ) from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self._check_fit(model_dir, file)

    def _run(self, ids: list[int]) -> list[np.ndarray]:
        feed = np.asarray([ids], dtype=np.int64)
        options = ort.RunOptions()
        options.log_severity_level = 4  # a probe's expected failure is not logged
        out: list[np.ndarray] = self.session.run(
            None, {"input_ids": feed, "attention_mask": np.ones_like(feed)}, options
        )
        return out

    def _check_fit(self, model_dir: Path, file: str) -> None:
        """The tokenizer and the labels must be the model's own. A tokenizer with more tokens
        than the model has embeddings fails on every sentence with such a token, one with
        fewer is another model's (ids mean other words), and labels of another model name
        the wrong intents or none (an index error). The embedding's size is probed with two
        one-token runs: the tokenizer's last id must work and the next one must not."""
        model_file = model_dir / file
        tokenizer_file = model_dir / "tokenizer.json"
        inputs = sorted(i.name for i in self.session.get_inputs())
        if inputs != sorted(INPUTS):
            raise ModelMismatch(
                f"{model_file} takes the inputs {', '.join(inputs)}; voice-agent gives "
                f"{', '.join(INPUTS)}"
            )
        outputs = [o.name for o in self.session.get_outputs()]
        if outputs != list(OUTPUTS):
            raise ModelMismatch(
                f"{model_file} gives the outputs {', '.join(outputs)}; voice-agent reads "
                f"{', '.join(OUTPUTS)}, in that order"
            )
        vocab = self.tokenizer.get_vocab(with_added_tokens=True)
        size = max(vocab.values(), default=-1) + 1
        if size == 0:
            raise ModelMismatch(f"{tokenizer_file} has no tokens")
        try:
            got = self._run([size - 1])  # the largest id the tokenizer can give
        except Exception as exc:  # onnxruntime's errors share no base class
            rows = _rows(str(exc))
            if rows is None:
                raise ModelError(f"{model_file} fails on a test input: {exc}") from None
            raise ModelMismatch(
                f"{tokenizer_file} does not match {model_file}: the tokenizer has {size} "
                f"tokens, the model has embeddings for {rows} tokens; use the tokenizer.json "
                "the model was trained with"
            ) from None
        rows = self._embedding_rows(size)
        if rows is not None:
            raise ModelMismatch(
                f"{tokenizer_file} does not match {model_file}: the tokenizer has {size} "
                f"tokens, the model has embeddings for {rows or 'more'} tokens; use the "
                "tokenizer.json the model was trained with"
            )
        labels_file = model_dir / "labels.json"
        counts = (len(self.intents), len(self.directions), len(self.tags))
        for i, (key, count, logits) in enumerate(zip(LABELS, counts, got, strict=True)):
            if logits.shape[-1] != count:
                raise ModelMismatch(
                    f"{labels_file} does not match {model_file}: it lists {count} "
                    f"{key}, the model gives {logits.shape[-1]} (its output {outputs[i]!r}); "
                    "use the labels.json the model was trained with"
                )

    def _embedding_rows(self, size: int) -> int | None:
        """None when the model has no embedding for id `size` (it fits the tokenizer);
        else how many it has (0: more, number unknown)."""
        try:
            self._run([size])
        except Exception:
            return None
        try:
            self._run([2**62])
        except Exception as exc:
            return _rows(str(exc)) or 0
        return 0

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


def _labels(data: object, file: Path) -> tuple[list[IntentName], list[str], list[str]]:
    """intents, directions and tags from labels.json, checked."""
    if not isinstance(data, dict):
        raise ModelMismatch(f"{file}: expected an object with intents, directions and tags")
    found: list[list[str]] = []
    for key in LABELS:
        values = data.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ModelMismatch(f"{file}: {key}: expected a list of strings")
        found.append(values)
    intents, directions, tags = found
    wrong = {
        "intents": [v for v in intents if v not in INTENTS],
        "directions": [v for v in directions if v not in DIRECTIONS],
        "tags": [v for v in tags if not TAG.match(v)],
    }
    for key, values in wrong.items():
        if values:
            raise ModelMismatch(f"{file}: {key}: unknown {', '.join(map(repr, values))}")
    return [as_intent(v) for v in intents], directions, tags


def _rows(message: str) -> int | None:
    """The embedding's row count from onnxruntime's out-of-bounds Gather message."""
    match = GATHER_RANGE.search(message)
    return int(match.group(1)) + 1 if match else None


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
        if name.startswith(det + " "):
            name = name[len(det) + 1 :]
    return name.strip() or None
