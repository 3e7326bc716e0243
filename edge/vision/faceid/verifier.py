"""The face verifier: detection with 5 landmarks, alignment, embedding, cosine
similarity and a decision against a threshold chosen on development data
(docs/face.md). The kiosk's person check, `edge face compare` and `bench/face.py`
all build it here, so the three measure and decide the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.vision.faceid.quality import QualityReport, assess, main_face, pose_of
from edge.vision.faceid.sface import SFaceEmbedder, l2_normalise
from edge.vision.faces import register_face_backends
from edge.vision.plugins import Detection, Detector, FaceEmbedder, PluginRegistry
from edge.vision.runtime import SessionFactory
from firmware_config.faceid import FaceVerifierConfig

EMBEDDER_BACKENDS: tuple[type[FaceEmbedder], ...] = (SFaceEmbedder,)


def register_embedders(embedders: PluginRegistry[FaceEmbedder]) -> None:
    for cls in EMBEDDER_BACKENDS:
        embedders.add(cls)


def model_version(ref: str) -> dict[str, str]:
    """Name, source and sha256 prefix of a configured model, for results: an auditor
    can tell exactly which weights decided."""
    from models.manifest import load_manifests, resolve_model, sha256_of

    manifests = load_manifests()
    if ref in manifests:
        m = manifests[ref]
        source = m.source
        origin = (
            f"{source.kind}:{source.package}=={source.version}" if source.kind != "committed" else "committed"
        )
        return {"name": m.name, "source": origin, "sha256": m.sha256[:16]}
    path = resolve_model(ref)
    return {
        "name": path.name,
        "source": "file",
        "sha256": sha256_of(path)[:16] if path.is_file() else "missing",
    }


@dataclass(frozen=True)
class FaceFound:
    """One face chosen in one image, with its embedding."""

    face: Detection
    embedding: np.ndarray
    faces_in_image: int

    def summary(self) -> dict:
        """Geometry and scores only: no pixels."""
        pose = pose_of(self.face.keypoints[:5])
        return {
            "faces": self.faces_in_image,
            "box": [round(v) for v in self.face.box],
            "score": round(self.face.score, 4),
            "eye_distance_px": round(pose.eye_distance, 1),
            "yaw": round(pose.yaw, 3),
        }


class FaceVerifier:
    def __init__(self, detector: Detector, embedder: FaceEmbedder, config: FaceVerifierConfig) -> None:
        self.detector = detector
        self.embedder = embedder
        self.config = config

    @classmethod
    def from_config(cls, config: FaceVerifierConfig, sessions: SessionFactory | None = None) -> FaceVerifier:
        """Load both models; raises `ModelLoadError` naming the file to re-fetch."""
        sessions = sessions or SessionFactory(config.inference)
        detectors: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
        register_face_backends(detectors)
        embedders: PluginRegistry[FaceEmbedder] = PluginRegistry("embedder", FaceEmbedder)
        register_embedders(embedders)
        return cls(
            detectors.create(config.detector, sessions), embedders.create(config.embedder, sessions), config
        )

    @property
    def threshold(self) -> float:
        return self.config.threshold

    def models(self) -> dict[str, dict[str, str]]:
        return {
            "detector": model_version(self.config.detector.model),
            "embedder": model_version(self.config.embedder.model),
        }

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        return [f for f in self.detector.detect(image_bgr) if len(f.keypoints) >= 5]

    def embed(self, image_bgr: np.ndarray, face: Detection) -> np.ndarray:
        return self.embedder.embed(image_bgr, [face.keypoints[:5]])[0]

    def find(self, image_bgr: np.ndarray) -> FaceFound | None:
        """The largest face of a photo (portrait, or a technician's image) and its
        embedding; None when there is no face."""
        faces = self.detect(image_bgr)
        face = main_face(faces)
        if face is None:
            return None
        return FaceFound(face, self.embed(image_bgr, face), len(faces))

    def assess(self, image_bgr: np.ndarray) -> QualityReport:
        """Quality gate of one live frame."""
        return assess(image_bgr, self.detect(image_bgr), self.config.quality)

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.dot(l2_normalise(a), l2_normalise(b)))

    @staticmethod
    def average(embeddings: Sequence[np.ndarray]) -> np.ndarray:
        """One embedding for several frames of the same person (mean of unit vectors)."""
        return l2_normalise(np.mean(l2_normalise(np.asarray(embeddings)), axis=0))

    def decide(self, similarity: float) -> bool:
        return similarity >= self.config.threshold
