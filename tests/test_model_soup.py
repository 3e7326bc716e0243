"""`models/train/soup.py` averages the weights of fine-tunes of one source graph and
refuses models that do not share it; the averaged model runs in onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from models.train.soup import soup


def _affine(weight: np.ndarray, bias: np.ndarray, *, op: str = "Add") -> onnx.ModelProto:
    """y = x @ weight (+|*) bias, weights stored as Constant nodes like paddle2onnx does."""
    nodes = [
        helper.make_node("Constant", [], ["w"], value=numpy_helper.from_array(weight, "w")),
        helper.make_node("Constant", [], ["b"], value=numpy_helper.from_array(bias, "b")),
        helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1, 2]), "shape")),
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node(op, ["xw", "b"], ["pre"]),
        helper.make_node("Reshape", ["pre", "shape"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(model, {"character": "0\n1"})
    return model


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_differing_weights_are_averaged_and_the_rest_kept():
    bias = np.array([0.5, -0.5], np.float32)
    a = _affine(np.eye(2, dtype=np.float32), bias)
    b = _affine(np.array([[3, 0], [2, 1]], np.float32), bias)
    c = _affine(np.array([[0, 3], [1, 2]], np.float32), bias)

    out, averaged = soup([a, b, c])

    assert averaged == 1  # only the matrix differs; the bias and the shape are left as they are
    x = np.array([[1.0, 2.0]], np.float32)
    mean_weight = np.array([[4 / 3, 1], [1, 4 / 3]], np.float32)
    np.testing.assert_allclose(_run(out, x), x @ mean_weight + bias, rtol=1e-6)
    assert out.metadata_props == a.metadata_props
    # the inputs are not modified
    np.testing.assert_array_equal(numpy_helper.to_array(b.graph.node[0].attribute[0].t), [[3, 0], [2, 1]])


def test_a_model_averaged_with_itself_is_unchanged():
    a = _affine(np.array([[1, 2], [3, 4]], np.float32), np.zeros(2, np.float32))
    out, averaged = soup([a, a])
    assert averaged == 0
    assert out.SerializeToString() == a.SerializeToString()


def test_models_of_different_graphs_are_refused():
    weight, bias = np.eye(2, dtype=np.float32), np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="same source"):
        soup([_affine(weight, bias), _affine(weight, bias, op="Mul")])
    other_charset = _affine(weight, bias)
    helper.set_model_props(other_charset, {"character": "A\nB"})
    with pytest.raises(ValueError, match="same source"):
        soup([_affine(weight, bias), other_charset])


def _normalised(mean: float) -> onnx.ModelProto:
    """y = BatchNorm(x) with the given running mean (scale 1, bias 0, variance 1)."""
    consts = {
        "scale": np.ones(2, np.float32),
        "bias": np.zeros(2, np.float32),
        "mean": np.full(2, mean, np.float32),
        "var": np.ones(2, np.float32),
    }
    nodes = [
        helper.make_node("Constant", [], [k], value=numpy_helper.from_array(v, k)) for k, v in consts.items()
    ]
    nodes.append(helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"]))
    graph = helper.make_graph(
        nodes,
        "bn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 1, 1])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_models_with_different_batchnorm_statistics_are_refused():
    assert soup([_normalised(0.0), _normalised(0.0)])[1] == 0
    with pytest.raises(ValueError, match="BatchNorm statistics mean differ"):
        soup([_normalised(0.0), _normalised(1.0)])
