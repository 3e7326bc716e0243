"""Plate reading accuracy and speed on the dev sets in ../shared (one command):

    .venv/bin/python bench/accuracy.py [--dataset DIR] [--threads N]
        [--recognizer-model NAME] [--compare-recognizer NAME ...] [--no-baselines] [--no-crops]

Prints one table per question, ours and the baselines measured side by side in the
same run on this machine:
  1. detection recall / precision at IoU 0.5 on the scene set, and ms per 720p frame;
  2. exact-match text on the crop set, one-line / two-line, and ms per plate;
  3. end-to-end exact match on the scene set, and ms per frame;
  4. real footage (issue 11): the shared traffic clips replayed at native resolution
     through the daemon's vision service with the intersection-camera profile, plate
     events scored against our hand labels (bench/labels/, protocol there): recall of
     person-readable vehicle passes, precision of events, per plate kind;
  5. plate colour on real plates (hand colour labels, bench/labels/plate-colours.csv):
     accuracy per colour and source, each plate cut as the reader cuts it.
Our detector was trained on the scene set's training split (models/train/split.py),
so scene figures are given for the held-out quarter and the training part separately;
the crop set was never trained on. Exact match compares plate_format.compact(text)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plate_baselines import det_rec_fn, reader_fn, string_fixup_fn  # bench/ is on sys.path
from plate_eval import crop_rows, detection_rows, end_to_end_row, load_crops, table
from real_footage import CLIPS_DIR, load_labels, pass_rows, profile_vision, replay_passes

from edge.vision.plates import register_plate_backends
from edge.vision.plates.reader import PlateReader
from edge.vision.plugins import Detector, PluginRegistry, TextRecognizer
from edge.vision.runtime import SessionFactory
from firmware_config.inference import InferenceConfig
from firmware_config.plates import (
    CtcRecognizerConfig,
    PlateReaderConfig,
    PpOcrDetectorConfig,
    YoloPlateDetectorConfig,
)
from models.train.split import held_out_files, load_scene_labels

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "vn-plates"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads per model (0 = one per core)")
    ap.add_argument(
        "--detector-model", help="detector manifest name or .onnx path (default: the configured one)"
    )
    ap.add_argument(
        "--recognizer-model", help="recogniser manifest name or .onnx path (default: the configured one)"
    )
    ap.add_argument(
        "--compare-recognizer",
        action="append",
        default=[],
        metavar="MODEL",
        help="also read crops and scenes with this recogniser (repeatable; before/after in one run)",
    )
    ap.add_argument("--no-baselines", action="store_true", help="only our configuration (faster)")
    ap.add_argument("--no-real", action="store_true", help="skip the real-footage table (traffic clips)")
    ap.add_argument("--no-colour", action="store_true", help="skip the plate colour table")
    ap.add_argument(
        "--no-crops",
        action="store_true",
        help="skip the crop set (scene questions only: checks a change on the held-out scenes "
        "without producing a crop figure)",
    )
    args = ap.parse_args()
    if not (args.dataset / "scenes" / "labels.csv").is_file():
        print(
            f"dev plate set not found at {args.dataset} (../shared beside the project root)", file=sys.stderr
        )
        return 2
    sessions = SessionFactory(InferenceConfig(intra_op_threads=args.threads))
    detectors: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    recognizers: PluginRegistry[TextRecognizer] = PluginRegistry("recognizer", TextRecognizer)
    register_plate_backends(detectors, recognizers)
    ours_cfg = PlateReaderConfig()
    if args.detector_model:
        ours_cfg = ours_cfg.model_copy(
            update={"detector": YoloPlateDetectorConfig(model=args.detector_model)}
        )
    if args.recognizer_model:
        ours_cfg = ours_cfg.model_copy(
            update={"recognizer": ours_cfg.recognizer.model_copy(update={"model": args.recognizer_model})}
        )
    det = detectors.create(ours_cfg.detector, sessions)
    rec = recognizers.create(ours_cfg.recognizer, sessions)
    reader = PlateReader(det, rec, ours_cfg)
    compared = {
        model: PlateReader(
            det,
            recognizers.create(ours_cfg.recognizer.model_copy(update={"model": model}), sessions),
            ours_cfg,
        )
        for model in args.compare_recognizer
    }

    labels = load_scene_labels(args.dataset / "scenes")
    scenes = {
        f: {"img": cv2.imread(str(args.dataset / "scenes" / f)), "labels": labs} for f, labs in labels.items()
    }
    held = sorted(held_out_files(list(scenes)))
    train = sorted(set(scenes) - set(held))
    parts = [("held-out", held), ("train split", train)]
    header = ["detector", "scenes", "frames", "recall %", "precision %", "false +", "ms/720p frame"]

    rows = []
    ours_name = f"ours: YOLO-layout {Path(ours_cfg.detector.model).name}"
    for part, files in parts:
        rows.append(
            detection_rows(ours_name, lambda im: [d.box for d in det.detect(im)], scenes, files, part)
        )
        rows.append(
            detection_rows(
                ours_name + " + grammar filter",
                lambda im: [p.box for p in reader.read(im)],
                scenes,
                files,
                part,
            )
        )
    for model, alt_reader in compared.items():
        for part, files in parts:
            rows.append(
                detection_rows(
                    f"{ours_name} + grammar filter on {model}",
                    lambda im, rd=alt_reader: [p.box for p in rd.read(im)],
                    scenes,
                    files,
                    part,
                )
            )
    if not args.no_baselines:
        ppdet = detectors.create(PpOcrDetectorConfig(), sessions)
        pp_reader = PlateReader(ppdet, rec, ours_cfg)
        for part, files in parts:
            rows.append(
                detection_rows(
                    "baseline: PP-OCRv6 det proposals",
                    lambda im: [d.box for d in ppdet.detect(im)],
                    scenes,
                    files,
                    part,
                )
            )
            rows.append(
                detection_rows(
                    "baseline: PP-OCRv6 det + grammar filter",
                    lambda im: [p.box for p in pp_reader.read(im)],
                    scenes,
                    files,
                    part,
                )
            )
    table("Plate detection (IoU 0.5)", header, rows)

    if not args.no_crops:
        variants: list[tuple[str, Callable[[np.ndarray], str]]] = []
        variants.append((f"ours: {ours_cfg.recognizer.model} per line + grammar CTC", reader_fn(reader)))
        for model, alt_reader in compared.items():
            variants.append((f"{model} per line + grammar CTC", reader_fn(alt_reader)))
        if not args.no_baselines:
            for model in ("ppocr_v6_rec_small_plate", "ppocr_v4_rec", "ppocr_v6_rec_small"):
                alt = recognizers.create(CtcRecognizerConfig(model=model), sessions)
                variants.append(
                    (f"{model} per line + grammar CTC", reader_fn(PlateReader(det, alt, ours_cfg)))
                )
            v6 = recognizers.create(CtcRecognizerConfig(model="ppocr_v6_rec_small"), sessions)
            variants.append(
                ("baseline: v6 small per line, greedy + string fix-up", string_fixup_fn(reader, v6))
            )
            variants.append(("baseline: PP-OCR det+rec on the crop (RapidOCR-style)", det_rec_fn(ppdet, v6)))
        table(
            "Plate text on crops (exact match; crop set never trained on)",
            ["reader", "one-line %", "two-line %", "all %", "ms/plate"],
            crop_rows(variants, load_crops(args.dataset)),
        )

    rows = [end_to_end_row("ours: detector + reader", reader, scenes, files, part) for part, files in parts]
    for model, alt_reader in compared.items():
        rows += [
            end_to_end_row(f"detector + reader on {model}", alt_reader, scenes, files, part)
            for part, files in parts
        ]
    if not args.no_baselines:
        rows += [
            end_to_end_row("baseline: PP-OCRv6 det + our reader", pp_reader, scenes, files, part)
            for part, files in parts
        ]
    table(
        "End to end on scenes (720p frames)",
        ["pipeline", "scenes", "plates", "exact %", "wrong/extra", "missed", "ms/frame"],
        rows,
    )
    if not args.no_real and CLIPS_DIR.is_dir():
        real_footage_table()
    if not args.no_colour and CLIPS_DIR.is_dir():
        colour_table()
    return 0


def colour_table() -> None:
    from plate_colour_eval import colour_cases, colour_rows

    from edge.vision.plates.colour import plate_colour

    table(
        "Plate colour on real plates (hand colour labels, bench/labels/README.md; cut as the reader cuts, "
        "frame white balance; 'repainted' = real scene plates repainted, not real paint)",
        ["source", "labelled colour", "plates", "right", "accuracy %", "called instead"],
        colour_rows(list(colour_cases()), plate_colour),
    )


def real_footage_table() -> None:
    from edge.vision.models import VisionModels

    vision, _, _ = profile_vision()
    models = VisionModels.build(vision, plates=True, faces=False)
    results = [replay_passes(clip, models) for clip in sorted(CLIPS_DIR.glob("*.mp4"))]
    table(
        "Real footage: shared traffic clips at native resolution, intersection profile, vehicle passes "
        "(hand labels, bench/labels/README.md; never trained on)",
        [
            "clip",
            "plate kind",
            "readable passes",
            "read exactly",
            "of those, read on the plate",
            "their events",
            "events right / all (precision)",
            "events (text, colour, layout, box on the labelled plate?)",
        ],
        pass_rows(results, load_labels()),
    )


if __name__ == "__main__":
    raise SystemExit(main())
