"""Face verification benchmark (one command, prints tables; protocol in docs/face.md):

    .venv/bin/python bench/face.py [--data ../shared/datasets/faces-celeba] [--people N]

Runs OpenCV's own YuNet + SFace pipeline (cv2.FaceDetectorYN + cv2.FaceRecognizerSF,
int8bq models, largest face, cosine) as the anchor and our verifier
(edge.vision.faceid on onnxruntime) on the same decoded photos, interleaved in one
process: detection rate, TAR at FAR 1 % and 0.1 % on the given pairs, on all pairs of
the split and on kiosk-like pairs (chip-like portrait against simulated live frames),
the threshold each gives, and time per verification beside the bare model times."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from face_levers import Levers  # noqa: E402
from face_pairs import (  # noqa: E402
    all_pair_scores,
    cosine,
    far_at,
    load_pairs,
    load_photos,
    portrait_from,
    print_table,
    rates_row,
    recapture,
    tar,
    threshold_at_far,
)
from machine import describe  # noqa: E402

from edge.vision.faceid.portrait import decode_image  # noqa: E402
from edge.vision.faceid.quality import assess, main_face, pose_of  # noqa: E402
from edge.vision.faceid.sface import SFaceEmbedder  # noqa: E402
from edge.vision.faceid.verifier import FaceVerifier  # noqa: E402
from firmware_config.faceid import FaceVerifierConfig, SFaceConfig  # noqa: E402
from models.manifest import model_path  # noqa: E402

FRAMES = 3


class Anchor:
    """OpenCV's own pipeline, as its samples use it."""

    def __init__(self) -> None:
        self.det = cv2.FaceDetectorYN.create(
            str(model_path("yunet_2023mar_int8bq")), "", (320, 320), 0.9, 0.3, 5000
        )
        self.rec = cv2.FaceRecognizerSF.create(str(model_path("sface_2021dec_int8bq")), "")

    def run(self, image: np.ndarray) -> tuple[np.ndarray | None, dict[str, float]]:
        h, w = image.shape[:2]
        t0 = time.perf_counter()
        self.det.setInputSize((w, h))
        faces = self.det.detect(image)[1]
        t1 = time.perf_counter()
        if faces is None or not len(faces):
            return None, {"det": t1 - t0, "total": t1 - t0}
        face = max(faces, key=lambda f: f[2] * f[3])
        crop = self.rec.alignCrop(image, face)
        t2 = time.perf_counter()
        emb = self.rec.feature(crop).ravel().copy()
        t3 = time.perf_counter()
        return emb, {"det": t1 - t0, "rec": t3 - t2, "total": t3 - t0}


