"""Load-time graph rewrites that onnxruntime's own optimiser does not do.

PP-OCR recognisers (PP-LCNetV3 backbone) are exported by paddle2onnx with every
hard-swish spelled out as `x * Clip(x + 3, 0, 6) / 6` and every "learnable affine
block" as a scalar `Mul` + `Add` after each convolution and each activation.
onnxruntime fuses neither, so a recogniser run spends a third of its time in
these element-wise passes over large activations, plus NCHWc layout reorders
around them (onnxruntime profile of `ppocr_v4_rec_plate`, 2 x 136 px lines: Conv
56 %, Mul/Add/Div/Clip 33 %, ReorderInput/Output 8 %).

Each rewrite is exact algebra (same function; float rounding only):

* `Conv -> Mul(k) -> Add(b)` with scalar k, b: the scale and shift go into the
  convolution's weights and bias;
* `x * Clip(x + 3, 0, 6) / 6` becomes `x * HardSigmoid(x; 1/6, 1/2)`;
* `Mul(k) -> Add(b) -> Conv` with scalar k, b and an unpadded convolution: the
  affine goes into that convolution (with padding the border would differ);
* the affine left in front of a padded convolution becomes a 1x1 depthwise
  convolution, which onnxruntime keeps in its NCHWc layout: the layout reorders on
  both sides of the scalar `Mul`/`Add` disappear (outputs bit-identical; ~10 %
  faster in alternating rounds).

On x86, per-channel PRelu (SFace) is also rewritten to stay in NCHWc
(`edge.vision.graph_prelu`).

The rewrite runs on the model bytes before the session is created; files on disk
and their pinned sha256 are untouched. Models without these patterns (the YOLO
detector, BlazeFace) come out unchanged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edge.vision.graph_prelu import rewrite_prelu


@dataclass
class FusionReport:
    conv_affine: int = 0
    hardswish: int = 0
    affine_into_conv: int = 0
    affine_as_conv: int = 0
    prelu: int = 0

    @property
    def total(self) -> int:
        return self.conv_affine + self.hardswish + self.affine_into_conv + self.affine_as_conv + self.prelu


class _Graph:
    """Name-level view of an ONNX graph: producers, consumers and constant values."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.inits = {i.name: i for i in graph.initializer}
        self.consts: dict[str, np.ndarray] = {n: numpy_helper.to_array(t) for n, t in self.inits.items()}
        for node in graph.node:
            if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        self.outputs = {o.name for o in graph.output}
        self.removed: set[int] = set()
        self.reindex()

    def reindex(self) -> None:
        self.nodes = [n for i, n in enumerate(self.graph.node) if id(n) not in self.removed]
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.uses: Counter[str] = Counter(i for n in self.nodes for i in n.input)

    def scalar(self, name: str) -> float | None:
        value = self.consts.get(name)
        if value is None or value.size != 1 or value.dtype != np.float32:
            return None
        return float(value.reshape(()))

    def only_consumer(self, name: str, op: str) -> onnx.NodeProto | None:
        """The single node reading `name`, if it has type `op` (and `name` is not a graph output)."""
        if self.uses[name] != 1 or name in self.outputs:
            return None
        node = self.consumers[name][0]
        return node if node.op_type == op else None

    def scalar_operand(self, node: onnx.NodeProto, data: str) -> float | None:
        """The constant scalar of a binary Mul/Add/Div whose other input is `data`."""
        if len(node.input) != 2 or data not in node.input:
            return None
        other = node.input[1] if node.input[0] == data else node.input[0]
        if node.op_type == "Div" and node.input[0] != data:
            return None
        return self.scalar(other)

    def set_initializer(self, name: str, value: np.ndarray) -> str:
        new = f"{name}__fused{len(self.graph.initializer)}"
        self.graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), new))
        self.consts[new] = value
        return new

    def drop(self, *nodes: onnx.NodeProto) -> None:
        self.removed.update(id(n) for n in nodes)

    def commit(self) -> None:
        keep = [n for n in self.graph.node if id(n) not in self.removed]
        del self.graph.node[:]
        self.graph.node.extend(keep)
        self.removed.clear()
        self.reindex()


