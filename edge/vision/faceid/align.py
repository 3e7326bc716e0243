"""Alignment of a face to a recogniser's 5-point template.

SFace (like ArcFace-family models) was trained on 112x112 crops in which the eyes,
nose tip and mouth corners sit at fixed positions; a crop that puts them elsewhere is
a face the model never saw. The similarity transform (rotation, uniform scale,
translation) that best maps the detected points onto the template, in the least
squares sense, is Umeyama's closed form; a similarity keeps the face's proportions
(an affine fit would stretch a turned face into a frontal-looking wrong one)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float32,
)
"""Template of the insightface/OpenCV recognisers, 112x112: eyes, nose tip, mouth corners (image-left first)."""


def similarity_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity transform taking points `src` [N,2] to `dst` [N,2]."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mean_s, mean_d = src.mean(0), dst.mean(0)
    s, d = src - mean_s, dst - mean_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    fix = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        fix[1, 1] = -1
    rot = u @ fix @ vt
    var = (s**2).sum() / len(src)
    scale = (sig * np.diag(fix)).sum() / var if var > 0 else 1.0
    out = np.empty((2, 3))
    out[:, :2] = scale * rot
    out[:, 2] = mean_d - out[:, :2] @ mean_s
    return out


def align_face(
    image_bgr: np.ndarray,
    landmarks: Sequence[tuple[float, float]],
    template: np.ndarray = ARCFACE_112,
    size: int = 112,
) -> np.ndarray:
    """The face warped onto `template` as a `size` x `size` BGR crop."""
    matrix = similarity_matrix(np.asarray(landmarks, np.float32), template * (size / 112.0))
    return cv2.warpAffine(
        image_bgr, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
