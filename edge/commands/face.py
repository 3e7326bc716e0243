"""`edge face compare IMAGE_A IMAGE_B [--json]`: detection, similarity and decision
for two photos, for technicians checking a kiosk camera and for auditors checking a
decision. It builds the verifier exactly as the kiosk does (`edge.vision.faceid`),
so the similarity is the one the kiosk would compute. Images may be JPEG, JPEG 2000
(as a chip portrait), PNG or BMP. Nothing but numbers is printed: no face pixels are
written anywhere. Exit codes: 0 compared (match or not), 3 models missing, 4 an image
is unreadable, 5 no face in an image."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXIT_MODELS, EXIT_INPUT, EXIT_NO_FACE = 3, 4, 5


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("face", help="face verification tools (compare two photos)")
    tools = p.add_subparsers(dest="face_command", metavar="TOOL", required=True)
    c = tools.add_parser("compare", help="detect the largest face in each image and compare them")
    c.add_argument("image_a", type=Path, help="first image (e.g. the chip portrait)")
    c.add_argument("image_b", type=Path, help="second image (e.g. a kiosk camera frame)")
    c.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    c.add_argument(
        "--threshold", type=float, default=None, help="decision threshold (default: the configured one)"
    )
    c.set_defaults(func=compare)


def _side(path: Path, verifier) -> tuple[dict, object | None, int]:
    from edge.vision.faceid.portrait import PortraitError, decode_image, image_format

    out: dict = {"image": str(path)}
    try:
        data = path.read_bytes()
        image = decode_image(data)
    except (OSError, PortraitError) as exc:
        out["error"] = f"not a readable image: {exc}"
        return out, None, EXIT_INPUT
    out["format"] = image_format(data)
    out["size"] = [image.shape[1], image.shape[0]]
    started = time.perf_counter()
    found = verifier.find(image)
    out["ms"] = round(1000 * (time.perf_counter() - started), 1)
    out["face"] = found.summary() if found is not None else None
    return out, found, 0 if found is not None else EXIT_NO_FACE


def compare(args: argparse.Namespace) -> int:
    from edge.vision.faceid.verifier import FaceVerifier
    from edge.vision.runtime import ModelLoadError
    from firmware_config.faceid import FaceVerifierConfig

    config = FaceVerifierConfig()
    if args.threshold is not None:
        if not -1.0 <= args.threshold <= 1.0:
            print("--threshold: must be between -1 and 1", file=sys.stderr)
            return 2
        config = config.model_copy(update={"threshold": args.threshold})
    try:
        verifier = FaceVerifier.from_config(config)
    except (ModelLoadError, LookupError) as exc:
        print(f"cannot load models: {exc}", file=sys.stderr)
        return EXIT_MODELS
    a, found_a, code_a = _side(args.image_a, verifier)
    b, found_b, code_b = _side(args.image_b, verifier)
    result: dict = {"a": a, "b": b, "threshold": verifier.threshold, "models": verifier.models()}
    if found_a is not None and found_b is not None:
        similarity = verifier.similarity(found_a.embedding, found_b.embedding)  # type: ignore[attr-defined]
        result["similarity"] = round(similarity, 4)
        result["decision"] = "match" if verifier.decide(similarity) else "no_match"
    else:
        result["similarity"] = None
        result["decision"] = "no_face" if EXIT_INPUT not in (code_a, code_b) else "unreadable"
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key in ("a", "b"):
            side = result[key]
            what = side.get("error") or (
                f"face {side['face']['box']} score {side['face']['score']}" if side["face"] else "no face"
            )
            print(f"{key}: {side['image']}: {what}")
        if result["similarity"] is not None:
            print(
                f"similarity {result['similarity']:.4f}, threshold {result['threshold']:.2f}: {result['decision']}"
            )
        else:
            print(f"no comparison: {result['decision']}")
    return max(code_a, code_b)
