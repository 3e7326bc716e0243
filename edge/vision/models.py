"""Build the models the vision pipeline runs, from config, in one place.

`edge run`, `edge detect` and `bench/vision.py` all construct their detectors here,
so a technician's `edge detect` output is exactly what the daemon would see. Backends
are looked up by their config `type` key in registries built right here (no global
registry); models are only loaded for what the cameras actually use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from drivers.camera import Frame
from edge.vision.faces import register_face_backends
from edge.vision.plates import register_plate_backends
from edge.vision.plates.reader import PlateReader
from edge.vision.plugins import Detector, PluginRegistry, TextRecognizer
from edge.vision.runtime import SessionFactory
from edge.vision.tracker import PlateObservation
from firmware_config.vision import VisionConfig


def registries() -> tuple[PluginRegistry[Detector], PluginRegistry[TextRecognizer]]:
    detectors: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    recognizers: PluginRegistry[TextRecognizer] = PluginRegistry("recognizer", TextRecognizer)
    register_plate_backends(detectors, recognizers)
    register_face_backends(detectors)
    return detectors, recognizers


@dataclass
class VisionModels:
    plates: PlateReader | None
    faces: Detector | None

    @classmethod
    def build(
        cls, config: VisionConfig, *, plates: bool, faces: bool, sessions: SessionFactory | None = None
    ) -> VisionModels:
        """Load the plate reader and/or face detector. Raises `ModelLoadError` (with the
        file to re-fetch) when weights are missing, so the daemon refuses to start
        instead of running a camera that silently detects nothing."""
        sessions = sessions or SessionFactory(config.inference)
        detectors, recognizers = registries()
        reader = None
        if plates:
            pc = config.plates
            reader = PlateReader(
                detectors.create(pc.detector, sessions), recognizers.create(pc.recognizer, sessions), pc
            )
        face = None
        if faces:
            if config.faces is None:
                raise ValueError("a camera asks for faces but vision.faces configures no face detector")
            face = detectors.create(config.faces, sessions)
        return cls(reader, face)

    def read_plates(
        self,
        image: np.ndarray,
        frame: Frame | None = None,
        roi: Sequence[tuple[float, float]] = (),
        motion: np.ndarray | None = None,
        settled: Sequence[tuple[float, float, float, float]] = (),
    ) -> list[PlateObservation]:
        """Plates in one frame as tracker observations (the frame kept for the crop);
        `roi`, `motion` and `settled` as in `PlateReader.read`."""
        if self.plates is None:
            return []
        out = []
        for r in self.plates.read(image, roi, motion, settled):
            out.append(
                PlateObservation(
                    box=r.box,
                    text=r.text,
                    confidence=r.confidence,
                    captured_at=frame.captured_at if frame else None,  # type: ignore[arg-type]
                    monotonic=frame.monotonic if frame else 0.0,
                    frame=image,
                    candidates=tuple(r.candidates),
                    layout=r.layout,
                    colour=r.colour,
                )
            )
        return out
