"""Choose the second-read gate and variants on the scene training split only.

    nice -n 10 .venv/bin/python -m models.train.select_second_read [--copies 4] [--part train]

`PlateReaderConfig.second_read` reads an unsure crop again in a few perturbed
versions (`edge/vision/plates/second_read.py`). This script reads the training-split
plates as the reader cuts them from their frames plus `--copies` augmented copies of
each (the recogniser's training augmentation, `LineSampler.augmented_crops`, with a
seed of its own, not the validator's), once as they are and once per variant, then
replays every gate (weakest-glyph confidence below C, score gap above G), variant
subset and combination rule offline and prints the best settings: most exact reads,
never losing a plain plate, ties to the fewest crops read twice (speed).

Held-out scenes and the crop set are never read for choosing: `--part held_out`
with `--copies 4 --seed 20261122` reproduces the recogniser validator's 42 + 168 crops
and only prints the figures of the settings passed with `--check`."""

from __future__ import annotations

import argparse
import itertools
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.deskew import level_text
from edge.vision.plates.reader import PlateReader, Reading
from edge.vision.plates.second_read import VARIANTS
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig
from models.manifest import resolve_model
from models.train.rec_data import LineSampler, compact, held_out_crops, load_sources
from models.train.rec_data import _reader_crop as reader_crop

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT.parent / "shared" / "datasets" / "vn-plates"
CONFIDENCES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.01)
GAPS = (0.5, 1.0, 2.0, 4.0, 8.0, math.inf)


@dataclass
class Case:
    plain: bool
    label: str
    first: Reading | None
    variants: dict[str, Reading | None]


def text_of(reader: PlateReader, choice: Reading | None) -> str | None:
    got = reader._accept(_DUMMY, *choice) if choice else None
    return compact(got.text) if got else None


_DUMMY = np.zeros((8, 8, 3), np.uint8)  # `_accept` only takes the box size from the crop


def combine(reader: PlateReader, first: Reading | None, others: list[Reading | None], rule: str):
    """The reading kept: `better` = the reader's `_better` over all (first wins ties);
    `vote` = the acceptable text most readings agree on, ties by `_better`."""
    if rule == "better":
        best = first
        for c in others:
            if c is not None and (best is None or reader._better(c[1], best[1])):
                best = c
        return best
    return reader.agreed(_DUMMY, [first, *others])


def build(
    dataset: Path, part: str, copies: int, seed: int, model: str | None
) -> tuple[PlateReader, list[Case]]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    rec_cfg = CtcRecognizerConfig() if model is None else CtcRecognizerConfig(model=model)
    session = ort.InferenceSession(
        str(resolve_model(rec_cfg.model)), opts, providers=["CPUExecutionProvider"]
    )
    cfg = PlateReaderConfig(second_read_variants=VARIANTS)
    reader = PlateReader(None, CtcRecognizer(session, rec_cfg), cfg)  # type: ignore[arg-type]
    if part == "train":
        plain = [
            (reader_crop(s.frame, s.box, cfg.crop_margin), s.text) for s in load_sources(dataset, "train")
        ]
    else:
        plain = held_out_crops(dataset)
    augmented = LineSampler(dataset, random.Random(seed), 0.0, part).augmented_crops(copies)
    cases = []
    for is_plain, (crop, label) in [(True, c) for c in plain] + [(False, c) for c in augmented]:
        prepared = level_text(crop, cfg.deskew_max_slope, cfg.deskew_min_gain)
        first = reader.readings([prepared])[0]
        variants = dict(reader.variant_readings(crop, prepared is not crop))
        cases.append(Case(is_plain, compact(label), first, variants))
    return reader, cases


def score(reader: PlateReader, cases: list[Case], conf: float, gap: float, subset, rule: str):
    """(plain exact, augmented exact, crops read twice) under one setting."""
    reader.config = reader.config.model_copy(
        update={"second_read_below_confidence": conf, "second_read_above_gap": gap}
    )
    plain = aug = twice = 0
    for c in cases:
        choice = c.first
        if reader.unsure(c.first):
            twice += 1
            choice = combine(reader, c.first, [c.variants.get(v) for v in subset], rule)
        ok = text_of(reader, choice) == c.label
        plain += ok and c.plain
        aug += ok and not c.plain
    return plain, aug, twice


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--part", choices=("train", "held_out"), default="train")
    ap.add_argument("--copies", type=int, default=4, help="augmented copies per plate")
    ap.add_argument("--seed", type=int, default=515, help="augmentation seed (not the validator's)")
    ap.add_argument("--recognizer-model", help="manifest name or .onnx path (default: the configured one)")
    ap.add_argument(
        "--max-twice",
        type=float,
        default=0.25,
        help="settings reading more than this share of crops twice are not considered (time per plate)",
    )
    ap.add_argument("--top", type=int, default=15, help="settings printed")
    ap.add_argument(
        "--check", nargs=4, metavar=("C", "G", "VARIANTS", "RULE"), help="only score this setting"
    )
    args = ap.parse_args()
    reader, cases = build(args.dataset, args.part, args.copies, args.seed, args.recognizer_model)
    n_plain = sum(c.plain for c in cases)
    base = score(reader, cases, 0.0, math.inf, (), "better")
    print(f"{args.part}: {n_plain} plain + {len(cases) - n_plain} augmented; first read only: {base[:2]}")
    if args.check:
        c, g, v, rule = args.check
        print("setting", args.check, "->", score(reader, cases, float(c), float(g), v.split(","), rule))
        return 0
    if args.part != "train":
        raise SystemExit("settings are chosen on the training split only")
    results = []
    for r in range(1, len(VARIANTS) + 1):
        for subset in itertools.combinations(VARIANTS, r):
            for conf, gap, rule in itertools.product(CONFIDENCES, GAPS, ("better", "vote")):
                p, a, t = score(reader, cases, conf, gap, subset, rule)
                if p >= base[0] and t <= args.max_twice * len(cases):
                    results.append((p + a, -t, conf, gap, ",".join(subset), rule, p, a, t))
    results.sort(reverse=True)
    for row in results[: args.top]:
        print(
            f"exact {row[0]} (plain {row[6]}, aug {row[7]}) twice {row[8]}: C {row[2]} G {row[3]} {row[4]} {row[5]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
