"""Plug-in interface for vision backends and the registry that picks them by config.

A backend is a small class with two methods: `from_config(config, sessions)` builds it
from its pydantic config section, and one working method (`detect` for detectors,
`read` for text recognisers). The config section carries a `type` key; a
`PluginRegistry` maps that key to the class. This lets an operator drop in its own
YOLO-layout plate detector or another face model by changing one config key, without
touching the pipeline.

Registries are ordinary objects built where the pipeline is assembled (no global
registry), e.g.::

    detectors = PluginRegistry("detector", Detector)
    register_plate_backends(detectors, recognizers)  # from edge.vision.plates
    detector = detectors.create(cfg.plates.detector, sessions)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from edge.vision.runtime import SessionFactory

Box = tuple[float, float, float, float]
"""Axis-aligned box (x1, y1, x2, y2) in pixels of the image given to the backend."""


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    """One object found in an image."""

    box: Box
    score: float
    label: str
    keypoints: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, eq=False)
class TextRead:
    """Text read from one crop.

    `probs` (T x C per-frame posteriors) and `alphabet` (C labels, index 0 the CTC
    blank) are optional: CTC recognisers fill them so that callers with a grammar
    (Vietnamese plates) can re-decode with per-position constraints instead of
    patching the greedy string afterwards."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    probs: np.ndarray | None = field(default=None, repr=False)
    alphabet: tuple[str, ...] | None = field(default=None, repr=False)


class UnknownBackendError(ValueError):
    """Config names a backend `type` that no registered plug-in provides."""


class Detector(ABC):
    """Finds objects in a BGR frame."""

    type_key: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, sessions: SessionFactory) -> Detector:
        """Build the backend from its config section, loading models via `sessions`."""

    @abstractmethod
    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        """Detections in pixel coordinates of `image_bgr`, best first."""


class TextRecognizer(ABC):
    """Reads one line of text per crop."""

    type_key: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, sessions: SessionFactory) -> TextRecognizer:
        """Build the backend from its config section, loading models via `sessions`."""

    @abstractmethod
    def read(self, crops: Sequence[np.ndarray]) -> list[TextRead]:
        """One `TextRead` per BGR crop, in order; crops may be batched in one run."""


class FaceEmbedder(ABC):
    """Turns a face, given its 5 landmarks in an image, into an identity embedding.

    Alignment belongs to the embedder because the template the face is warped to is
    the recogniser's own (each model was trained on crops of one layout)."""

    type_key: ClassVar[str]
    name: str
    """Model name (manifest name or file) reported in verification results."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, sessions: SessionFactory) -> FaceEmbedder:
        """Build the backend from its config section, loading models via `sessions`."""

    @abstractmethod
    def embed(self, image_bgr: np.ndarray, landmarks: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray:
        """[N, D] L2-normalised embeddings, one per face given by its 5 landmarks
        (eyes, nose tip, mouth corners, image-left first, in pixels of `image_bgr`)."""


T = TypeVar("T", Detector, TextRecognizer, FaceEmbedder)


class PluginRegistry(Generic[T]):
    """Maps config `type` keys to backend classes of one kind."""

    def __init__(self, kind: str, base: type[T]) -> None:
        self.kind = kind
        self.base = base
        self._classes: dict[str, type[T]] = {}

    def add(self, cls: type[T]) -> type[T]:
        """Register `cls` under its `type_key` (usable as a class decorator)."""
        if not issubclass(cls, self.base):
            raise TypeError(f"{cls.__name__} is not a {self.base.__name__}")
        key = cls.type_key
        if key in self._classes and self._classes[key] is not cls:
            raise ValueError(f"{self.kind} type {key!r} already registered by {self._classes[key].__name__}")
        self._classes[key] = cls
        return cls

    def types(self) -> list[str]:
        return sorted(self._classes)

    def get(self, type_key: str) -> type[T]:
        try:
            return self._classes[type_key]
        except KeyError:
            known = ", ".join(self.types()) or "none registered"
            raise UnknownBackendError(f"unknown {self.kind} type {type_key!r} (known: {known})") from None

    def create(self, config: Any, sessions: SessionFactory) -> T:
        """Build the backend named by `config.type`."""
        return self.get(config.type).from_config(config, sessions)
