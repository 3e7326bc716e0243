"""Plate reading: which detector and text recogniser backends run, on which models.

Each backend section has a `type` key that selects the plug-in class
(`edge.vision.plates.register_plate_backends`); `model` is a manifest name from
`models/manifests/` or a path to an `.onnx` file in the same layout."""

from typing import Annotated, Literal

from pydantic import Field

from firmware_config.base import Section

NO_GAP_CHECK = 10_000.0  # nats; no plate read is that far off its grammar, so this value means "off"


class YoloPlateDetectorConfig(Section):
    type: Literal["yolo"] = Field(
        default="yolo",
        description="YOLOv8/YOLO11 ONNX export layout: output [1, 4+classes, N], letterboxed input.",
    )
    model: str = Field(default="plate_det_416", description="Manifest name or path of the .onnx detector.")
    input_size: tuple[Annotated[int, Field(ge=32, le=4096)], Annotated[int, Field(ge=32, le=4096)]] | None = (
        Field(
            default=None,
            description="(width, height) fed to the model; default: the model's own fixed input shape.",
        )
    )
    score_threshold: float = Field(default=0.5, gt=0, lt=1, description="Minimum class score to keep a box.")
    iou_threshold: float = Field(
        default=0.45, gt=0, lt=1, description="Boxes overlapping more are merged by NMS."
    )
    max_detections: int = Field(default=16, ge=1, le=300, description="At most this many plates per frame.")
    class_names: list[str] = Field(
        default_factory=lambda: ["plate"], description="Label of each model class."
    )
    plate_classes: list[str] | None = Field(
        default=None, description="Keep only these classes (for multi-class detectors); default: all."
    )


class PpOcrDetectorConfig(Section):
    type: Literal["ppocr_det"] = Field(
        default="ppocr_det",
        description="PP-OCR DB text detector whose text lines are grouped into plate proposals.",
    )
    model: str = Field(
        default="ppocr_v6_det_small", description="Manifest name or path of the DB text detector."
    )
    max_side: int = Field(
        default=640,
        ge=160,
        le=2048,
        description="Longest image side fed to the model (px): 640 keeps plates ~40 px wide in a 720p frame "
        "readable; lower is faster for cameras close to the vehicles.",
    )
    threshold: float = Field(default=0.3, gt=0, lt=1, description="Text probability that counts as text.")
    aspect_range: tuple[Annotated[float, Field(gt=0, le=20)], Annotated[float, Field(gt=0, le=20)]] = Field(
        default=(0.7, 6.5),
        description="Width/height range of a plausible plate (two-line ~1.4, long one-line ~4.7); text lines "
        "outside it (timestamps, banners) are not read at all.",
    )
    min_height: int = Field(
        default=10, ge=4, le=200, description="Proposals lower than this (px) are ignored."
    )
    min_score: float = Field(
        default=0.6, gt=0, lt=1, description="Minimum mean probability inside a line box."
    )


class CtcRecognizerConfig(Section):
    type: Literal["ppocr_ctc"] = Field(
        default="ppocr_ctc",
        description="CTC text recogniser in PP-OCR layout: input [B,3,48,W], charset in metadata `character`.",
    )
    model: str = Field(
        default="ppocr_v4_rec_plate_vn", description="Manifest name or path of the recogniser."
    )
    height: int = Field(default=48, ge=16, le=64, description="Input height the model was trained for.")
    max_width: int = Field(
        default=320, ge=32, le=1280, description="Crops wider than this (after scaling) are squeezed."
    )
    width_scale: float = Field(
        default=1.0,
        gt=0.3,
        le=1.5,
        description="Horizontal squeeze of crops before reading (smaller = faster).",
    )


class PlateSearchConfig(Section):
    """Where in a frame the detector looks, and at what resolution (issue 11)."""

    mode: Literal["frame", "native"] = Field(
        default="frame",
        description="`frame`: the whole frame shrunk into the detector's input (plates >= ~40 px in 720p; "
        "parking gates, roadside). `native`: the camera's region of interest at `scale` of its own "
        "resolution, so 40-90 px plates of a 1080p intersection camera keep their pixels (a dynamic-input "
        "detector runs once on it; a fixed-input one is tiled), only where the motion gate saw movement.",
    )
    scale: float = Field(
        default=0.0,
        ge=0,
        le=2,
        description="`native` only: detector pixels per frame pixel; 0 = automatic (1 up to 1280 px wide "
        "frames, 1280/width above: 0.67 for 1080p, where plates of 40 px become 27 px, still found).",
    )
    tile_overlap: int = Field(
        default=96,
        ge=0,
        le=400,
        description="`native` with a fixed-input detector: overlap of neighbouring tiles in detector pixels; "
        "a plate up to this wide is whole in at least one tile.",
    )
    motion_margin: float = Field(
        default=0.04,
        ge=0,
        le=0.5,
        description="`native` only: the searched area is the box around moved regions grown by this "
        "fraction of the frame on each side (a plate sits on the moving vehicle, not always on the pixels "
        "that changed).",
    )
    min_plate_width: int = Field(
        default=0,
        ge=0,
        le=400,
        description="Detected boxes narrower than this (frame pixels) are not read: too few pixels for a "
        "person or the recogniser to be sure of every glyph. 0 reads every box.",
    )


class PlateReaderConfig(Section):
    search: PlateSearchConfig = Field(
        default_factory=PlateSearchConfig, description="Where the detector looks and at what resolution."
    )
    detector: YoloPlateDetectorConfig | PpOcrDetectorConfig = Field(
        default_factory=YoloPlateDetectorConfig,
        discriminator="type",
        description="Plate detector backend: `yolo` (default: our trained plate_det_416) or `ppocr_det` "
        "(text-detector proposals; slower, no trained weights).",
    )
    recognizer: CtcRecognizerConfig = Field(
        default_factory=CtcRecognizerConfig, description="Text recogniser backend."
    )
    min_confidence: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Reads whose weakest character is less certain than this are dropped.",
    )
    max_score_gap: float = Field(
        default=12.0,
        gt=0,
        le=NO_GAP_CHECK,
        description="Reject as non-plate when the grammar-constrained reading is this many "
        "nats less likely than the unconstrained one (text that fits no plate format); "
        f"{NO_GAP_CHECK} (the largest value) turns the check off.",
    )
    weak_detection_score: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Detector boxes scored below this are kept only when their reading is confident "
        "(`weak_detection_min_confidence`): a box neither model vouches for is not a plate, however well its "
        "text fits the grammar. 0 turns the check off. Chosen on the scene training split by "
        "models/train/select_reject.py; crops read without a detector are not affected.",
    )
    weak_detection_min_confidence: float = Field(
        default=0.34,
        ge=0,
        le=1,
        description="Weakest-glyph probability a weakly detected box's reading needs to count as a plate "
        "(see `weak_detection_score`).",
    )
    two_line_max_aspect: float = Field(
        default=2.6, gt=1, lt=6, description="Crops with width/height below this are read as two-line plates."
    )
    deskew_max_slope: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Largest text-line slope (dy/dx, 0.4 is ~22 degrees) corrected by deshearing a crop "
        "before reading; 0 turns the correction off.",
    )
    deskew_min_gain: float = Field(
        default=1.2,
        ge=1,
        le=100,
        description="Deshear only when the levelled ink row profile is this many times more peaked "
        "(variance) than the crop as it is; chosen on the even-indexed dev crops, see models/README.md.",
    )
    crop_margin: tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]] = Field(
        default=(0.1, 0.0),
        description="Margin added around a detected box before reading, as fractions of its (width, height); "
        "the recogniser misreads glyphs cut at the crop edge.",
    )
