"""The load-time PRelu rewrite (edge/vision/graph_prelu.py) on the real SFace weights:
the same embeddings on real faces, no PRelu left, and on x86 onnxruntime then keeps
the network in its NCHWc layout (no reorder around each activation). On ARM it is
not applied."""

from __future__ import annotations

import collections
import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from edge.vision.faceid.sface import SFaceEmbedder
from edge.vision.fusion_process import nchwc_layout_expected
from edge.vision.graph_fusion import fuse_for_cpu
from edge.vision.graph_prelu import rewrite_prelu
from edge.vision.runtime import SessionFactory
from firmware_config.faceid import FaceVerifierConfig, SFaceConfig
from firmware_config.inference import InferenceConfig
from models.manifest import resolve_model
from tests.face_fixtures import astronaut, build_verifier, cameraman


def optimised_ops(model: onnx.ModelProto, tmp_path) -> collections.Counter:
    opts = ort.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    opts.log_severity_level = 3
    ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return collections.Counter(n.op_type for n in onnx.load(str(tmp_path / "optimised.onnx")).graph.node)


def test_rewritten_sface_gives_the_same_embeddings_on_real_faces() -> None:
    verifier = build_verifier()
    crops = []
    for image in (astronaut(), cameraman()):
        face = verifier.detect(image)[0]
        crops.append(verifier.embedder.crops(image, [face.keypoints[:5]])[0])  # type: ignore[attr-defined]
    crops = np.stack(crops)
    inference = FaceVerifierConfig().inference
    as_fetched = SessionFactory(inference.model_copy(update={"fuse_graphs": False}))
    rewritten = SFaceEmbedder(SessionFactory(inference).create(resolve_model("sface_2021dec")), SFaceConfig())
    plain = SFaceEmbedder(as_fetched.create(resolve_model("sface_2021dec")), SFaceConfig())
    a, b = rewritten.embed_crops(crops), plain.embed_crops(crops)
    assert float(np.min(np.sum(a * b, axis=1))) > 0.99999
    assert float(np.abs(a - b).max()) < 1e-4


def test_no_prelu_left_and_no_layout_reorders_on_x86(tmp_path) -> None:
    model = onnx.load(str(resolve_model("sface_2021dec")))
    before = optimised_ops(model, tmp_path)
    assert rewrite_prelu(model) == 27
    onnx.checker.check_model(model)
    assert not any(n.op_type == "PRelu" for n in model.graph.node)
    if not nchwc_layout_expected():
        pytest.skip("onnxruntime has no NCHWc layout on this CPU")
    after = optimised_ops(model, tmp_path)
    assert before["ReorderInput"] + before["ReorderOutput"] > 50  # one pair around every PRelu
    assert after["ReorderInput"] + after["ReorderOutput"] <= 2  # in at the input, out before the Gemm


def test_applied_only_where_onnxruntime_has_the_nchwc_layout() -> None:
    assert nchwc_layout_expected("x86_64") and nchwc_layout_expected("AMD64")
    assert not nchwc_layout_expected("aarch64") and not nchwc_layout_expected("armv7l")
    model = onnx.load(str(resolve_model("sface_2021dec")))
    assert fuse_for_cpu(model, nchwc=False).total == 0  # nothing else in SFace to fuse
    assert any(n.op_type == "PRelu" for n in model.graph.node)
    assert fuse_for_cpu(model, nchwc=True).prelu == 27
    detector = onnx.load(str(resolve_model("yunet_2023mar")))
    assert fuse_for_cpu(detector, nchwc=True).total == 0  # YuNet has no PRelu


def test_level_below_all_keeps_the_graph_as_fetched(caplog) -> None:
    """Without level "all" there is no NCHWc layout, so nothing is rewritten (the
    factory logs what it rewrote when a model loads)."""
    with caplog.at_level(logging.INFO, logger="edge.vision.runtime"):
        SessionFactory(InferenceConfig(graph_optimization="extended")).create(resolve_model("sface_2021dec"))
    assert "prelu " not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="edge.vision.runtime"):
        SessionFactory(InferenceConfig()).create(resolve_model("sface_2021dec"))
    assert ("prelu 27" in caplog.text) == nchwc_layout_expected()