def _conv_params(g: _Graph, conv: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray] | None:
    if len(conv.input) < 2 or conv.input[1] not in g.consts:
        return None
    w = g.consts[conv.input[1]]
    b = (
        g.consts.get(conv.input[2])
        if len(conv.input) > 2 and conv.input[2]
        else np.zeros(w.shape[0], w.dtype)
    )
    if b is None or w.dtype != np.float32:
        return None
    return w, b


def _live(g: _Graph, op: str) -> Iterator[onnx.NodeProto]:
    """Nodes of type `op`, skipping those a rewrite earlier in the same pass removed."""
    for node in list(g.nodes):
        if node.op_type == op and id(node) not in g.removed:
            yield node


def _rewire_conv(g: _Graph, conv: onnx.NodeProto, data: str, w: np.ndarray, b: np.ndarray) -> None:
    """Point `conv` at `data` with new weights and bias (old initializers are dropped
    later if nothing else uses them)."""
    w_name, b_name = g.set_initializer(conv.input[1], w), g.set_initializer("conv_bias", b)
    del conv.input[:]
    conv.input.extend([data, w_name, b_name])


def _fold_conv_affine(g: _Graph) -> int:
    count = 0
    for conv in _live(g, "Conv"):
        params = _conv_params(g, conv)
        if params is None:
            continue
        w, b = params
        data_in = conv.input[0]
        out, chain = conv.output[0], []
        scale, shift = 1.0, 0.0
        while True:
            nxt = g.only_consumer(out, "Mul") or g.only_consumer(out, "Add")
            if nxt is None:
                break
            k = g.scalar_operand(nxt, out)
            if k is None:
                break
            if nxt.op_type == "Mul":
                scale, shift = scale * k, shift * k
            else:
                shift += k
            chain.append(nxt)
            out = nxt.output[0]
        if not chain:
            continue
        _rewire_conv(g, conv, data_in, w * np.float32(scale), b * np.float32(scale) + np.float32(shift))
        conv.output[0] = out
        g.drop(*chain)
        count += 1
    g.commit()
    return count


def _fuse_hardswish(g: _Graph) -> int:
    count = 0
    for add in _live(g, "Add"):
        x = next((i for i in add.input if g.scalar(i) is None), None)
        if x is None or g.scalar_operand(add, x) != 3.0:
            continue
        clip = g.only_consumer(add.output[0], "Clip")
        if clip is None or len(clip.input) != 3:
            continue
        if g.scalar(clip.input[1]) != 0.0 or g.scalar(clip.input[2]) != 6.0:
            continue
        mul = g.only_consumer(clip.output[0], "Mul")
        if mul is None or set(mul.input) != {x, clip.output[0]}:
            continue
        div = g.only_consumer(mul.output[0], "Div")
        if div is None or g.scalar_operand(div, mul.output[0]) != 6.0:
            continue
        gate = f"{div.output[0]}__hardsigmoid"
        hs = helper.make_node("HardSigmoid", [x], [gate], alpha=1.0 / 6.0, beta=0.5)
        product = helper.make_node("Mul", [x, gate], [div.output[0]])
        g.drop(add, clip, mul, div)
        position = list(g.graph.node).index(add)
        g.graph.node.insert(position, product)
        g.graph.node.insert(position, hs)
        count += 1
    g.commit()
    return count


@dataclass
class _Affine:
    """`data * k + shift` spelled as a scalar Mul followed by a scalar Add."""

    mul: onnx.NodeProto
    add: onnx.NodeProto
    data: str
    k: float
    shift: float


