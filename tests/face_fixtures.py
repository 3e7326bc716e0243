"""Shared pieces of the face tests: the verifier (real models), public-domain photos,
and a camera feed that plays recorded frames."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from edge.vision.faceid.verifier import FaceVerifier
from firmware_config.faceid import FaceVerifierConfig
from models.manifest import model_path

REPO = Path(__file__).resolve().parent.parent
CELEBA = REPO.parent / "shared" / "datasets" / "faces-celeba"
PORTRAIT = REPO / "devkit" / "cccd" / "data" / "portrait.jpg"


def build_verifier(**overrides) -> FaceVerifier:
    for name in ("yunet_2023mar", "sface_2021dec"):
        if not model_path(name).is_file():
            pytest.fail(f"weights for {name} missing: run `python -m models.fetch` (scripts/setup.sh does)")
    return FaceVerifier.from_config(FaceVerifierConfig(**overrides))


def astronaut() -> np.ndarray:
    """scikit-image's astronaut (public domain, NASA): the person of the devkit's CCCD portrait."""
    return cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)


def cameraman() -> np.ndarray:
    """scikit-image's cameraman: a different person (public domain)."""
    return cv2.cvtColor(skimage.data.camera(), cv2.COLOR_GRAY2BGR)


class RecordedFeed:
    """Plays frames in order, advancing a fake clock by one frame period per frame,
    then returns None (as a camera that stopped) and lets the clock run out."""

    def __init__(self, frames: Sequence[np.ndarray], fps: float = 10.0) -> None:
        self.frames = list(frames)
        self.period = 1.0 / fps
        self.now = 0.0
        self.served = 0

    def clock(self) -> float:
        return self.now

    def next_frame(self, timeout_s: float) -> np.ndarray | None:
        if self.served >= len(self.frames):
            self.now += timeout_s
            return None
        self.now += self.period
        self.served += 1
        return self.frames[self.served - 1]


class GuideLog:
    """Records what a person check asks the screen to show (`person_check.Guide`):
    (guidance key, challenge key, seconds left) per change."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str | None, float | None]] = []

    def __call__(
        self, key: str | None, /, *, challenge: str | None = None, seconds_left: float | None = None
    ) -> None:
        self.calls.append((key, challenge, seconds_left))

    @property
    def keys(self) -> list[str | None]:
        return [k for k, _, _ in self.calls]

    @property
    def challenges(self) -> list[str]:
        return [c for _, c, _ in self.calls if c]
