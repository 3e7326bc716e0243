"""Scoring for bench/accuracy.py: detection recall / precision at IoU 0.5, exact-match
text on crops and end-to-end exact match on scenes, each timed per call. Exact match
compares `plate_format.compact` forms (digits and capitals only, Đ as D)."""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from edge.vision.plates.plate_format import compact
from edge.vision.plates.reader import PlateReader
from models.train.scene_eval import iou, to_720p


def med_ms(times: list[float]) -> str:
    return f"{1000 * statistics.median(times):.1f}" if times else "-"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print(f"\n## {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def run_720p(
    fn: Callable, scenes: dict, files: list[str]
) -> tuple[list[tuple[str, object, float]], list[float]]:
    """`fn` on each scene upscaled to a 720p frame, after one untimed warm-up call;
    returns (file, result, scale) per scene and the time of each call."""
    fn(to_720p(scenes[files[0]]["img"])[0])
    out, times = [], []
    for f in files:
        frame, r = to_720p(scenes[f]["img"])
        t0 = time.perf_counter()
        result = fn(frame)
        times.append(time.perf_counter() - t0)
        out.append((f, result, r))
    return out, times


def detection_rows(name: str, detect: Callable, scenes: dict, files: list[str], part: str) -> list[str]:
    tp = fp = n_gt = 0
    results, times = run_720p(detect, scenes, files)
    for f, found, r in results:
        boxes = [tuple(v / r for v in b) for b in found]  # type: ignore[attr-defined]
        gts = [lab.box for lab in scenes[f]["labels"]]
        n_gt += len(gts)
        matched = set()
        for b in boxes:
            hit = next((i for i, g in enumerate(gts) if i not in matched and iou(b, g) >= 0.5), None)
            if hit is None:
                fp += 1
            else:
                matched.add(hit)
                tp += 1
    recall = tp / n_gt if n_gt else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    return [
        name,
        part,
        str(len(files)),
        f"{100 * recall:.1f}",
        f"{100 * precision:.1f}",
        str(fp),
        med_ms(times),
    ]


def end_to_end_row(name: str, reader: PlateReader, scenes: dict, files: list[str], part: str) -> list[str]:
    ok = wrong = missed = 0
    results, times = run_720p(reader.read, scenes, files)
    for f, reads, r in results:
        for lab in scenes[f]["labels"]:
            hit = [p for p in reads if iou(tuple(v / r for v in p.box), lab.box) >= 0.5]
            if not hit:
                missed += 1
            elif compact(hit[0].text) == compact(lab.text):
                ok += 1
            else:
                wrong += 1
        extra = [
            p
            for p in reads
            if all(iou(tuple(v / r for v in p.box), lab.box) < 0.5 for lab in scenes[f]["labels"])
        ]
        wrong += len(extra)
    total = sum(len(scenes[f]["labels"]) for f in files)
    return [name, part, str(total), f"{100 * ok / total:.1f}", str(wrong), str(missed), med_ms(times)]


def load_crops(dataset: Path) -> list[tuple[np.ndarray, str, str]]:
    """(image, label text, layout) of every crop in the OCR set."""
    crops = []
    with (dataset / "ocr" / "labels.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            crops.append((cv2.imread(str(dataset / "ocr" / row["file"])), row["text"], row["layout"]))
    return crops


def crop_rows(
    variants: list[tuple[str, Callable[[np.ndarray], str]]], crops: list[tuple[np.ndarray, str, str]]
) -> list[list[str]]:
    """Exact-match rate one-line / two-line / all and median ms per crop, per reader."""
    rows = []
    for name, fn in variants:
        hits = {"one_line": [0, 0], "two_line": [0, 0]}
        times = []
        fn(crops[0][0])  # untimed warm-up
        for img, text, layout in crops:
            t0 = time.perf_counter()
            got = fn(img)
            times.append(time.perf_counter() - t0)
            hits[layout][0] += compact(got) == compact(text)
            hits[layout][1] += 1
        one, two = hits["one_line"], hits["two_line"]
        total = (one[0] + two[0]) / (one[1] + two[1])
        rows.append(
            [
                name,
                f"{100 * one[0] / one[1]:.1f} ({one[1]})",
                f"{100 * two[0] / two[1]:.1f} ({two[1]})",
                f"{100 * total:.1f}",
                med_ms(times),
            ]
        )
    return rows