class Ours:
    """Our verifier (configured defaults), plus the flip-averaging variant and bare
    model timings on the same input."""

    def __init__(self, config: FaceVerifierConfig) -> None:
        self.verifier = FaceVerifier.from_config(config)
        self.config = config
        embedder = self.verifier.embedder
        assert isinstance(embedder, SFaceEmbedder)
        self.plain = SFaceEmbedder(embedder.session, SFaceConfig(flip_average=False))
        self.flip = SFaceEmbedder(embedder.session, SFaceConfig(flip_average=True))
        self.levers = Levers(config)

    def run(self, image: np.ndarray, extras: bool = False) -> tuple[dict, dict[str, float]]:
        t0 = time.perf_counter()
        faces = self.verifier.detect(image)
        face = main_face(faces)
        emb = self.verifier.embed(image, face) if face is not None else None
        total = time.perf_counter() - t0
        out: dict = {"emb": emb, "face": face, "faces": faces}
        times = {"total": total}
        if face is not None:
            out["flip"] = self.flip.embed(image, [face.keypoints[:5]])[0]
        if extras and face is not None:
            out["gate"] = assess(image, faces, self.config.quality).ok
            det = self.verifier.detector
            tensor, _ = det.preprocess(image)  # type: ignore[attr-defined]
            t = time.perf_counter()
            det.session.run(None, {det.input_name: tensor})  # type: ignore[attr-defined]
            times["det"] = time.perf_counter() - t
            crop = self.plain.crops(image, [face.keypoints[:5]])
            sess, name = self.plain.session, self.plain.input_name
            batch = np.concatenate([crop, crop[:, :, ::-1]]).transpose(0, 3, 1, 2).astype(np.float32)
            t = time.perf_counter()
            sess.run(None, {name: batch[:1]})
            times["rec"] = time.perf_counter() - t
            t = time.perf_counter()
            sess.run(None, {name: batch})
            times["rec_flip"] = time.perf_counter() - t
            self.levers.measure(tensor, batch[:1])
        return out, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets" / "faces-celeba")
    parser.add_argument("--people", type=int, default=0, help="only the first N people (quick runs)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    if not (args.data / "labels.csv").is_file():
        print(f"bench/face.py: no data set at {args.data}", file=sys.stderr)
        return 2
    photos = load_photos(args.data)
    if args.people:
        keep = sorted({p.identity for p in photos})[: args.people]
        photos = [p for p in photos if p.identity in keep]
    config = FaceVerifierConfig()
    anchor, ours = Anchor(), Ours(config)
    started, load_at_start = time.time(), os.getloadavg()[0]
    rec: dict[str, dict] = {}
    for p in photos:
        image = cv2.imread(str(args.data / p.file), cv2.IMREAD_COLOR)
        a_emb, a_t = anchor.run(image)
        o, o_t = ours.run(image, extras=True)
        rec[p.file] = {"image": image, "anchor": a_emb, "anchor_t": a_t, "ours_t": o_t, **o}
    files = [p.file for p in photos]
    ids = [p.identity for p in photos]
    found_a = sum(rec[f]["anchor"] is not None for f in files)
    found_o = sum(rec[f]["emb"] is not None for f in files)
    det_a, det_o = f"{100 * found_a / len(files):.1f} %", f"{100 * found_o / len(files):.1f} %"

    pairs = [(a, b, s) for a, b, s in load_pairs(args.data) if a in rec and b in rec]
    rows = []
    variants = (("anchor (OpenCV)", "anchor", det_a), ("ours", "emb", det_o), ("ours + flip", "flip", det_o))
    for label, key, det in variants:
        scores = np.array([cosine(rec[a].get(key), rec[b].get(key)) for a, b, _ in pairs])
        same = np.array([s for _, _, s in pairs])
        rows.append(rates_row(f"celeba pairs: {label}", det, scores[same], scores[~same]))
    for label, key, det in variants:
        g, i = all_pair_scores([rec[f].get(key) for f in files], ids)
        rows.append(rates_row(f"celeba all: {label}", det, g, i))

    # kiosk-like: a chip-like portrait of each person's most frontal photo vs their other photos
    by_id: dict[str, list[str]] = defaultdict(list)
    for p in photos:
        by_id[p.identity].append(p.file)
    rng = np.random.default_rng(args.seed)
    portraits: dict[str, dict] = {}
    for ident, fs in by_id.items():
        cands = [f for f in fs if rec[f]["face"] is not None]
        if not cands:
            continue
        best = min(
            cands,
            key=lambda f: (
                round(abs(pose_of(rec[f]["face"].keypoints).yaw), 2),
                -pose_of(rec[f]["face"].keypoints).eye_distance,
            ),
        )
        portrait = decode_image(portrait_from(rec[best]["image"], np.array(rec[best]["face"].keypoints)))
        o, _ = ours.run(portrait)
        portraits[ident] = {
            "file": best,
            "anchor": anchor.run(portrait)[0],
            "ours": o["emb"],
            "flip": o.get("flip"),
        }
    live = []
    for p in photos:
        if p.identity not in portraits or p.file == portraits[p.identity]["file"]:
            continue
        image, face = rec[p.file]["image"], rec[p.file]["face"]
        size = 2 * pose_of(face.keypoints).eye_distance if face is not None else min(image.shape[:2]) / 3
        frames = [recapture(image, size, rng) for _ in range(FRAMES)]
        outs = [ours.run(fr)[0] for fr in frames]
        embs = [o["emb"] for o in outs if o["emb"] is not None]
        flips = [o["flip"] for o in outs if o["emb"] is not None]
        live.append(
            {
                "identity": p.identity,
                "anchor": anchor.run(frames[0])[0],
                "single": outs[0]["emb"],
                "avg": FaceVerifier.average(embs) if embs else None,
                "avg_flip": FaceVerifier.average(flips) if flips else None,
                "gate": assess(frames[0], outs[0]["faces"], config.quality).ok,
            }
        )
    kiosk_rows, chosen = [], None
    for subset, sel in (("all live", lambda x: True), ("gated live", lambda x: x["gate"])):
        chosen_live = [x for x in live if sel(x)]
        share = f"{len(chosen_live)}/{len(live)}"
        for label, pkey, lkey in (
            ("anchor (OpenCV), 1 frame", "anchor", "anchor"),
            ("ours, 1 frame", "ours", "single"),
            (f"ours, {FRAMES} frames", "ours", "avg"),
            (f"ours + flip, {FRAMES} frames", "flip", "avg_flip"),
        ):
            g, i = [], []
            for ident, por in portraits.items():
                for x in chosen_live:
                    (g if x["identity"] == ident else i).append(cosine(por[pkey], x[lkey]))
            g, i = np.array(g), np.array(i)
            kiosk_rows.append(rates_row(f"kiosk-like, {subset}: {label}", share, g, i))
            if subset == "gated live" and lkey == "avg":
                chosen = (float(np.ceil(threshold_at_far(i, 0.001) * 100) / 100), g, i)
    elapsed = time.time() - started

    print(f"# Face verification bench ({describe(f'OpenCV {cv2.__version__}', 'onnxruntime')})")
    print(
        f"{len(files)} photos of {len(by_id)} people, {len(pairs)} given pairs; "
        f"kiosk-like: {len(portraits)} portraits x {len(live)} live photos ({FRAMES} simulated frames each); "
        f"run took {elapsed:.0f} s, load avg {load_at_start:.2f} at start\n"
    )
    header = [
        "set: pipeline",
        "detected / gated",
        "same/diff pairs",
        "TAR @ FAR 1 %",
        "thr",
        "TAR @ FAR 0.1 %",
        "thr",
    ]
    print_table(header, rows + kiosk_rows)
    if chosen:
        t, g, i = chosen
        print(
            f"Decision threshold (FAR 0.1 % on kiosk-like gated pairs, {FRAMES} frames, rounded up): {t:.2f} "
            f"-> TAR {100 * tar(g, t):.1f} %, FAR {100 * far_at(i, t):.3f} % on those pairs\n"
        )
    timing(files, pairs, rec)
    print(
        "Bare model times per lever (same inputs, one session each, rotating order; "
        f"ratio to the configured setting; OpenCV threads {cv2.getNumThreads()}):\n"
    )
    print_table(["model, setting", "median ms", "ratio"], ours.levers.rows())
    return 0


def timing(files: list[str], pairs: list, rec: dict) -> None:
    def med(key: str, part: str) -> float:
        vals = [rec[f][key][part] for f in files if part in rec[f][key]]
        return 1000 * statistics.median(vals) if vals else float("nan")

    per_pair = {
        k: 1000 * statistics.median(rec[a][k]["total"] + rec[b][k]["total"] for a, b, _ in pairs)
        for k in ("anchor_t", "ours_t")
    }
    a_bare, o_bare = (
        med("anchor_t", "det") + med("anchor_t", "rec"),
        med("ours_t", "det") + med("ours_t", "rec"),
    )
    print_table(
        [
            "pipeline",
            "detector ms",
            "embedder ms",
            "pipeline ms / photo",
            "pipeline / bare",
            "ms / verification",
        ],
        [
            [
                "anchor (OpenCV)",
                f"{med('anchor_t', 'det'):.1f}",
                f"{med('anchor_t', 'rec'):.1f}",
                f"{med('anchor_t', 'total'):.1f}",
                f"{med('anchor_t', 'total') / a_bare:.2f}x",
                f"{per_pair['anchor_t']:.1f}",
            ],
            [
                "ours",
                f"{med('ours_t', 'det'):.1f}",
                f"{med('ours_t', 'rec'):.1f} (flip pair {med('ours_t', 'rec_flip'):.1f})",
                f"{med('ours_t', 'total'):.1f}",
                f"{med('ours_t', 'total') / o_bare:.2f}x",
                f"{per_pair['ours_t']:.1f}",
            ],
            [
                "ratio ours / anchor",
                f"{med('ours_t', 'det') / med('anchor_t', 'det'):.2f}",
                f"{med('ours_t', 'rec') / med('anchor_t', 'rec'):.2f}",
                f"{med('ours_t', 'total') / med('anchor_t', 'total'):.2f}",
                "",
                f"{per_pair['ours_t'] / per_pair['anchor_t']:.2f}",
            ],
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main())
