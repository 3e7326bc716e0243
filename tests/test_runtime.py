"""onnxruntime session factory and plug-in registry, on a real (tiny) ONNX graph built
with the `onnx` package."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, save_model
from pydantic import ValidationError

from edge.vision.plugins import Detection, Detector, PluginRegistry, TextRecognizer, UnknownBackendError
from edge.vision.runtime import (
    MallocTrimmer,
    ModelLoadError,
    SessionFactory,
    choose_providers,
    has_dynamic_input,
    model_metadata,
    tune_malloc,
)
from firmware_config.inference import InferenceConfig


@pytest.fixture
def add_one_model(tmp_path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "add1", [x], [y], [one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"character": "a\nb"})
    path = tmp_path / "add1.onnx"
    save_model(model, str(path))
    return path


def test_choose_providers_falls_back_to_cpu_and_logs(caplog):
    with caplog.at_level(logging.WARNING, logger="edge.vision.runtime"):
        chosen = choose_providers(["tensorrt", "cuda"], ["CPUExecutionProvider"])
    assert chosen == ["CPUExecutionProvider"]
    assert "TensorrtExecutionProvider requested but not installed" in caplog.text
    assert "CUDAExecutionProvider requested but not installed" in caplog.text


def test_choose_providers_keeps_order_of_installed():
    available = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers(["cuda", "tensorrt", "cpu"], available) == [
        "CUDAExecutionProvider",
        "TensorrtExecutionProvider",
        "CPUExecutionProvider",
    ]


def test_session_runs_model_with_configured_threads(add_one_model):
    factory = SessionFactory(InferenceConfig(providers=["cuda", "cpu"], intra_op_threads=1))
    session = factory.create(add_one_model)
    out = session.run(None, {"x": np.zeros((2, 3), np.float32)})[0]
    assert out.tolist() == [[1.0, 1.0, 1.0]] * 2
    assert session.get_providers()[0] == "CPUExecutionProvider"
    assert factory.session_options().intra_op_num_threads == 1
    assert model_metadata(session)["character"] == "a\nb"


def test_missing_and_corrupt_models_raise_typed_error(tmp_path):
    factory = SessionFactory()
    with pytest.raises(ModelLoadError, match="file not found"):
        factory.create(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError) as err:
        factory.create(bad)
    assert err.value.path == bad


def test_inference_config_is_strict():
    with pytest.raises(ValidationError):
        InferenceConfig(providers=["openvino"])
    with pytest.raises(ValidationError):
        InferenceConfig(threads=2)


class _Constant(Detector):
    type_key = "constant"

    @classmethod
    def from_config(cls, config, sessions):
        return cls()

    def detect(self, image_bgr):
        h, w = image_bgr.shape[:2]
        return [Detection((0.0, 0.0, float(w), float(h)), 1.0, "all")]


def test_registry_builds_by_type_key_and_rejects_unknown():
    registry = PluginRegistry("detector", Detector)
    registry.add(_Constant)

    class Cfg:
        type = "constant"

    det = registry.create(Cfg(), SessionFactory())
    assert det.detect(np.zeros((4, 6, 3), np.uint8))[0].box == (0.0, 0.0, 6.0, 4.0)
    Cfg.type = "yolo"
    with pytest.raises(UnknownBackendError, match="known: constant"):
        registry.create(Cfg(), SessionFactory())
    with pytest.raises(TypeError):
        PluginRegistry("recognizer", TextRecognizer).add(_Constant)  # type: ignore[arg-type]


@pytest.fixture
def variable_width_model(tmp_path: Path) -> Path:
    """Like a text recogniser: the width of the input is only known at run time."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3, "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3, "w"])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "relu.onnx"
    save_model(model, str(path))
    return path


def test_variable_shape_models_run_without_arena(add_one_model, variable_width_model):
    factory = SessionFactory(InferenceConfig(arena_for_dynamic_shapes=False))
    fixed = factory.create(add_one_model)  # only the batch dimension is symbolic
    varying = factory.create(variable_width_model)
    assert not has_dynamic_input(fixed)
    assert has_dynamic_input(varying)
    assert fixed.get_session_options().enable_cpu_mem_arena
    assert fixed.get_session_options().enable_mem_pattern
    assert not varying.get_session_options().enable_cpu_mem_arena
    assert not varying.get_session_options().enable_mem_pattern
    for width in (5, 9, 2):
        out = varying.run(None, {"x": np.full((1, 3, width), -1.0, np.float32)})[0]
        assert out.shape == (1, 3, width) and not out.any()
    opted_in = SessionFactory(InferenceConfig()).create(variable_width_model)  # the default
    assert opted_in.get_session_options().enable_cpu_mem_arena


def test_malloc_tuning_and_trimming_call_glibc():
    assert not tune_malloc(0, 0)  # nothing asked, nothing changed
    assert tune_malloc(2, 0)  # glibc accepts a process-wide arena limit
    trimmer = MallocTrimmer(1.0)
    trimmer.maybe_trim(100.0)
    trimmer.maybe_trim(100.5)  # not due yet
    trimmer.maybe_trim(101.0)
    assert trimmer.trims == 2
    never = MallocTrimmer(0)
    never.maybe_trim(100.0)
    assert never.trims == 0


