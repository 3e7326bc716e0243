"""SFace (OpenCV model zoo, 2021dec) as a face-embedder plug-in.

A MobileFaceNet-style network trained with the SFace loss: 112x112 RGB crops aligned
to the ArcFace template, 0-255 input, 128-d output compared by cosine similarity.
`flip_average` embeds the crop and its mirror image in one batch and averages them:
the mirror is a second, slightly different view of the same face, and the average
is steadier against small alignment errors (measured in bench/face.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from edge.vision.faceid.align import ARCFACE_112, align_face
from edge.vision.plugins import FaceEmbedder
from edge.vision.runtime import SessionFactory
from firmware_config.faceid import SFaceConfig
from models.manifest import resolve_model


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class SFaceEmbedder(FaceEmbedder):
    type_key: ClassVar[str] = "sface"

    def __init__(self, session, config: SFaceConfig) -> None:
        self.session = session
        self.config = config
        self.name = config.model
        inp = session.get_inputs()[0]
        if list(inp.shape[1:]) != [3, 112, 112]:
            raise ValueError(f"SFace expects NCHW [N,3,112,112], model has {inp.shape}")
        self.input_name = inp.name
        self.batched = not isinstance(inp.shape[0], int)

    @classmethod
    def from_config(cls, config: SFaceConfig, sessions: SessionFactory) -> SFaceEmbedder:
        return cls(sessions.create(resolve_model(config.model)), config)

    def crops(self, image_bgr: np.ndarray, landmarks: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray:
        """Aligned RGB crops [N,112,112,3] (uint8)."""
        return np.stack([align_face(image_bgr, pts, ARCFACE_112)[:, :, ::-1] for pts in landmarks])

    def embed(self, image_bgr: np.ndarray, landmarks: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray:
        if not landmarks:
            return np.zeros((0, 128), np.float32)
        return self.embed_crops(self.crops(image_bgr, landmarks))

    def embed_crops(self, crops_rgb: np.ndarray) -> np.ndarray:
        """Embeddings of already aligned RGB crops [N,112,112,3]."""
        views = [crops_rgb, crops_rgb[:, :, ::-1]] if self.config.flip_average else [crops_rgb]
        tensor = np.concatenate(views).transpose(0, 3, 1, 2).astype(np.float32)
        if self.batched:
            out = self.session.run(None, {self.input_name: tensor})[0]
        else:
            out = np.concatenate([self.session.run(None, {self.input_name: t[None]})[0] for t in tensor])
        out = l2_normalise(out).reshape(len(views), len(crops_rgb), -1).sum(0)
        return l2_normalise(out).astype(np.float32)
