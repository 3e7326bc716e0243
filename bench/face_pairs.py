"""Pair sets and rates for bench/face.py (protocol: docs/face.md).

Kept apart from the bench's timing loop: how kiosk-like portraits and simulated live
frames are made, and how TAR at a fixed FAR is read off the scores."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FARS = (0.01, 0.001)
PORTRAIT_SIZE = (240, 320)  # width, height of a CCCD chip portrait
PORTRAIT_QUALITY = 60
FRAME_QUALITY = 85


@dataclass(frozen=True)
class Photo:
    file: str
    identity: str


def load_photos(root: Path) -> list[Photo]:
    with (root / "labels.csv").open() as fh:
        return [Photo(r["file"], r["identity"]) for r in csv.DictReader(fh)]


def load_pairs(root: Path) -> list[tuple[str, str, bool]]:
    with (root / "pairs.csv").open() as fh:
        return [(r["file_a"], r["file_b"], r["same"] == "1") for r in csv.DictReader(fh)]


def threshold_at_far(impostor: np.ndarray, far: float) -> float:
    """Smallest threshold t with at most a fraction `far` of impostor scores >= t."""
    scores = np.sort(np.asarray(impostor, np.float64))[::-1]
    if not len(scores):
        return float("nan")
    allowed = int(np.floor(far * len(scores)))
    if allowed >= len(scores):
        return float(scores[-1])
    return float(np.nextafter(scores[allowed], np.inf))


def tar(genuine: np.ndarray, threshold: float) -> float:
    return float(np.mean(np.asarray(genuine) >= threshold)) if len(genuine) else float("nan")


def far_at(impostor: np.ndarray, threshold: float) -> float:
    return float(np.mean(np.asarray(impostor) >= threshold)) if len(impostor) else float("nan")


def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Similarity of two unit embeddings; -1 when either photo had no face (a reject)."""
    if a is None or b is None:
        return -1.0
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def all_pair_scores(
    embeddings: Sequence[np.ndarray | None], identities: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor scores over every unordered pair of photos."""
    dim = next(e.shape[0] for e in embeddings if e is not None)
    mat = np.stack([e / np.linalg.norm(e) if e is not None else np.zeros(dim) for e in embeddings])
    found = np.array([e is not None for e in embeddings])
    sims = mat @ mat.T
    sims[~found, :] = -1.0
    sims[:, ~found] = -1.0
    ids = np.asarray(identities)
    upper = np.triu(np.ones_like(sims, bool), k=1)
    same = ids[:, None] == ids[None, :]
    return sims[upper & same], sims[upper & ~same]


def portrait_from(image: np.ndarray, landmarks: np.ndarray) -> bytes:
    """A chip-like portrait: passport framing around the face (eye distance about a
    fifth of the width, eyes a little above the middle), 240x320, JPEG quality 60."""
    pts = np.asarray(landmarks, np.float64)
    eyes = (pts[0] + pts[1]) / 2
    eye_dist = max(np.linalg.norm(pts[1] - pts[0]), 1.0)
    angle = np.degrees(np.arctan2(pts[1][1] - pts[0][1], pts[1][0] - pts[0][0]))
    w, h = PORTRAIT_SIZE
    scale = (0.21 * w) / eye_dist
    matrix = cv2.getRotationMatrix2D((float(eyes[0]), float(eyes[1])), angle, scale)
    matrix[:, 2] += np.array([w / 2, 0.42 * h]) - eyes
    crop = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, PORTRAIT_QUALITY])
    assert ok
    return buf.tobytes()


def recapture(image: np.ndarray, face_size: float, rng: np.random.Generator) -> np.ndarray:
    """One simulated camera frame of a person holding still: small shift, scale and
    rotation, brightness change, sensor noise, JPEG 85 (docs/face.md)."""
    h, w = image.shape[:2]
    angle = rng.uniform(-3, 3)
    scale = rng.uniform(0.97, 1.03)
    shift = rng.uniform(-0.03, 0.03, 2) * face_size
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += shift
    frame = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    frame = frame.astype(np.float32) * rng.uniform(0.9, 1.1) + rng.normal(0, 3, frame.shape)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, FRAME_QUALITY])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def rates_row(name: str, found: str, genuine: np.ndarray, impostor: np.ndarray) -> list[str]:
    row = [name, found, f"{len(genuine)}/{len(impostor)}"]
    for far in FARS:
        t = threshold_at_far(impostor, far)
        row += [f"{100 * tar(genuine, t):.1f} %", f"{t:.3f}"]
    return row


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
