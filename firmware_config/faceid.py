"""Face verification at the kiosk: the person at the counter against the chip portrait
(DG2), with a quality gate and an active liveness challenge. One person check is one
attempt; the kiosk bounds their number and length (`kiosk.person_check_attempts`,
`kiosk.timeouts.person_check_s`).

Face images are sensitive personal data (Decree 13/2023): results carry numbers,
decisions and model names only, unless `include_face_images` says otherwise."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from firmware_config.base import Section
from firmware_config.inference import InferenceConfig
from firmware_config.vision import ModelRef, YuNetConfig


class SFaceConfig(Section):
    """OpenCV model zoo SFace: 128-d embedding of a face aligned on 5 landmarks."""

    type: Literal["sface"] = Field(default="sface", description="Backend type key.")
    model: ModelRef = "sface_2021dec"
    flip_average: bool = Field(
        default=False,
        description=(
            "Average the embeddings of the face and its mirror image (one batch): +0.8 points TAR at FAR 0.1 % "
            "on in-the-wild pairs, none on kiosk-like pairs, twice the embedder time (docs/face.md)."
        ),
    )


class QualityConfig(Section):
    """When a camera frame is good enough to compare; otherwise the screen says what to change."""

    min_eye_distance_px: float = Field(
        default=32.0, ge=8, le=1000, description="Eye-to-eye distance below which the face is too small."
    )
    max_yaw: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Largest sideways nose offset (fraction of the eye distance) of a face looking at the camera.",
    )
    pitch_range: tuple[Annotated[float, Field(ge=-0.5, le=1.5)], Annotated[float, Field(ge=-0.5, le=1.5)]] = (
        Field(
            default=(0.25, 0.8),
            description="Nose height between eyes (0) and mouth (1) that counts as looking straight ahead.",
        )
    )
    min_sharpness: float = Field(
        default=60.0,
        ge=0,
        le=1e6,  # the Laplacian of 8-bit pixels stays within +-1020
        description="Variance of the Laplacian of the aligned 112x112 face below which it is blurred.",
    )
    min_brightness: float = Field(
        default=50.0,
        ge=0,
        le=255,
        description="Mean grey level of the aligned face below which it is too dark.",
    )
    other_face_ratio: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Another face at least this fraction of the largest one's width counts as a second person.",
    )


class LivenessConfig(Section):
    """Active challenge: blink or turn the head, tracked from landmarks over consecutive frames."""

    enabled: bool = Field(default=True, description="Ask for a challenge before comparing faces.")
    challenges: list[Literal["blink", "turn_left", "turn_right"]] = Field(
        default=["blink", "turn_left", "turn_right"],
        min_length=1,
        description="Challenges drawn from at random (a secure random generator) for each attempt.",
    )
    timeout_s: float = Field(
        default=6.0, gt=0.5, le=60, description="Time allowed to complete the challenge."
    )
    baseline_frames: int = Field(
        default=3, ge=1, le=30, description="Frontal frames measured first, as the person's own reference."
    )
    max_gap_frames: int = Field(
        default=2, ge=0, le=30, description="Frames without exactly one face tolerated inside a challenge."
    )
    turn_offset: float = Field(
        default=0.12,
        gt=0.02,
        le=1,
        description="Nose offset change (fraction of the eye distance) that counts as a head turn.",
    )
    turn_hold_frames: int = Field(
        default=2, ge=1, le=30, description="Consecutive frames the turn must be held."
    )
    blink_closed_ratio: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Eye openness below this fraction of the person's reference counts as closed.",
    )
    blink_max_closed_frames: int = Field(
        default=8, ge=1, le=60, description="A longer closure is not a blink (eyes held shut, photo swap)."
    )
    min_eye_openness: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Reference openness below which eyes cannot be measured (glasses, glare).",
    )
    max_jump: float = Field(
        default=0.5,
        gt=0,
        le=5,
        description="Largest move of the face centre between frames, in face widths, still taken as the same face.",
    )


class FaceVerifierConfig(Section):
    """Face verifier: detector with landmarks, embedder, decision threshold, gate and liveness."""

    detector: YuNetConfig = Field(
        default_factory=lambda: YuNetConfig(type="yunet"), description="Face detector with 5 landmarks."
    )
    embedder: SFaceConfig = Field(default_factory=SFaceConfig, description="Face embedding model.")
    inference: InferenceConfig = Field(
        default_factory=lambda: InferenceConfig(intra_op_threads=2),
        description=(
            "onnxruntime settings of the verifier's models. Two threads by default: a kiosk has no camera "
            "pipeline beside it and a person is waiting for the answer."
        ),
    )
    threshold: float = Field(
        default=0.38,
        ge=-1,
        le=1,
        description=(
            "Cosine similarity at or above which two faces are the same person: FAR 0.1 % on the kiosk-like "
            "development pairs (docs/face.md)."
        ),
    )
    live_frames: int = Field(
        default=3,
        ge=1,
        le=30,
        description="Good camera frames whose embeddings are averaged for the comparison.",
    )
    quality: QualityConfig = Field(default_factory=QualityConfig, description="Quality gate for live frames.")
    liveness: LivenessConfig = Field(default_factory=LivenessConfig, description="Active liveness challenge.")
    include_face_images: bool = Field(
        default=False,
        description=(
            "Put the aligned live face and portrait crops (JPEG) in the result. Face images are sensitive "
            "personal data: leave off unless the deployment has a legal basis for keeping them."
        ),
    )
