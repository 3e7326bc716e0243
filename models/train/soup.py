"""Average the weights of recognisers fine-tuned from one source graph ("model soup").

    .venv/bin/python -m models.train.soup A.onnx B.onnx [C.onnx ...] --out SOUP.onnx

Fine-tuning runs that start from the same weights stay in one basin of the loss, and
the uniform average of their weights (Wortsman et al., "Model soups", 2022) tends to
read unseen data at least as well as the best single run, at no cost at inference:
the result is the same graph with other weight values, so the reader, the load-time
graph fusion and the manifest check treat it like any other fine-tuned recogniser.

Only weights that differ between the inputs are averaged; everything else (graph,
metadata, BatchNorm statistics, shape constants) must be identical, or the inputs did
not come from the same source graph and the tool refuses them."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def _constants(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    return [n for n in model.graph.node if n.op_type == "Constant"]


def _same_graph(a: onnx.ModelProto, b: onnx.ModelProto) -> bool:
    """Same nodes in the same order, ignoring the values of Constant tensors."""
    if len(a.graph.node) != len(b.graph.node) or a.metadata_props != b.metadata_props:
        return False
    for x, y in zip(a.graph.node, b.graph.node, strict=True):
        if (x.op_type, list(x.input), list(x.output)) != (y.op_type, list(y.input), list(y.output)):
            return False
    return True


def soup(models: list[onnx.ModelProto]) -> tuple[onnx.ModelProto, int]:
    """The first model with every float Constant that differs across `models` averaged.

    Returns the new model and how many tensors were averaged."""
    base = models[0]
    for other in models[1:]:
        if not _same_graph(base, other):
            raise ValueError("models do not share one graph: not fine-tuned from the same source")
    out = onnx.ModelProto()
    out.CopyFrom(base)
    averaged = 0
    bn_stats = {name for n in base.graph.node if n.op_type == "BatchNormalization" for name in n.input[3:5]}
    columns = [_constants(m) for m in models]
    for i, node in enumerate(_constants(out)):
        arrays = [numpy_helper.to_array(col[i].attribute[0].t) for col in columns]
        if all(np.array_equal(arrays[0], a) for a in arrays[1:]):
            continue
        if node.output[0] in bn_stats:
            # training here never updates them (models/train/onnx_graph.py); different
            # statistics mean the models were not fine-tuned from one source
            raise ValueError(f"BatchNorm statistics {node.output[0]} differ: not from the same source")
        if arrays[0].dtype != np.float32:
            raise ValueError(f"non-float constant {node.output[0]} differs between models")
        mean = np.mean(np.stack(arrays).astype(np.float64), axis=0).astype(np.float32)
        node.attribute[0].t.CopyFrom(numpy_helper.from_array(mean, node.attribute[0].t.name))
        averaged += 1
    return out, averaged


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", type=Path, nargs="+", help="ONNX recognisers fine-tuned from one source graph")
    ap.add_argument("--out", type=Path, required=True, help="where the averaged model is written")
    args = ap.parse_args()
    if len(args.models) < 2:
        ap.error("give at least two models")
    model, averaged = soup([onnx.load(str(p)) for p in args.models])
    onnx.save(model, str(args.out))
    print(f"wrote {args.out}: {averaged} weight tensors averaged over {len(args.models)} models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