def test_graph_fusion_keeps_the_recogniser_outputs_and_leaves_other_models_alone(plates_dir):
    """The load-time rewrites are exact algebra: the real PP-OCR recogniser gives the
    same posteriors (to float rounding, < 1e-3 in probability) on real plate line crops, fused or not."""
    import csv

    import cv2
    import onnx

    from edge.vision.graph_fusion import fuse_for_cpu
    from edge.vision.plates.ctc import CtcRecognizer
    from edge.vision.plates.lines import layout_options, split_lines
    from firmware_config.plates import CtcRecognizerConfig
    from models.manifest import resolve_model

    fused = CtcRecognizer.from_config(CtcRecognizerConfig(), SessionFactory())
    plain = CtcRecognizer.from_config(
        CtcRecognizerConfig(), SessionFactory(InferenceConfig(fuse_graphs=False))
    )
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[::25]
    lines = []
    for row in rows:
        crop = cv2.imread(str(plates_dir / "ocr" / row["file"]))
        lines += split_lines(crop, layout_options(crop, 2.6)[0])
    a, b = fused.posteriors(lines), plain.posteriors(lines)
    assert a.shape == b.shape and float(np.abs(a - b).max()) < 1e-3  # probabilities; rounding only
    assert [r.text for r in fused.read(lines)] == [r.text for r in plain.read(lines)]

    model = onnx.load(str(resolve_model(CtcRecognizerConfig().model)))
    report = fuse_for_cpu(model)
    assert report.hardswish > 0 and report.conv_affine > 0 and report.affine_as_conv > 0
    assert not any(n.op_type == "Clip" for n in model.graph.node)  # every hard-swish was fused
    onnx.checker.check_model(model)
    detector = onnx.load(str(resolve_model("plate_det_416")))
    assert fuse_for_cpu(detector).total == 0


_LOAD_IN_FRESH_PROCESS = """
import json, sys, tempfile
import numpy as np
from edge.vision.runtime import SessionFactory
from models.manifest import resolve_model

tempfile.tempdir = sys.argv[1]
session = SessionFactory().create(resolve_model("ppocr_v4_rec_plate_vn"))
x = np.random.default_rng(7).random((2, 3, 48, 160), dtype=np.float32)
np.save(sys.argv[2], session.run(None, {session.get_inputs()[0].name: x})[0])
print(json.dumps({"onnx_imported": "onnx" in sys.modules}))
"""


def test_recogniser_is_fused_without_onnx_in_the_daemon_process(tmp_path):
    """Fusion runs in a child process: a fresh process that loads the recogniser
    with fusion on gets exactly the fused graph's outputs, yet never imports `onnx`
    (which, with the parse of the model, kept the camera role ~15 MB higher), and the
    temporary fused file is gone once the session exists."""
    import json
    import subprocess
    import sys

    import onnx
    import onnxruntime as ort

    from edge.vision.graph_fusion import fuse_for_cpu
    from models.manifest import resolve_model

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_FRESH_PROCESS, str(scratch), str(tmp_path / "out.npy")],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"onnx_imported": False}
    assert list(scratch.iterdir()) == []

    model = onnx.load(str(resolve_model("ppocr_v4_rec_plate_vn")))
    assert fuse_for_cpu(model).total > 0
    factory = SessionFactory()
    fused = ort.InferenceSession(
        model.SerializeToString(), factory.session_options(), providers=["CPUExecutionProvider"]
    )
    x = np.random.default_rng(7).random((2, 3, 48, 160), dtype=np.float32)
    expected = fused.run(None, {fused.get_inputs()[0].name: x})[0]
    assert np.array_equal(np.load(tmp_path / "out.npy"), expected)


def test_a_model_fusion_cannot_read_is_a_model_load_error(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="fusion process exited") as err:
        SessionFactory().create(broken)
    assert err.value.path == broken


def test_factory_sets_opencv_threads_process_wide():
    import cv2

    before = cv2.getNumThreads()
    try:
        SessionFactory(InferenceConfig(opencv_threads=1))
        assert cv2.getNumThreads() == 1
        cv2.setNumThreads(3)
        SessionFactory(InferenceConfig(opencv_threads=0))  # 0 leaves OpenCV's setting alone
        assert cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(before)


def test_sessions_share_one_environment_arena_by_default(add_one_model):
    factory = SessionFactory()
    assert factory.shared_arena
    opts = factory.session_options()
    assert opts.get_session_config_entry("session.use_env_allocators") == "1"
    a, b = factory.create(add_one_model), factory.create(add_one_model)
    x = np.ones((2, 3), np.float32)
    assert a.run(None, {"x": x})[0].tolist() == b.run(None, {"x": x})[0].tolist() == [[2.0] * 3] * 2
    own = SessionFactory(InferenceConfig(shared_arena=False)).session_options()
    with pytest.raises(RuntimeError):  # the entry is simply not set
        own.get_session_config_entry("session.use_env_allocators")
