"""`edge detect --image FILE|DIR --config FILE`: run the configured models on still
images and print what they find as JSON, for technicians tuning a camera on site.
Plates are searched as the daemon searches them (`vision.plates.search`, the first
plate camera's `plate_roi`), without the motion gate: a still image has no motion.

It builds the models exactly as the daemon does (`edge.vision.models`), so what it
prints is what `edge run` would see in the same picture. Face results are boxes and
scores only; no face pixels are written anywhere."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from edge.exit_codes import ExitCode

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="run the vision models on images and print JSON")
    p.add_argument("--image", required=True, type=Path, help="an image file or a folder of images")
    p.add_argument("--config", required=True, help="YAML device configuration (its `vision` section is used)")
    p.add_argument(
        "--what",
        default=None,
        help="comma-separated subset of plates,faces (default: what the configured cameras detect)",
    )
    p.set_defaults(func=run)


def _images(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [path]


def run(args: argparse.Namespace) -> int:
    from edge.commands.config_arg import load_or_report
    from firmware_config.vision import VisionConfig

    cfg = load_or_report(args.config)
    if cfg is None:
        return ExitCode.CONFIG
    vision = cfg.vision or VisionConfig()
    if args.what:
        what = {w.strip() for w in args.what.split(",") if w.strip()}
        if not what <= {"plates", "faces"}:
            print(
                f"--what: unknown item(s) {sorted(what - {'plates', 'faces'})}; use plates,faces",
                file=sys.stderr,
            )
            return ExitCode.USAGE
    else:
        what = {d for c in cfg.cameras for d in c.detect} or {"plates"}
        if vision.faces is not None:
            what.add("faces")
    files = _images(args.image)
    if not files or not all(f.is_file() for f in files):
        print(f"{args.image}: no image file(s) found", file=sys.stderr)
        return ExitCode.INPUT

    import cv2

    from edge.vision.models import VisionModels
    from edge.vision.runtime import ModelLoadError

    try:
        models = VisionModels.build(vision, plates="plates" in what, faces="faces" in what)
    except (ModelLoadError, LookupError, ValueError) as exc:
        print(f"cannot load models: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    # the region of interest of the first camera that reads plates (the profile's camera)
    roi = next((c.plate_roi for c in cfg.cameras if "plates" in c.detect), [])
    unreadable = 0
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        result: dict = {"image": str(path)}
        if image is None:
            unreadable += 1
            result["error"] = "not a readable image"
            print(json.dumps(result, ensure_ascii=False))
            continue
        result["size"] = [image.shape[1], image.shape[0]]
        if models.plates is not None:
            started = time.perf_counter()
            reads = models.plates.read(image, roi)
            result["plates_ms"] = round(1000 * (time.perf_counter() - started), 1)
            result["plates"] = [
                {
                    "box": [round(v) for v in r.box],
                    "text": r.text,
                    "confidence": round(r.confidence, 4),
                    "layout": r.layout,
                    "colour": r.colour,
                    "candidates": [{"text": t, "confidence": round(c, 4)} for t, c in r.candidates],
                    "detection_score": round(r.detection_score, 4),
                }
                for r in reads
            ]
        if models.faces is not None:
            started = time.perf_counter()
            faces = models.faces.detect(image)
            result["faces_ms"] = round(1000 * (time.perf_counter() - started), 1)
            result["faces"] = [{"box": [round(v) for v in f.box], "score": round(f.score, 4)} for f in faces]
        print(json.dumps(result, ensure_ascii=False))
    return ExitCode.INPUT if unreadable == len(files) else ExitCode.OK
