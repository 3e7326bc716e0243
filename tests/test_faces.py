"""Face detectors on a real photograph (scikit-image's astronaut, one face) through
the real ONNX models. Both backends must find the one face, agree on where it is,
and find nothing in a face-less image; CenterFace must also find the face when it
is small and far away in a 720p frame, which is what it is for."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from edge.vision.faces import register_face_backends
from edge.vision.faces.blazeface import blazeface_anchors
from edge.vision.faces.common import iou_matrix
from edge.vision.plugins import Detector, PluginRegistry
from edge.vision.runtime import SessionFactory
from firmware_config.vision import BlazeFaceConfig, CenterFaceConfig, VisionConfig
from models.manifest import resolve_model


@pytest.fixture(scope="module")
def detectors() -> dict[str, Detector]:
    for name in ("blazeface_front_128", "centerface"):
        if not resolve_model(name).is_file():
            pytest.fail(f"weights for {name} missing: run `python -m models.fetch` (scripts/setup.sh does)")
    registry: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    register_face_backends(registry)
    sessions = SessionFactory()
    return {
        "blazeface": registry.create(BlazeFaceConfig(type="blazeface"), sessions),
        "centerface": registry.create(CenterFaceConfig(type="centerface"), sessions),
    }


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)


def contains(box, point) -> bool:
    x1, y1, x2, y2 = box
    return x1 <= point[0] <= x2 and y1 <= point[1] <= y2


@pytest.mark.parametrize("backend", ["blazeface", "centerface"])
def test_finds_the_astronauts_face(detectors, astronaut, backend: str) -> None:
    faces = detectors[backend].detect(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert face.label == "face" and face.score > 0.8
    x1, y1, x2, y2 = face.box
    # the face is in the upper middle of the 512x512 photo, roughly 90-120 px across
    assert 150 < (x1 + x2) / 2 < 300 and 80 < (y1 + y2) / 2 < 160
    assert 60 < x2 - x1 < 160 and 60 < y2 - y1 < 160
    # first two keypoints are the eyes: inside the box, upper half, left of right
    (lx, ly), (rx, ry) = face.keypoints[:2]
    assert contains(face.box, (lx, ly)) and contains(face.box, (rx, ry))
    assert lx < rx and max(ly, ry) < (y1 + y2) / 2


def test_both_backends_agree_on_the_face(detectors, astronaut) -> None:
    a = np.array([detectors["blazeface"].detect(astronaut)[0].box])
    b = np.array([detectors["centerface"].detect(astronaut)[0].box])
    assert iou_matrix(a, b)[0, 0] > 0.5


@pytest.mark.parametrize("backend", ["blazeface", "centerface"])
def test_mirrored_photo_gives_mirrored_box(detectors, astronaut, backend: str) -> None:
    box = detectors[backend].detect(astronaut)[0].box
    flipped = detectors[backend].detect(np.ascontiguousarray(astronaut[:, ::-1]))[0].box
    w = astronaut.shape[1]
    assert abs((w - box[2]) - flipped[0]) < 12 and abs((w - box[0]) - flipped[2]) < 12


def test_blazeface_back_256_model_uses_the_same_backend(astronaut) -> None:
    registry: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    register_face_backends(registry)
    back = registry.create(BlazeFaceConfig(type="blazeface", model="blazeface_back_256"), SessionFactory())
    faces = back.detect(astronaut)
    assert len(faces) == 1
    x1, y1, x2, y2 = faces[0].box
    assert 150 < (x1 + x2) / 2 < 300 and 80 < (y1 + y2) / 2 < 160


@pytest.mark.parametrize("backend", ["blazeface", "centerface"])
def test_no_face_in_a_faceless_image(detectors, backend: str) -> None:
    scene = cv2.cvtColor(skimage.data.coffee(), cv2.COLOR_RGB2BGR)
    assert detectors[backend].detect(scene) == []
    assert detectors[backend].detect(np.zeros((720, 1280, 3), np.uint8)) == []


def test_centerface_finds_a_small_far_face_in_720p(detectors, astronaut) -> None:
    frame = np.full((720, 1280, 3), 90, np.uint8)
    small = cv2.resize(astronaut, (200, 200), interpolation=cv2.INTER_AREA)  # face ~40 px
    frame[400:600, 900:1100] = small
    faces = detectors["centerface"].detect(frame)
    assert len(faces) == 1
    x1, y1, x2, y2 = faces[0].box
    assert 900 < x1 < x2 < 1100 and 400 < y1 < y2 < 600


def test_blazeface_anchor_layout() -> None:
    anchors = blazeface_anchors()
    assert anchors.shape == (896, 2)
    # stride 8: 16x16 cells x 2 anchors, first cell centre at 0.5/16
    assert np.allclose(anchors[0], [0.5 / 16, 0.5 / 16]) and np.allclose(anchors[1], anchors[0])
    # stride 16 block starts after 512 anchors: 8x8 cells x 6
    assert np.allclose(anchors[512], [0.5 / 8, 0.5 / 8]) and np.allclose(anchors[517], anchors[512])


def test_face_backend_chosen_by_type_key_in_config() -> None:
    cfg = VisionConfig.model_validate({"faces": {"type": "centerface", "input_max_side": 320}})
    assert isinstance(cfg.faces, CenterFaceConfig)
    registry: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    register_face_backends(registry)
    assert set(registry.types()) >= {"blazeface", "centerface"}
