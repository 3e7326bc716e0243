"""Run a PP-OCR recogniser's ONNX graph in PyTorch, train its weights, write them back.

onnx2torch would be the usual converter, but it imports torchvision at import time and
no CPU torchvision build matching the project's torch (2.13.0+cpu) is installable here
(the PyPI torchvision wheel links CUDA libraries and fails to load). The recogniser's
graph uses only 25 plain operators, so it is interpreted node by node instead: every
float weight (the paddle2onnx export stores them as `Constant` nodes) becomes an
`nn.Parameter`, the graph runs in topological order on torch tensors, and
`save_onnx` copies the trained values back into the *original* graph. The exported file
therefore keeps exactly the input/output layout and `character` metadata of the
source model, and nothing but the weight values changes.

BatchNormalization always runs with its stored statistics (inference mode): with
batches of a few dozen plate lines, re-estimating them would only add noise and
forget what the model learnt from millions of text lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

_TORCH_DTYPES = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxGraphModule(nn.Module):
    """A PP-OCR rec ONNX graph as a trainable torch module (output: softmax [B,T,C])."""

    def __init__(self, model: onnx.ModelProto, min_param_size: int = 2) -> None:
        super().__init__()
        if model.graph.initializer:
            raise ValueError("expected weights in Constant nodes (paddle2onnx export), found initializers")
        self.model = model
        self.input_name = model.graph.input[0].name
        self.output_name = model.graph.output[0].name
        self.params = nn.ParameterDict()
        self.frozen: dict[str, torch.Tensor] = {}
        bn_stats = {n.input[3] for n in model.graph.node if n.op_type == "BatchNormalization"} | {
            n.input[4] for n in model.graph.node if n.op_type == "BatchNormalization"
        }
        self.nodes: list[tuple[onnx.NodeProto, dict]] = []
        for node in model.graph.node:
            if node.op_type == "Constant":
                arr = numpy_helper.to_array(node.attribute[0].t)
                name = node.output[0]
                if arr.dtype == np.float32 and arr.size >= min_param_size and name not in bn_stats:
                    self.params[self._key(name)] = nn.Parameter(torch.from_numpy(arr.copy()))
                else:
                    self.frozen[name] = torch.from_numpy(np.array(arr))
            else:
                self.nodes.append((node, _attrs(node)))
        last = self.nodes[-1][0]
        self.logits_name = last.input[0] if last.op_type == "Softmax" else None

    @staticmethod
    def _key(name: str) -> str:
        return name.replace(".", "__")

    @classmethod
    def load(cls, path: Path) -> OnnxGraphModule:
        return cls(onnx.load(str(path)))

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        """Softmax posteriors [B,T,C] as the ONNX model gives them, or the logits
        before the final softmax (for a numerically sound CTC loss)."""
        env: dict[str, torch.Tensor] = dict(self.frozen)
        for key, p in self.params.items():
            env[key.replace("__", ".")] = p
        env[self.input_name] = x
        want = self.logits_name if logits and self.logits_name else self.output_name
        for node, attrs in self.nodes:
            ins = [env[i] if i else None for i in node.input]
            env[node.output[0]] = _run(node.op_type, ins, attrs)
            if node.output[0] == want:
                return env[want]
        return env[want]

    def save_onnx(self, path: Path) -> None:
        """The source graph with this module's current weights (layout unchanged)."""
        out = onnx.ModelProto()
        out.CopyFrom(self.model)
        for node in out.graph.node:
            if node.op_type == "Constant" and self._key(node.output[0]) in self.params:
                arr = self.params[self._key(node.output[0])].detach().cpu().numpy().astype(np.float32)
                node.attribute[0].t.CopyFrom(numpy_helper.from_array(arr, node.output[0]))
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(out, str(path))


def _ints(t: torch.Tensor | None) -> list[int]:
    return [] if t is None else [int(v) for v in t.reshape(-1).tolist()]


def _slice(x: torch.Tensor, starts, ends, axes, steps) -> torch.Tensor:
    starts, ends = _ints(starts), _ints(ends)
    axes = _ints(axes) or list(range(len(starts)))
    steps = _ints(steps) or [1] * len(starts)
    idx: list[slice] = [slice(None)] * x.dim()
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        n = x.shape[a]
        s = max(0, min(n, s + n if s < 0 else s))
        e = max(0, min(n, e + n if e < 0 else e))
        idx[a] = slice(s, e, st)
    return x[tuple(idx)]


def _reshape(x: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    dims = [x.shape[i] if d == 0 else d for i, d in enumerate(_ints(shape))]
    return x.reshape(dims)


def _run(op: str, ins: list, a: dict) -> torch.Tensor:
    x = ins[0]
    if op == "Conv":
        pads = a.get("pads", [0, 0, 0, 0])
        if pads[:2] != pads[2:]:
            raise NotImplementedError(f"asymmetric Conv pads {pads}")
        return F.conv2d(
            x,
            ins[1],
            ins[2] if len(ins) > 2 else None,
            a.get("strides", 1),
            pads[:2],
            a.get("dilations", 1),
            a.get("group", 1),
        )
    if op == "BatchNormalization":
        return F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
    simple = {
        "Add": torch.add,
        "Sub": torch.sub,
        "Mul": torch.mul,
        "Div": torch.div,
        "Pow": torch.pow,
        "MatMul": torch.matmul,
    }
    if op in simple:
        return simple[op](x, ins[1])
    if op == "Sqrt":
        return torch.sqrt(x)
    if op == "Sigmoid":
        return torch.sigmoid(x)
    if op == "Relu":
        return F.relu(x)
    if op == "HardSigmoid":
        return torch.clamp(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0.0, 1.0)
    if op == "Clip":
        lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else None
        hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else None
        return torch.clamp(x, lo, hi)
    if op == "Softmax":
        return torch.softmax(x, a.get("axis", -1))
    if op == "ReduceMean":
        return x.mean(dim=a["axes"], keepdim=bool(a.get("keepdims", 1)))
    if op == "GlobalAveragePool":
        return x.mean(dim=(2, 3), keepdim=True)
    if op == "AveragePool":
        pads = a.get("pads", [0, 0, 0, 0])
        return F.avg_pool2d(
            x,
            a["kernel_shape"],
            a.get("strides"),
            pads[:2],
            bool(a.get("ceil_mode", 0)),
            bool(a.get("count_include_pad", 0)),
        )
    if op == "Transpose":
        return x.permute(*a["perm"])
    if op == "Concat":
        return torch.cat(ins, a["axis"])
    if op == "Squeeze":
        return x.squeeze(tuple(a["axes"])) if "axes" in a else x.squeeze()
    if op == "Reshape":
        return _reshape(x, ins[1])
    if op == "Shape":
        return torch.tensor(list(x.shape), dtype=torch.int64)
    if op == "Cast":
        return x.to(_TORCH_DTYPES[a["to"]])
    if op == "Slice":
        return _slice(x, *(ins[1:] + [None] * (5 - len(ins))))
    raise NotImplementedError(f"ONNX operator {op} not supported")
