"""Held-out validation figures of recognisers, side by side (the adoption checks of
models/README.md, "Plates at intersection scale"):

    .venv/bin/python -m models.train.rec_eval MODEL.onnx [MODEL.onnx ...] [--copies 16]

For each model: held-out scene plates as cut from the frame (42), the augmented
held-out set (`copies` per plate, seed VAL_SEED: 672 with 16, the weight-average
protocol's set) and the same plates at intersection scale (`field_degrade`, seed
VAL_SEED + 1). Never reads the crop set or the traffic clips."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import onnxruntime as ort

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.plate_format import compact
from edge.vision.plates.reader import PlateReader
from firmware_config.plates import CtcRecognizerConfig
from models.train.plate_recognizer import DATASET, VAL_SEED
from models.train.rec_data import LineSampler, held_out_crops


def exact(model: Path, crops) -> int:
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    reader = PlateReader(None, CtcRecognizer(session, CtcRecognizerConfig()))  # type: ignore[arg-type]
    return sum(
        (got := reader.read_crop(crop)) is not None and compact(got.text) == compact(text)
        for crop, text in crops
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--copies", type=int, default=16)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    args = ap.parse_args()
    plain = held_out_crops(args.dataset)
    augmented = LineSampler(args.dataset, random.Random(VAL_SEED), 0.0, "held_out").augmented_crops(
        args.copies
    )
    field = LineSampler(args.dataset, random.Random(VAL_SEED + 1), 0.0, "held_out").augmented_crops(
        args.copies, field=True
    )
    print(
        f"| model | held-out plain ({len(plain)}) | augmented ({len(augmented)}) | field scale ({len(field)}) |"
    )
    print("|---|---|---|---|")
    for model in args.models:
        print(
            f"| {model} | {exact(model, plain)} | {exact(model, augmented)} | {exact(model, field)} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
