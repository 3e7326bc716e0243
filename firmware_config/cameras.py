"""Camera sources and the per-camera analysis settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from firmware_config.base import Section

NormPoint = tuple[float, float]


def _check_polygon(points: list[NormPoint]) -> list[NormPoint]:
    if len(points) < 3:
        raise ValueError("a polygon needs at least 3 points")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(
                f"point ({x}, {y}) is outside the frame; use fractions of width/height in [0, 1]"
            )
    return points


class Zone(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Zone name used in presence events.")
    points: list[NormPoint] = Field(
        description="Polygon corners as [x, y] fractions of frame width and height (0-1), at least 3."
    )

    _poly = field_validator("points")(_check_polygon)


class MotionConfig(Section):
    enabled: bool = Field(
        default=True,
        description="Skip inference on frames where nothing moved (saves most CPU on a quiet scene).",
    )
    width: int = Field(default=160, ge=32, le=640, description="Width in pixels of the grey frame compared.")
    pixel_threshold: int = Field(
        default=25, ge=1, le=255, description="Brightness change (0-255) for a pixel to count as changed."
    )
    min_changed_fraction: float = Field(
        default=0.003, gt=0, le=1, description="Share of the watched area that must change to open the gate."
    )
    hold_frames: int = Field(
        default=5, ge=0, le=300, description="Frames still analysed after motion stops (vehicle halting)."
    )
    still_stride: int = Field(
        default=2,
        ge=1,
        le=25,
        description=(
            "While the gate is closed (still scene), compare only every Nth frame; the others are "
            "decoded but not converted or compared (video sources). Motion is then seen at most N-1 "
            "frames later; 1 compares every frame."
        ),
    )
    zones: list[list[NormPoint]] = Field(
        default_factory=list,
        description="Polygons where motion counts (fractions of width/height); empty = the whole frame.",
    )
    masks: list[list[NormPoint]] = Field(
        default_factory=list,
        description="Polygons where motion is ignored: trees, flags, on-screen clocks.",
    )

    @field_validator("zones", "masks")
    @classmethod
    def _polygons(cls, value: list[list[NormPoint]]) -> list[list[NormPoint]]:
        for poly in value:
            _check_polygon(poly)
        return value


class CameraConfig(Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Camera id used in events and stats.")
    kind: Literal["rtsp", "mjpeg", "usb", "file"] = Field(description="Source type.")
    url: str = Field(description="Stream URL, V4L2 device index/path, or file/directory to replay.")
    detect: list[Literal["plates", "faces"]] = Field(
        default_factory=lambda: ["plates"],
        min_length=1,
        description="What to look for in this camera's frames.",
    )
    fps: float | None = Field(
        default=None,
        gt=0,
        le=120,
        description=(
            "Analyse at most this many frames per second (extra frames are skipped); for an image-folder "
            "replay, the rate images are played at (default 10)."
        ),
    )
    queue_size: int = Field(
        default=1,
        ge=1,
        le=100,
        description="Frames buffered between capture and inference; when full the oldest is dropped. 1 keeps "
        "the newest frame: when analysis is slower than the camera (1080p, or two cameras on 2 cores) a deeper "
        "queue is always full of older frames and only adds latency and a frame buffer each (6 MB at 1080p). "
        "More only for a camera whose analysis keeps up except in short bursts.",
    )
    replay_speed: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="File replays only: 1 = real time, 2 = twice as fast, 0 = as fast as inference allows.",
    )
    loop: bool = Field(default=False, description="File replays only: start again at the end.")
    open_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Give up opening a stream after this."
    )
    read_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="A stream silent for this long is treated as stalled and reopened.",
    )
    decode_threads: int = Field(
        default=1,
        ge=0,
        le=16,
        description="FFmpeg decoder threads (RTSP and video files); 1 leaves the cores to inference, 0 = auto.",
    )
    reconnect_initial_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="First reconnect delay; doubles per failure, with random jitter.",
    )
    reconnect_max_s: float = Field(default=30.0, gt=0, le=600, description="Longest reconnect delay.")
    motion: MotionConfig = Field(default_factory=MotionConfig, description="Motion gating before inference.")
    plate_roi: list[NormPoint] = Field(
        default_factory=list,
        description="Polygon ([x, y] fractions of width/height) where plates are searched, e.g. the lanes "
        "before the stop line; empty = the whole frame. Plates outside it are not reported.",
    )
    presence_zones: list[Zone] = Field(
        default_factory=list,
        description="Named zones whose face count is reported; empty = one zone 'full' covering everything.",
    )

    @field_validator("plate_roi")
    @classmethod
    def _roi(cls, value: list[NormPoint]) -> list[NormPoint]:
        return _check_polygon(value) if value else value

    @model_validator(mode="after")
    def _consistent(self) -> CameraConfig:
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must be at least reconnect_initial_s")
        names = [z.name for z in self.presence_zones]
        if len(names) != len(set(names)):
            raise ValueError("presence zone names must be unique per camera")
        return self
