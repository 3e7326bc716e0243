"""Choose the weak-detection reject thresholds on the scene training split only.

    .venv/bin/python -m models.train.select_reject [--recognizer-model NAME]

`PlateReaderConfig.weak_detection_score` (S) and `weak_detection_min_confidence`
(C) drop a detector box when its score is below S and its reading's weakest glyph
below C (`edge/vision/plates/reject.py`). This script reads every detector box of
the training-split frames (720p, as `bench/accuracy.py` does) with the grammar
filter's confidence and gap limits off, so boxes today's recogniser already rejects
still count as negatives (a later recogniser may read them more confidently), and
applies a fixed rule:

* S: the detector score above every training-split box that is not a plate, rounded
  up to 0.05 (where the detector alone has never been wrong on the training split);
* C: half the weakest-glyph confidence of the least confident correct read of a
  training-split plate, rounded down to 0.01 (real plates read right sit far above
  it, with a factor 2 for plates harder than the training ones).

Held-out scenes and the crop set are never read. The rule is checked to keep every
training-split plate (recall 100 %); the figures on held-out scenes come from
`bench/accuracy.py`, not from here."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from edge.vision.models import registries
from edge.vision.plates.reader import PlateReader
from edge.vision.plates.reject import plate_like
from edge.vision.runtime import SessionFactory
from firmware_config.inference import InferenceConfig
from firmware_config.plates import NO_GAP_CHECK, PlateReaderConfig
from models.train.scene_eval import BoxRead, scene_reads
from models.train.split import split_scenes

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT.parent / "shared" / "datasets" / "vn-plates"


def training_boxes(dataset: Path, recognizer_model: str | None) -> list[BoxRead]:
    """Every detector box read as plate text on the training-split frames."""
    sessions = SessionFactory(InferenceConfig(intra_op_threads=1))
    detectors, recognizers = registries()
    cfg = PlateReaderConfig(min_confidence=0.0, max_score_gap=NO_GAP_CHECK, weak_detection_score=0.0)
    if recognizer_model:
        cfg = cfg.model_copy(
            update={"recognizer": cfg.recognizer.model_copy(update={"model": recognizer_model})}
        )
    reader = PlateReader(
        detectors.create(cfg.detector, sessions), recognizers.create(cfg.recognizer, sessions), cfg
    )
    train, _ = split_scenes(dataset / "scenes")
    return [b for _, b in scene_reads(reader, dataset / "scenes", train, sorted(train))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--dataset", type=Path, default=DATASET, help="vn-plates dev set (training-split scenes only)"
    )
    ap.add_argument(
        "--recognizer-model", help="recogniser manifest name or .onnx path (default: the configured one)"
    )
    args = ap.parse_args()
    boxes = training_boxes(args.dataset, args.recognizer_model)
    plates = [b for b in boxes if b[0]]
    right = [b for b in plates if b[1]]
    others = [b for b in boxes if not b[0]]
    s = math.ceil(max((b[2] for b in others), default=0.0) / 0.05) * 0.05
    c = math.floor(min(b[3] for b in right) / 2 * 100) / 100
    print(f"training split: {len(plates)} plate boxes ({len(right)} read right), {len(others)} other boxes")
    print("boxes that are not plates (score, weakest glyph, text):")
    for b in sorted(others, key=lambda b: -b[2]):
        print(f"  {b[2]:.3f}  {b[3]:.3f}  {b[4]}")
    print("weakest plate detections (score, weakest glyph, text):")
    for b in sorted(plates, key=lambda b: b[2])[:5]:
        print(f"  {b[2]:.3f}  {b[3]:.3f}  {b[4]}")
    print(f"least confident correct read: {min(b[3] for b in right):.3f}")
    kept = sum(plate_like(b[2], b[3], s, c) for b in plates)
    passed = sum(plate_like(b[2], b[3], s, c) for b in others)
    print(f"chosen: weak_detection_score {s:.2f}, weak_detection_min_confidence {c:.2f}")
    print(
        f"training split with them: plates kept {kept}/{len(plates)}, other boxes passing {passed}/{len(others)}"
    )
    return 0 if kept == len(plates) else 1


if __name__ == "__main__":
    raise SystemExit(main())
