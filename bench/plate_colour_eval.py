"""Plate colour accuracy on real plates, scored against our hand colour labels
(`bench/labels/plate-colours.csv`, protocol in `bench/labels/README.md`).

Every plate is cut as the reader cuts it (the box plus `crop_margin`, from the full
frame) and its colour read with the frame's mean colour as white-balance reference,
as `PlateReader.read` does; the dev crop set has no frame, so its crops are read as
they are (`PlateReader.read_crop`'s situation). Sources:

* `traffic-clips`: plates of the shared real clips, boxes from the committed
  detector's over-generous proposal pass (what the reader gets), colour by eye;
* `vn-plates/scenes`, `vn-plates/ocr`: the dev plates (all white);
* `repainted`: no blue or red plate exists in ../shared, so the dev scene plates are
  repainted inside their hand box (background and glyphs, the frame around them
  untouched) in each colour: real surroundings, lighting and cuts, synthetic paint.
  Reported apart, never mixed with the real rows.

Nothing here is copied into the project: images are read from ../shared."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from real_footage import decode  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"
LABELS = REPO / "bench" / "labels" / "plate-colours.csv"
COLOURS = ("white", "yellow", "blue", "red")
# background, ink (BGR) of the repainted plates: Vietnamese plate paints as a camera sees them
PAINTS = {
    "yellow": ((40, 200, 235), (25, 25, 25)),
    "blue": ((150, 60, 20), (235, 235, 235)),
    "red": ((40, 40, 200), (235, 235, 235)),
}

ColourFn = Callable[[np.ndarray, "np.ndarray | None"], str]


@dataclass(frozen=True)
class ColourCase:
    source: str
    colour: str  # the hand label
    crop: np.ndarray
    reference: np.ndarray | None  # the frame's mean BGR, None for a crop without a frame
    what: str


def load_colour_labels(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def reader_cut(frame: np.ndarray, box, margin: tuple[float, float] = (0.1, 0.0)) -> np.ndarray:
    """The crop `PlateReader.read` gives the recogniser and the colour rule."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * margin[0], (y2 - y1) * margin[1]
    return frame[max(0, int(y1 - dy)) : min(h, round(y2 + dy)), max(0, int(x1 - dx)) : min(w, round(x2 + dx))]


def repaint_box(frame: np.ndarray, box, background, ink) -> np.ndarray:
    """A copy of `frame` whose (dark-on-light) plate inside `box` is repainted. The
    plate is the convex hull of the largest light (Otsu) blob in the box: hand boxes
    hold some bumper or body too, which stays as it is. Inside the plate each pixel's
    lightness, stretched between the plate's 5th and 95th percentiles, mixes `ink` and
    `background`, times the plate's own lighting (falloff across the plate)."""
    out = frame.copy()
    x1, y1, x2, y2 = (int(v) for v in box)
    region = out[y1:y2, x1:x2]
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    _, light = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(light)
    if n < 2:
        return out
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    pts = cv2.findNonZero((lab == biggest).astype(np.uint8))
    plate = np.zeros_like(grey)
    cv2.fillConvexPoly(plate, cv2.convexHull(pts), 1)
    inside = plate.astype(bool)
    g = grey.astype(np.float32)
    lo, hi = np.percentile(g[inside], 5), np.percentile(g[inside], 95)
    t = np.clip((g - lo) / max(1.0, hi - lo), 0, 1)[..., None]
    # lighting = the plate's lightness with the glyphs closed over (a max filter
    # about a stroke gap wide), so glyphs get the ink's paint under the same light
    k = max(3, (y2 - y1) // 4) | 1
    light = cv2.dilate(g, np.ones((k, k), np.uint8))
    shade = np.clip(0.55 + 0.45 * light / max(1.0, hi), 0, 1.1)[..., None]
    paint = np.clip((t * np.float32(background) + (1 - t) * np.float32(ink)) * shade, 0, 255).astype(np.uint8)
    region[inside] = paint[inside]
    return out


def colour_cases(
    labels: list[dict[str, str]] | None = None, *, repainted: bool = True
) -> Iterator[ColourCase]:
    """Every labelled plate (colour `unsure` skipped) as the reader would see it, then
    the repainted scene plates."""
    from edge.vision.plates.colour import frame_reference

    labels = load_colour_labels() if labels is None else labels
    frames: dict[str, list[np.ndarray]] = {}
    for lab in labels:
        if lab["colour"] == "unsure":
            continue
        if lab["source"] == "traffic-clips":
            if lab["image"] not in frames:
                frames[lab["image"]] = decode(SHARED / "traffic-clips" / lab["image"])
            frame = frames[lab["image"]][int(lab["frame"])]
            box = tuple(int(lab[k]) for k in ("x1", "y1", "x2", "y2"))
            yield ColourCase(
                lab["source"], lab["colour"], reader_cut(frame, box), frame_reference(frame), lab["what"]
            )
        elif lab["source"] == "vn-plates/scenes":
            frame = cv2.imread(str(SHARED / "vn-plates" / "scenes" / lab["image"]))
            box = tuple(int(lab[k]) for k in ("x1", "y1", "x2", "y2"))
            yield ColourCase(
                lab["source"], lab["colour"], reader_cut(frame, box), frame_reference(frame), lab["what"]
            )
            if repainted:
                for colour, (bg, ink) in PAINTS.items():
                    painted = repaint_box(frame, box, bg, ink)
                    yield ColourCase(
                        "repainted", colour, reader_cut(painted, box), frame_reference(painted), lab["image"]
                    )
        else:
            crop = cv2.imread(str(SHARED / "vn-plates" / "ocr" / lab["image"]))
            yield ColourCase(lab["source"], lab["colour"], crop, None, lab["what"])


def colour_rows(cases: list[ColourCase], fn: ColourFn) -> list[list[str]]:
    """Per source and labelled colour: plates, right, accuracy, what the wrong ones
    were called; then all real plates per colour."""
    got = [(c, fn(c.crop, c.reference)) for c in cases]
    rows = []
    keys = sorted({(c.source, c.colour) for c, _ in got}, key=lambda k: (k[0] == "repainted", k[0], k[1]))
    real_totals: dict[str, Counter] = {col: Counter() for col in COLOURS}
    for source, colour in keys:
        said = Counter(g for c, g in got if (c.source, c.colour) == (source, colour))
        n = sum(said.values())
        rows.append(_row(source, colour, n, said))
        if source != "repainted":
            real_totals[colour].update(said)
    for colour in COLOURS:
        said = real_totals[colour]
        n = sum(said.values())
        rows.append(
            _row("all real plates", colour, n, said)
            if n
            else ["all real plates", colour, "0", "-", "-", "no real plate of this colour in ../shared"]
        )
    return rows


def _row(source: str, colour: str, n: int, said: Counter) -> list[str]:
    right = said.get(colour, 0)
    wrong = ", ".join(f"{k} {v}" for k, v in said.most_common() if k != colour) or "-"
    return [source, colour, str(n), str(right), f"{100 * right / n:.1f}", wrong]
