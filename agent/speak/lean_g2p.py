"""hibari-tts's pronunciation front end with its part-of-speech tagger's weights held
compactly (numpy arrays instead of 80,000 small dictionaries): hibari then adds about 110 MB
to the agent instead of 145 (bench/speak_bench.py). The tagger gives the same answers, so
the audio is the same sample for sample (tests/test_speak.py). Built from hibari 0.2's own
parts, as its G2P.__init__ builds them; with another hibari the stock front end is used."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


class CompactWeights:
    """feature -> {tag: weight}, as the tagger reads it (`get`), from three flat arrays."""

    def __init__(self, weights: dict[str, dict[str, float]]) -> None:
        self.tags = sorted({t for ws in weights.values() for t in ws})
        code = {t: i for i, t in enumerate(self.tags)}
        offsets, tags, values = [0], [], []
        for ws in weights.values():
            for tag, weight in ws.items():
                tags.append(code[tag])
                values.append(weight)
            offsets.append(len(tags))
        # the features as new strings, so that the parsed JSON's memory is freed whole
        names = "\x00".join(weights).encode().decode().split("\x00")
        self.index = {name: i for i, name in enumerate(names)}
        self.offsets = np.asarray(offsets, np.int32)
        self.tag_codes = np.asarray(tags, np.uint8)
        self.values = np.asarray(values, np.float32)

    def get(self, feature: str) -> dict[str, float] | None:
        i = self.index.get(feature)
        if i is None:
            return None
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        codes, values = self.tag_codes[a:b].tolist(), self.values[a:b].tolist()
        return {self.tags[c]: float(v) for c, v in zip(codes, values, strict=True)}


def _fresh(words: Any) -> Any:
    return [w.encode().decode() for w in words]


def lean_g2p(british: bool = False) -> Any:
    """hibari's G2P with a compact tagger; None where this hibari is built otherwise."""
    try:
        from hibari.g2p import G2P, Lexicon, Tagger, Tokenizer, _load_json

        raw = _load_json("tagger.json.gz")  # first, so that its memory is freed whole
        tagger = Tagger.__new__(Tagger)
        tagger.tagdict = dict(zip(_fresh(raw["tagdict"]), raw["tagdict"].values(), strict=True))
        tagger.tags = list(raw["tags"])
        tagger.vocab = set(_fresh(raw["vocab"])) if "vocab" in raw else None
        tagger.weights = CompactWeights(raw["weights"])
        del raw
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc: give freed memory back
        accent = "gb" if british else "us"
        g2p = G2P.__new__(G2P)
        g2p.lexicon = Lexicon(
            _load_json(f"lexicon_{accent}_gold.json.gz"),
            _load_json(f"lexicon_{accent}_silver.json.gz"),
            british,
        )
        g2p.tokenizer = Tokenizer(_load_json("tokenizer_exceptions.json"))
        g2p.tagger = tagger
        g2p._oov, g2p.unk, g2p.british = None, "", british
        return g2p
    except (ImportError, AttributeError, KeyError, TypeError) as exc:
        log.info("hibari's stock pronunciation front end (%s)", exc)
        return None
