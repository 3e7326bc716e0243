"""CTC text recogniser backend in the PaddleOCR PP-OCR recognition layout.

Input [B,3,H,W] (H = 48), BGR scaled to [-1, 1]; output [B,T,C] softmax where class 0
is the CTC blank and classes 1..C-1 are the model metadata `character` list plus a
trailing space. Any PP-OCR rec export (v4, v5, v6) drops in. All crops of one call are
resized to the model height, right-padded to the widest and run as one batch (both
lines of a two-line plate cost one inference call)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from edge.vision.plugins import TextRead, TextRecognizer
from edge.vision.runtime import SessionFactory, model_metadata
from firmware_config.plates import CtcRecognizerConfig
from models.manifest import resolve_model


class CharsetError(ValueError):
    """The model's metadata does not describe a charset matching its output."""


class CtcRecognizer(TextRecognizer):
    type_key = "ppocr_ctc"

    def __init__(self, session, config: CtcRecognizerConfig) -> None:
        self.session = session
        self.config = config
        self.input_name = session.get_inputs()[0].name
        chars = model_metadata(session).get("character")
        if not chars:
            raise CharsetError("recogniser model has no `character` metadata")
        self.alphabet: tuple[str, ...] = ("<blank>", *chars.splitlines(), " ")

    @classmethod
    def from_config(cls, config: CtcRecognizerConfig, sessions: SessionFactory) -> CtcRecognizer:
        return cls(sessions.create(resolve_model(config.model)), config)

    def _batch(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        h = self.config.height
        widths = []
        for crop in crops:
            ch, cw = crop.shape[:2]
            w = math.ceil(h * cw / max(ch, 1) * self.config.width_scale)
            widths.append(int(min(self.config.max_width, max(16, w))))
        width = max(widths)
        width = int(math.ceil(width / 8) * 8)
        batch = np.zeros((len(crops), 3, h, width), np.float32)
        for i, (crop, w) in enumerate(zip(crops, widths, strict=True)):
            img = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            batch[i, :, :, :w] = (img.transpose(2, 0, 1) / 127.5) - 1.0
        return batch

    def posteriors(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """[B, T, C] per-frame class probabilities for the crops (one run)."""
        probs = self.session.run(None, {self.input_name: self._batch(crops)})[0]
        if probs.shape[-1] != len(self.alphabet):
            raise CharsetError(
                f"model outputs {probs.shape[-1]} classes but its charset has {len(self.alphabet)}"
            )
        return probs

    def read(self, crops: Sequence[np.ndarray]) -> list[TextRead]:
        if not crops:
            return []
        reads = []
        for probs in self.posteriors(crops):
            best = probs.argmax(1)
            text, confs, prev = [], [], 0
            for t, k in enumerate(best):
                if k != 0 and k != prev:
                    text.append(self.alphabet[k])
                    confs.append(float(probs[t, k]))
                prev = k
            reads.append(
                TextRead(
                    "".join(text), min(confs, default=0.0), tuple(confs), probs=probs, alphabet=self.alphabet
                )
            )
        return reads
