"""Preparing the Moonshine speech model for onnxruntime, once, when it is installed.

Moonshine AI ships its English base model (MIT) inside the PyPI wheel `moonshine-cpp` as ORT
format files whose int8 weights are turned back into floats by Cast -> Mul -> Add nodes on
every call: 115 ms a decoder step here. This rewrites each such weight where a MatMul uses it
(directly or transposed, as the output layer does) into one `DynamicQuantizeMatMul` on the
same int8 values with the same scale and zero point, so the weights stay int8 in memory (15 ms
a step, about 60 MB); the embedding lookup gathers int8 rows and scales only those. Weights
used any other way keep their nodes (onnxruntime folds them at load). Needs the `onnx`
package; the engine itself needs only onnxruntime.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import AgentError

FILES = {"encoder_model.ort": "encoder.onnx", "decoder_model_merged.ort": "decoder.onnx"}
TOKENS = "tokenizer.bin"

Graph = Any  # onnx.GraphProto: the protobuf classes are untyped
Node = Any  # onnx.NodeProto


class PrepareError(AgentError):
    exit_code = 5  # as the download it is part of


def prepare(src: Path, dest: Path) -> None:
    """Write encoder.onnx, decoder.onnx and tokenizer.bin into `dest` from the ORT files
    in `src`."""
    import onnx
    import onnxruntime as ort

    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".prepare-") as tmp:
        for name, out in FILES.items():
            raw = Path(tmp) / out
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            options.optimized_model_filepath = str(raw)  # ORT format in, ONNX out
            try:
                ort.InferenceSession(str(src / name), options, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise PrepareError(f"cannot read {src / name}: {exc}") from None
            model = onnx.load(str(raw))
            for i, sub in enumerate(_subgraphs(model.graph)):
                sub.name = sub.name or f"branch_{i}"  # ORT leaves If branches unnamed
            Rewrite(model.graph).run()
            onnx.save(model, str(raw))
            raw.replace(dest / out)
    if (src / TOKENS).resolve() != (dest / TOKENS).resolve():
        shutil.copyfile(src / TOKENS, dest / TOKENS)


def _subgraphs(graph: Graph) -> Iterator[Graph]:
    for node in graph.node:
        for attr in node.attribute:
            if attr.g.node:
                yield attr.g
                yield from _subgraphs(attr.g)


def _replace(graph: Graph, old: Node, new: list[Node]) -> None:
    at = list(graph.node).index(old)
    del graph.node[at]
    for k, node in enumerate(new):
        graph.node.insert(at + k, node)


@dataclass
class Dequantized:
    """An int8 initializer and the Cast -> Mul(scale) -> Add(offset) nodes that make its
    float weight: weight = (q - zero) * scale."""

    q: Any  # onnx.TensorProto
    nodes: tuple[Node, Node, Node]
    scale: float
    zero: int

    @property
    def weight(self) -> str:
        return str(self.nodes[2].output[0])


class Rewrite:
    def __init__(self, main: Graph) -> None:
        self.main = main
        self.graphs = [main, *_subgraphs(main)]
        self.inits = {t.name: t for t in main.initializer}
        self.users: dict[str, list[tuple[Graph, Node]]] = {}
        for g in self.graphs:
            for node in g.node:
                for name in node.input:
                    self.users.setdefault(name, []).append((g, node))
        self.fresh = count()

    def run(self) -> None:
        import onnx

        for tensor in list(self.main.initializer):
            if tensor.data_type == onnx.TensorProto.INT8 and (d := self._chain(tensor)):
                self._rewrite(d)
        used = {name for g in self.graphs for node in g.node for name in node.input}
        kept = [t for t in self.main.initializer if t.name in used]
        del self.main.initializer[:]
        self.main.initializer.extend(kept)

    def _only(self, name: str, op: str) -> Node | None:
        found = self.users.get(name, [])
        return found[0][1] if len(found) == 1 and found[0][1].op_type == op else None

    def _value(self, name: str) -> float | None:
        from onnx import numpy_helper

        if name not in self.inits:
            return None
        array = numpy_helper.to_array(self.inits[name])
        return float(array.item()) if array.size == 1 else None

    def _chain(self, tensor: Any) -> Dequantized | None:
        cast = self._only(tensor.name, "Cast")
        mul = self._only(cast.output[0], "Mul") if cast is not None else None
        add = self._only(mul.output[0], "Add") if mul is not None else None
        if add is None or mul is None:
            return None
        scale, offset = self._value(mul.input[1]), self._value(add.input[1])
        if scale is None or offset is None or scale == 0.0:
            return None
        zero = round(-offset / scale)
        if not -128 <= zero <= 127 or abs(zero * scale + offset) > 1e-4 * abs(offset) + 1e-12:
            return None  # not exactly an int8 zero point: leave it as it is
        return Dequantized(tensor, (cast, mul, add), scale, zero)

    def _plan(self, d: Dequantized) -> list[tuple[Graph, Node]] | None:
        """Every use of the weight, if each is one we rewrite."""
        uses = self.users.get(d.weight, [])
        for _, node in uses:
            if node.op_type == "Transpose":
                perm = [list(a.ints) for a in node.attribute if a.name == "perm"]
                matmuls = all(
                    u.op_type == "MatMul" and u.input[1] == node.output[0]
                    for _, u in self.users.get(node.output[0], [])
                )
                if perm not in ([], [[1, 0]]) or not matmuls:
                    return None
            elif not (
                (node.op_type == "MatMul" and node.input[1] == d.weight)
                or (node.op_type == "Gather" and node.input[0] == d.weight)
            ):
                return None
        return uses or None

    def _rewrite(self, d: Dequantized) -> None:
        from onnx import helper, numpy_helper

        uses = self._plan(d)
        if uses is None:
            return
        q, scale, zero = d.q.name, f"{d.q.name}_scale", f"{d.q.name}_zero"
        self.main.initializer.append(numpy_helper.from_array(np.array(d.scale, np.float32), scale))
        self.main.initializer.append(numpy_helper.from_array(np.array(d.zero, np.int8), zero))
        for g, node in uses:
            if node.op_type == "MatMul":
                _replace(g, node, [self._matmul(node, q, scale, zero)])
            elif node.op_type == "Transpose":
                flipped = f"{q}_t"
                if flipped not in self.inits:
                    array = np.ascontiguousarray(numpy_helper.to_array(d.q).T)
                    self.inits[flipped] = numpy_helper.from_array(array, flipped)
                    self.main.initializer.append(self.inits[flipped])
                for ug, u in self.users.get(node.output[0], []):
                    if ug is g:  # each branch has its own transpose of the same name
                        _replace(ug, u, [self._matmul(u, flipped, scale, zero)])
                _replace(g, node, [])
            else:  # Gather: the int8 rows, then scale and offset only those
                k = next(self.fresh)
                _, mul, add = d.nodes
                attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                rows, floats, scaled = f"gq_{k}", f"gf_{k}", f"gs_{k}"
                _replace(g, node, [
                    helper.make_node("Gather", [q, node.input[1]], [rows], f"gather_{k}", **attrs),
                    helper.make_node("Cast", [rows], [floats], f"cast_{k}", to=1),  # to float
                    helper.make_node("Mul", [floats, mul.input[1]], [scaled], f"mul_{k}"),
                    helper.make_node("Add", [scaled, add.input[1]], list(node.output), f"add_{k}"),
                ])  # fmt: skip
        for node in d.nodes:
            _replace(self.main, node, [])

    def _matmul(self, node: Node, q: str, scale: str, zero: str) -> Node:
        from onnx import helper

        return helper.make_node(
            "DynamicQuantizeMatMul",
            [node.input[0], q, scale, zero],
            list(node.output),
            name=f"dqmm_{next(self.fresh)}",
            domain="com.microsoft",
        )