def _affines(g: _Graph) -> Iterator[_Affine]:
    for mul in _live(g, "Mul"):
        data = next((i for i in mul.input if g.scalar(i) is None), None)
        k = g.scalar_operand(mul, data) if data else None
        add = g.only_consumer(mul.output[0], "Add") if k is not None else None
        shift = g.scalar_operand(add, mul.output[0]) if add is not None else None
        if add is not None and shift is not None and data is not None and k is not None:
            yield _Affine(mul, add, data, k, shift)


def _fold_affine_into_conv(g: _Graph) -> int:
    count = 0
    for aff in _affines(g):
        mul, add, data, k, shift = aff.mul, aff.add, aff.data, aff.k, aff.shift
        conv = g.only_consumer(add.output[0], "Conv")
        params = _conv_params(g, conv) if conv is not None else None
        if conv is None or params is None or conv.input[0] != add.output[0]:
            continue
        pads = next((list(a.ints) for a in conv.attribute if a.name == "pads"), [0])
        auto_pad = next((a.s for a in conv.attribute if a.name == "auto_pad"), b"NOTSET")
        if any(pads) or auto_pad not in (b"NOTSET", b"VALID"):
            continue
        w, b = params
        _rewire_conv(
            g, conv, data, w * np.float32(k), b + np.float32(shift) * w.reshape(w.shape[0], -1).sum(1)
        )
        g.drop(mul, add)
        count += 1
    g.commit()
    return count


def _channels_upstream(g: _Graph, name: str, depth: int = 3) -> int | None:
    """Output channels of the convolution `name` comes from, through at most `depth`
    element-wise nodes (the hard-swish between a convolution and its affine)."""
    node = g.producer.get(name)
    for _ in range(depth):
        if node is None:
            return None
        if node.op_type == "Conv" and node.input[1] in g.consts:
            return int(g.consts[node.input[1]].shape[0])
        if node.op_type not in ("Mul", "HardSigmoid", "Add"):
            return None
        node = next((g.producer.get(i) for i in node.input if i in g.producer), None)
    return None


def _affine_as_depthwise_conv(g: _Graph) -> int:
    """`Mul(k) -> Add(b)` left in front of a padded convolution becomes one 1x1
    depthwise convolution (weight k, bias b per channel): the same values, but a node
    onnxruntime's NCHWc layout keeps, so the layout reorders around it disappear."""
    count = 0
    for aff in _affines(g):
        mul, add, data, k, shift = aff.mul, aff.add, aff.data, aff.k, aff.shift
        if g.only_consumer(add.output[0], "Conv") is None:
            continue
        channels = _channels_upstream(g, data)
        if channels is None:
            continue
        w = g.set_initializer("affine_w", np.full((channels, 1, 1, 1), k, np.float32))
        b = g.set_initializer("affine_b", np.full(channels, shift, np.float32))
        conv = helper.make_node("Conv", [data, w, b], [add.output[0]], group=channels, kernel_shape=[1, 1])
        g.graph.node.insert(list(g.graph.node).index(mul), conv)
        g.drop(mul, add)
        count += 1
    g.commit()
    return count


def fuse_for_cpu(model: onnx.ModelProto, *, nchwc: bool = False) -> FusionReport:
    """Apply the rewrites in place; returns how many of each were made. `nchwc`: the
    runtime will lay convolutions out in NCHWc (x86, level "all"), so PRelu is
    rewritten to stay in it (`edge.vision.graph_prelu`)."""
    report = FusionReport(prelu=rewrite_prelu(model) if nchwc else 0)
    g = _Graph(model.graph)
    report.conv_affine = _fold_conv_affine(g)
    report.hardswish = _fuse_hardswish(g)
    report.affine_into_conv = _fold_affine_into_conv(g)
    report.affine_as_conv = _affine_as_depthwise_conv(g)
    if report.total:
        used = {i for n in model.graph.node for i in n.input} | g.outputs
        nodes = [n for n in model.graph.node if n.op_type != "Constant" or n.output[0] in used]
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        keep = [t for t in model.graph.initializer if t.name in used]
        del model.graph.initializer[:]
        model.graph.initializer.extend(keep)
    return report
