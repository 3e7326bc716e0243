"""Load-time rewrite of per-channel PRelu into operators onnxruntime keeps in its
NCHWc layout.

On x86 onnxruntime's "all" optimisation level runs convolutions in a blocked channel
layout (NCHWc). PRelu has no NCHWc kernel, so a network made of Conv -> PRelu
blocks (SFace, MobileFaceNet-style: 27 of them) gets a layout reorder on both sides
of every PRelu: 53 reorders per run, measured as more than half of SFace's time on
one thread. The rewrite spells PRelu with a per-channel slope s as

    PRelu(x) = s * x + (1 - s) * Relu(x)

with both products as 1x1 depthwise convolutions (per-channel weights, no padding)
and the sum as an Add, all of which onnxruntime keeps in NCHWc and fuses (the Add
becomes the second convolution's fused sum). It holds for any slope (SFace's go
from -0.8 to 1.1, so `max(x, s * x)` would not). Outputs equal the original to float
rounding (~1e-6).

ARM builds of onnxruntime (the Raspberry Pi, a Jetson on CPU) have no NCHWc layout:
there the rewrite would replace one pass with three, so `SessionFactory` applies it
only on x86 (`fusion_process.nchwc_layout_expected`)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _slope(name: str, consts: dict[str, np.ndarray]) -> np.ndarray | None:
    """Per-channel slope [C] of a PRelu whose slope is a constant of shape [C,1,1] (or [C])."""
    value = consts.get(name)
    if value is None or value.dtype != np.float32 or value.size < 2:
        return None
    if (value.ndim == 3 and value.shape[1:] == (1, 1)) or value.ndim == 1:
        return value.reshape(-1)
    return None


def rewrite_prelu(model: onnx.ModelProto) -> int:
    """Replace every per-channel constant-slope PRelu of `model` in place; returns
    how many were rewritten. Scalar slopes and graph-input slopes are left alone."""
    graph = model.graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    count = 0
    for node in graph.node:
        slope = _slope(node.input[1], consts) if node.op_type == "PRelu" else None
        if slope is None:
            nodes.append(node)
            continue
        channels, x, y = len(slope), node.input[0], node.output[0]
        w_linear, w_relu = f"{y}__prelu_s", f"{y}__prelu_1ms"
        graph.initializer.extend(
            [
                numpy_helper.from_array(slope.reshape(channels, 1, 1, 1).astype(np.float32), w_linear),
                numpy_helper.from_array((1 - slope).reshape(channels, 1, 1, 1).astype(np.float32), w_relu),
            ]
        )
        dw = {"group": channels, "kernel_shape": [1, 1]}
        nodes += [
            helper.make_node("Conv", [x, w_linear], [f"{y}__prelu_lin"], **dw),
            helper.make_node("Relu", [x], [f"{y}__prelu_pos"]),
            helper.make_node("Conv", [f"{y}__prelu_pos", w_relu], [f"{y}__prelu_rel"], **dw),
            helper.make_node("Add", [f"{y}__prelu_rel", f"{y}__prelu_lin"], [y]),
        ]
        count += 1
    if count:
        del graph.node[:]
        graph.node.extend(nodes)
        used = {i for n in nodes for i in n.input}
        keep = [t for t in graph.initializer if t.name in used]
        del graph.initializer[:]
        graph.initializer.extend(keep)
    return count
