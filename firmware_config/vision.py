"""Vision pipeline settings: inference runtime, detector backends (each chosen by its
`type` key), tracking, and what plate and presence events contain."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from firmware_config.base import Section
from firmware_config.inference import InferenceConfig
from firmware_config.plates import PlateReaderConfig

ModelRef = Annotated[
    str,
    Field(
        min_length=1,
        description=(
            "Model to load: a manifest name from models/manifests/ (weights fetched at setup) "
            "or a path to an .onnx file."
        ),
    ),
]


class BlazeFaceConfig(Section):
    """MediaPipe BlazeFace: `blazeface_front_128` (faster, faces close to the camera, kiosks) or
    `blazeface_back_256` (slower, smaller faces)."""

    type: Literal["blazeface"] = Field(description="Backend type key.")
    model: ModelRef = "blazeface_front_128"
    score_threshold: float = Field(default=0.6, gt=0, lt=1, description="Minimum face score (0-1).")
    nms_iou: float = Field(
        default=0.3, gt=0, lt=1, description="Overlap above which candidates are merged into one face."
    )
    max_faces: int = Field(default=20, ge=1, le=200, description="At most this many faces per frame.")


class CenterFaceConfig(Section):
    """CenterFace: slower, finds small and distant faces (premises, corridors)."""

    type: Literal["centerface"] = Field(description="Backend type key.")
    model: ModelRef = "centerface"
    input_max_side: int = Field(
        default=640,
        ge=64,
        le=1920,
        description="Frames are scaled so their long side is at most this many pixels before inference.",
    )
    score_threshold: float = Field(default=0.5, gt=0, lt=1, description="Minimum face-centre heat (0-1).")
    nms_iou: float = Field(
        default=0.3, gt=0, lt=1, description="Overlap above which candidates are merged into one face."
    )
    max_faces: int = Field(default=50, ge=1, le=500, description="At most this many faces per frame.")


class YuNetConfig(Section):
    """OpenCV model zoo YuNet: faces with 5 landmarks (eyes, nose tip, mouth corners), as the face
    verifier needs for alignment; cheaper at 320x320 than at 640x640 (bench/face.py)."""

    type: Literal["yunet"] = Field(description="Backend type key.")
    model: ModelRef = "yunet_2023mar"
    input_max_side: int = Field(
        default=640,
        ge=64,
        le=1920,
        description="Images are scaled down so their long side is at most this many pixels before inference.",
    )
    score_threshold: float = Field(
        default=0.6, gt=0, lt=1, description="Minimum face score (geometric mean of class and objectness)."
    )
    nms_iou: float = Field(
        default=0.3, gt=0, lt=1, description="Overlap above which the weaker of two candidates is dropped."
    )
    max_faces: int = Field(default=20, ge=1, le=200, description="At most this many faces per image.")


FaceDetectorConfig = Annotated[BlazeFaceConfig | CenterFaceConfig | YuNetConfig, Field(discriminator="type")]


class TrackerConfig(Section):
    """How plate detections in successive frames are joined into one vehicle pass."""

    iou_match: float = Field(
        default=0.2, ge=0, lt=1, description="Minimum box overlap to continue a track in the next frame."
    )
    max_centroid_jump: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="Without overlap, the largest centre movement (fraction of frame diagonal) still matched.",
    )
    max_missed_frames: int = Field(
        default=8, ge=1, le=300, description="A track ends after this many analysed frames without its plate."
    )
    min_hits: int = Field(
        default=2,
        ge=1,
        le=50,
        description="Frames a plate must be seen in before its pass produces an event.",
    )
    min_agreeing_reads: int = Field(
        default=1,
        ge=1,
        le=50,
        description="Frames in which the pass's winning text itself was read before it is reported: a plate "
        "too small to read gives a different guess each frame. 2 for intersection cameras.",
    )
    settle_reads: int = Field(
        default=0,
        ge=0,
        le=50,
        description="Once a track's leading text was read this many times (one read at least "
        "`settle_confidence` sure), its plate is only located, not read again, for the rest of the pass: "
        "vehicles queued at a stop line cost one detector run, not a recogniser call each per frame. 0: off.",
    )
    settle_confidence: float = Field(
        default=0.9, ge=0, le=1, description="Weakest-glyph confidence one of the settling reads needs."
    )
    max_text_mismatch: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Without box overlap, a read differing from a track's leading text in more glyphs than "
        "this is another plate and does not continue the track (dense traffic at low frame rates).",
    )
    repeat_suppress_s: float = Field(
        default=20.0,
        ge=0,
        le=86400,
        description=(
            "A pass with the same text on the same camera within this many seconds of the last one is "
            "treated as the same vehicle (e.g. it stopped at a barrier) and not reported again."
        ),
    )


class PlateEventConfig(Section):
    """Content of `plate` events."""

    crop_jpeg_quality: int = Field(default=85, ge=30, le=100, description="JPEG quality of the plate crop.")
    crop_margin: float = Field(
        default=0.15, ge=0, le=1, description="Margin added around the plate box, as a fraction of its size."
    )
    max_candidates: int = Field(
        default=3, ge=0, le=10, description="Other text candidates listed besides the best read."
    )
    full_frame_snapshot: bool = Field(
        default=False,
        description="Attach the whole frame as a JPEG too. Off by default: it shows people and bystanders.",
    )
    snapshot_jpeg_quality: int = Field(default=70, ge=30, le=100, description="JPEG quality of the snapshot.")


class PresenceConfig(Section):
    """`presence` events (face count per zone changed) and periodic `presence_summary`."""

    stable_frames: int = Field(
        default=3,
        ge=1,
        le=100,
        description="A new face count must hold for this many analysed frames before it is reported.",
    )
    summary_interval_s: float = Field(
        default=300.0, ge=10, le=86400, description="Seconds between `presence_summary` events per camera."
    )
    include_face_crops: bool = Field(
        default=False,
        description=(
            "Attach JPEG crops of the faces to presence events. Face images are sensitive personal data: "
            "leave off unless the deployment has a legal basis for sending them."
        ),
    )


class VisionConfig(Section):
    enabled: bool = Field(default=True, description="Run the vision pipeline on the configured cameras.")
    inference: InferenceConfig = Field(
        default_factory=InferenceConfig, description="onnxruntime providers and threads for all models."
    )
    plates: PlateReaderConfig = Field(
        default_factory=PlateReaderConfig, description="Plate detector and text recogniser backends."
    )
    faces: FaceDetectorConfig | None = Field(
        default=None, description="Face detector for cameras that count faces (omit to disable)."
    )
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="Plate tracking across frames.")
    plate_events: PlateEventConfig = Field(
        default_factory=PlateEventConfig, description="Plate event content."
    )
    presence: PresenceConfig = Field(default_factory=PresenceConfig, description="Face presence events.")
    idle_wait_s: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="How long the inference loop waits for a frame before checking the other cameras.",
    )
