"""Quality gate for live frames, and the guidance the kiosk screen shows.

Each check maps to one key and one short instruction ("move closer", "look at the
camera") so the screen can tell the person what to change instead of failing
silently. Pose comes from the 5 landmarks in an affine-invariant way: the nose tip
is written in the frame of the eye midpoint, the eye-to-eye vector and the
eye-to-mouth vector. A frontal face has its nose near the middle (offset 0) and about
halfway down; a turned head moves the nose sideways because it stands out of the face
plane, which a flat photo, however it is tilted, cannot do."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge.vision.faceid.align import align_face
from edge.vision.plugins import Detection
from firmware_config.faceid import QualityConfig


class Guidance(str, enum.Enum):
    """What the screen should ask for, as the kiosk screen's guidance keys (the
    `face.*` keys of the kiosk's person-check interface, plus `face.look_straight`,
    `face.blurred`, `face.more_light` and `face.ok`). The words, Vietnamese and
    English, are in the screen's one message table (kiosk/screen/static/messages.json)."""

    OK = "face.ok"
    NO_FACE = "face.look_at_camera"
    SEVERAL_FACES = "face.one_person"
    TOO_SMALL = "face.move_closer"
    TURNED_AWAY = "face.look_straight"
    BLURRED = "face.blurred"
    TOO_DARK = "face.more_light"


@dataclass(frozen=True)
class Pose:
    """Landmark geometry of one face (all ratios, independent of image size)."""

    yaw: float
    """Nose offset along the eye line, as a fraction of the eye distance (0 frontal;
    positive when the nose is towards the image right)."""
    pitch: float
    """Nose height between the eye line (0) and the mouth line (1)."""
    roll_deg: float
    eye_distance: float


def pose_of(landmarks: Sequence[tuple[float, float]]) -> Pose:
    """Pose from YuNet's 5 points (eyes, nose tip, mouth corners, image-left first)."""
    pts = np.asarray(landmarks, np.float64)
    eye_l, eye_r, nose, mouth = pts[0], pts[1], pts[2], (pts[3] + pts[4]) / 2
    mid = (eye_l + eye_r) / 2
    across, down = eye_r - eye_l, mouth - mid
    basis = np.stack([across, down], axis=1)
    if abs(np.linalg.det(basis)) < 1e-9:
        return Pose(yaw=1.0, pitch=0.0, roll_deg=0.0, eye_distance=float(np.linalg.norm(across)))
    a, b = np.linalg.solve(basis, nose - mid)
    roll = float(np.degrees(np.arctan2(across[1], across[0])))
    return Pose(yaw=float(a), pitch=float(b), roll_deg=roll, eye_distance=float(np.linalg.norm(across)))


def face_width(face: Detection) -> float:
    return face.box[2] - face.box[0]


def main_face(faces: Sequence[Detection]) -> Detection | None:
    """The largest face (the person at the counter stands closest)."""
    return max(faces, key=face_width, default=None)


def sharpness(grey_crop: np.ndarray) -> float:
    """Variance of the Laplacian of a face aligned to 112x112 (scale-free blur measure)."""
    return float(cv2.Laplacian(grey_crop, cv2.CV_64F).var())


@dataclass(frozen=True)
class QualityReport:
    guidance: Guidance
    face: Detection | None = None
    pose: Pose | None = None
    sharpness: float = 0.0
    brightness: float = 0.0

    @property
    def ok(self) -> bool:
        return self.guidance is Guidance.OK


def assess(image_bgr: np.ndarray, faces: Sequence[Detection], config: QualityConfig) -> QualityReport:
    """The first problem found with a live frame, in the order a person fixes them."""
    face = main_face(faces)
    if face is None or len(face.keypoints) < 5:
        return QualityReport(Guidance.NO_FACE)
    width = face_width(face)
    others = [f for f in faces if f is not face and face_width(f) >= config.other_face_ratio * width]
    if others:
        return QualityReport(Guidance.SEVERAL_FACES, face)
    pose = pose_of(face.keypoints[:5])
    if pose.eye_distance < config.min_eye_distance_px:
        return QualityReport(Guidance.TOO_SMALL, face, pose)
    low, high = config.pitch_range
    if abs(pose.yaw) > config.max_yaw or not low <= pose.pitch <= high:
        return QualityReport(Guidance.TURNED_AWAY, face, pose)
    grey = cv2.cvtColor(align_face(image_bgr, face.keypoints[:5]), cv2.COLOR_BGR2GRAY)
    sharp, bright = sharpness(grey), float(grey.mean())
    if bright < config.min_brightness:
        return QualityReport(Guidance.TOO_DARK, face, pose, sharp, bright)
    if sharp < config.min_sharpness:
        return QualityReport(Guidance.BLURRED, face, pose, sharp, bright)
    return QualityReport(Guidance.OK, face, pose, sharp, bright)
