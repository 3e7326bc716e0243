"""Plate reading on degraded dev frames, with and without the weak-detection reject
(one command, prints a table):

    .venv/bin/python bench/degraded.py

The dev scenes are clean daytime frames; cameras in the field blur, compress, darken
and add noise. Each scene is degraded in one of a few fixed ways (seeded), upscaled
into a 720p frame as `bench/accuracy.py` does, and read once by the default detector
and reader with the weak-detection reject switched off; the reject is then applied
to the same reads with the configured thresholds. So the table shows, per
degradation and split, what the reject costs (plates it drops, and of those the ones
read right) and what it saves (false plates it drops). Nothing here chooses a
threshold: `models/train/select_reject.py` does, on clean training-split frames."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plate_eval import table  # noqa: E402

from edge.vision.models import registries  # noqa: E402
from edge.vision.plates.reader import PlateReader  # noqa: E402
from edge.vision.plates.reject import plate_like  # noqa: E402
from edge.vision.runtime import SessionFactory  # noqa: E402
from firmware_config.inference import InferenceConfig  # noqa: E402
from firmware_config.plates import PlateReaderConfig  # noqa: E402
from models.train.scene_eval import scene_reads  # noqa: E402
from models.train.split import held_out_files, load_scene_labels  # noqa: E402

DEFAULT_DATASET = REPO.parent / "shared" / "datasets" / "vn-plates"


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def _half_resolution(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA), (w, h))


def degradations(rng: np.random.Generator) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    return {
        "none": lambda img: img,
        "blur (Gaussian, sigma 1.6)": lambda img: cv2.GaussianBlur(img, (0, 0), 1.6),
        "JPEG quality 25": lambda img: _jpeg(img, 25),
        "dark (gamma 2.2)": lambda img: np.clip(255 * (img / 255.0) ** 2.2, 0, 255).astype(np.uint8),
        "half resolution": _half_resolution,
        "sensor noise (sigma 14)": lambda img: np.clip(img + rng.normal(0, 14, img.shape), 0, 255).astype(
            np.uint8
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    args = ap.parse_args()
    if not (args.dataset / "scenes" / "labels.csv").is_file():
        print(f"dev plate set not found at {args.dataset}", file=sys.stderr)
        return 2
    configured = PlateReaderConfig()
    weak, floor = configured.weak_detection_score, configured.weak_detection_min_confidence
    cfg = configured.model_copy(update={"weak_detection_score": 0.0})  # reject applied below
    sessions = SessionFactory(InferenceConfig(intra_op_threads=1))
    detectors, recognizers = registries()
    reader = PlateReader(
        detectors.create(cfg.detector, sessions), recognizers.create(cfg.recognizer, sessions), cfg
    )
    labels = load_scene_labels(args.dataset / "scenes")
    held = sorted(held_out_files(list(labels)))
    parts = [("held-out", held), ("train split", sorted(set(labels) - set(held)))]

    rows = []
    for name, degrade in degradations(np.random.default_rng(5)).items():
        for part, files in parts:
            plates = sum(len(labels[f]) for f in files)
            found = right = dropped = dropped_right = false = false_dropped = 0
            for _, box in scene_reads(reader, args.dataset / "scenes", labels, files, degrade):
                kept = plate_like(box.detection_score, box.confidence, weak, floor)
                if not box.is_plate:
                    false += 1
                    false_dropped += not kept
                    continue
                found, right = found + kept, right + (box.read_right and kept)
                dropped, dropped_right = dropped + (not kept), dropped_right + (box.read_right and not kept)
            rows.append(
                [
                    name,
                    part,
                    str(plates),
                    f"{found} ({right})",
                    f"{dropped} ({dropped_right})",
                    f"{false_dropped}/{false}",
                ]
            )
    table(
        f"Degraded frames, weak-detection reject at score {weak:.2f} / weakest glyph {floor:.2f}",
        [
            "degradation",
            "scenes",
            "plates",
            "kept: found (read right)",
            "reject dropped: plates (read right)",
            "false plates dropped / without the reject",
        ],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
