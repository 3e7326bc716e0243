"""New plate texts written with real glyphs cut from training-split plate lines.

The ~120 training-split plates are mostly Ho Chi Minh City cars (`51F`, `51G`, ...),
so the recogniser sees few provinces, series letters and digit combinations in the
real plate font; the rendered Hershey plates carry every glyph but not the real
font, lighting or camera blur. Recombining fills that gap with real appearance:

1. each training line is read by the starting recogniser and, only when its greedy
   reading equals the label, cut into one slice per glyph at the midpoints between
   the CTC peaks (a separator, `-` or `.`, is split between its two neighbours);
2. a new line keeps the base line's geometry and replaces glyphs slot by slot with a
   glyph of the same class (digit for digit, letter for letter; the province's
   first digit only from first slots, so no `0x` province) taken from any training
   line of the same kind (one-line, top or bottom line), scaled by glyph height so
   its glyph (largest glyph-tall ink component) lands on the base glyph, and matched
   to the base slot's colour statistics;
3. the new strip is pasted back into the plate's frame region, so the normal
   warp / jitter / degrade / deshear / split path (`rec_data.LineSampler`) applies.

Only training-split scenes are read (the crop set and held-out scenes never are)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.ctc_grammar import PlateAlphabet
from edge.vision.plates.lines import split_row

GLYPHS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# line images -> per line ([T, 37] blank(+separators)+glyph log-probs, recogniser input width in px)
Posteriors = Callable[[Sequence[np.ndarray]], list[tuple[np.ndarray, int]]]


@dataclass(frozen=True)
class GlyphSlot:
    image: np.ndarray  # BGR slice of one glyph (with half of any neighbouring separator)
    box: tuple[float, float, float, float]  # the glyph inside it (`glyph_box`)
    char: str
    kind: str  # "one", "top", "bottom"
    first: bool  # first slot of its line (a province's first digit)


@dataclass(frozen=True)
class CutLine:
    source: int  # index of the plate in the sampler's sources
    kind: str
    rows: tuple[int, int]  # strip rows in the plate region
    cols: tuple[int, int]  # strip columns in the plate region
    cuts: tuple[int, ...]  # len(text) + 1 column boundaries inside the strip
    text: str


def glyph_centres(probs: np.ndarray) -> tuple[str, list[float]]:
    """Greedy CTC reading of [T, 37] (blank+separators, 0-9A-Z) and each glyph's
    centre frame (mean of the frames of its run)."""
    best = probs.argmax(1)
    text: list[str] = []
    centres: list[list[int]] = []
    prev = 0
    for t, k in enumerate(best):
        if k != 0 and k != prev:
            text.append(GLYPHS[k - 1])
            centres.append([t])
        elif k != 0:
            centres[-1].append(t)
        prev = k
    return "".join(text), [float(np.mean(c)) for c in centres]


def cut_line(probs: np.ndarray, strip_w: int, input_w: int, label: str) -> tuple[int, ...] | None:
    """Glyph boundaries (strip columns) when the greedy reading equals `label`;
    `input_w` is the width the strip was resized to for the recogniser."""
    text, centres = glyph_centres(probs)
    if text != label or len(centres) < 2:
        return None
    scale = strip_w / input_w  # one CTC frame = 8 input columns
    xs = [(c * 8 + 4) * scale for c in centres]
    mids = [(a + b) / 2 for a, b in pairwise(xs)]
    first = max(0.0, xs[0] - (mids[0] - xs[0]))
    last = min(float(strip_w), xs[-1] + (xs[-1] - mids[-1]))
    cuts = [round(first), *(round(m) for m in mids), round(last)]
    if any(b - a < 2 for a, b in pairwise(cuts)):
        return None
    return tuple(cuts)


def recogniser_posteriors(recognizer: CtcRecognizer) -> Posteriors:
    """Each line read alone (no padding from wider lines), reduced to blank+glyphs."""
    alphabet = PlateAlphabet(recognizer.alphabet)

    def run(lines: Sequence[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        out = []
        cfg = recognizer.config
        for ln in lines:
            h, w = ln.shape[:2]
            own = min(cfg.max_width, max(16, math.ceil(cfg.height * w / max(h, 1) * cfg.width_scale)))
            probs = recognizer.posteriors([ln])[0][: math.ceil(own / 8)]  # the line's own frames
            out.append((alphabet.reduce(probs), own))
        return out

    return run


def glyph_box(slice_bgr: np.ndarray) -> tuple[float, float, float, float] | None:
    """(centre x, centre y, width, height) of the glyph in a slot slice: the largest
    ink component (the minority polarity after Otsu) that is glyph-tall, does not
    span the slice (a plate border) and sits in the middle of the slot."""
    h, w = slice_bgr.shape[:2]
    if h < 8 or w < 3:
        return None
    grey = cv2.cvtColor(slice_bgr, cv2.COLOR_BGR2GRAY)
    _, dark = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = dark if dark.mean() < 0.5 else 1 - dark
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    best = None
    for x, y, bw, bh, area in stats[1:n]:
        if not (0.35 * h <= bh <= 0.95 * h and bw <= 0.95 * w and 0.2 * w <= x + bw / 2 <= 0.8 * w):
            continue
        if best is None or area > best[4]:
            best = (x, y, bw, bh, area)
    if best is None:
        return None
    x, y, bw, bh, _ = best
    return (x + bw / 2, y + bh / 2, float(bw), float(bh))


def place_glyph(
    donor: np.ndarray, donor_box: tuple[float, float, float, float], target: np.ndarray
) -> np.ndarray | None:
    """The donor slice scaled (by glyph height) and shifted so its glyph lands on the
    target slot's glyph; None when the target has no clear glyph or the donor's glyph
    would not fit the slot."""
    tb = glyph_box(target)
    if tb is None:
        return None
    scale = tb[3] / donor_box[3]
    if scale * donor_box[2] > 0.95 * target.shape[1]:
        return None
    m = np.float32([[scale, 0, tb[0] - scale * donor_box[0]], [0, scale, tb[1] - scale * donor_box[1]]])
    size = (target.shape[1], target.shape[0])
    return cv2.warpAffine(donor, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _match_colour(donor: np.ndarray, target: np.ndarray) -> np.ndarray:
    d, t = donor.astype(np.float32), target.astype(np.float32)
    dm, ds = d.mean((0, 1)), d.std((0, 1)) + 1.0
    tm, ts = t.mean((0, 1)), t.std((0, 1)) + 1.0
    return np.clip((d - dm) * (ts / ds) + tm, 0, 255).astype(np.uint8)


class GlyphBank:
    """Glyph slices of the training lines and the lines they came from."""

    def __init__(self, lines: list[CutLine], slots: list[GlyphSlot]) -> None:
        self.lines = lines
        self.by_key: dict[tuple[str, str, bool], list[GlyphSlot]] = {}
        for s in slots:
            self.by_key.setdefault((s.kind, s.char, s.first), []).append(s)

    @classmethod
    def build(
        cls,
        regions: list[tuple[np.ndarray, np.ndarray, list[str], str]],
        posteriors: Posteriors,
        margin: tuple[float, float],
    ) -> GlyphBank:
        """`regions`: (frame region, plate box, line labels, layout) per training plate."""
        pending: list[tuple[int, str, tuple[int, int], tuple[int, int], str, np.ndarray]] = []
        for i, (img, box, labels, layout) in enumerate(regions):
            x1, y1, x2, y2 = (float(v) for v in box)
            dx, dy = (x2 - x1) * margin[0], (y2 - y1) * margin[1]
            h, w = img.shape[:2]
            cx1, cx2 = max(0, int(x1 - dx)), min(w, round(x2 + dx))
            cy1, cy2 = max(0, int(y1 - dy)), min(h, round(y2 + dy))
            crop = img[cy1:cy2, cx1:cx2]
            if crop.shape[0] < 8 or crop.shape[1] < 8:
                continue
            if layout == "one_line":
                pending.append((i, "one", (cy1, cy2), (cx1, cx2), labels[0], crop))
            else:
                y = cy1 + split_row(crop)
                pending.append((i, "top", (cy1, y), (cx1, cx2), labels[0], img[cy1:y, cx1:cx2]))
                pending.append((i, "bottom", (y, cy2), (cx1, cx2), labels[1], img[y:cy2, cx1:cx2]))
        probs = posteriors([p[5] for p in pending]) if pending else []
        lines, slots = [], []
        for (i, kind, rows, cols, label, strip), (pr, in_w) in zip(pending, probs, strict=True):
            cuts = cut_line(pr, strip.shape[1], in_w, label)
            if cuts is None:
                continue
            lines.append(CutLine(i, kind, rows, cols, cuts, label))
            for j, ch in enumerate(label):
                piece = strip[:, cuts[j] : cuts[j + 1]].copy()
                box = glyph_box(piece)
                if box is not None:
                    slots.append(GlyphSlot(piece, box, ch, kind, j == 0))
        return cls(lines, slots)

    def _donor(self, rng: random.Random, kind: str, char: str, first: bool) -> GlyphSlot | None:
        pool = GLYPHS[:10] if char.isdigit() else GLYPHS[10:]
        for _ in range(8):
            cand = self.by_key.get((kind, rng.choice(pool), first))
            if cand:
                return rng.choice(cand)
        return None

    def recombine(self, rng: random.Random, line: CutLine, region: np.ndarray, swap: float = 0.6) -> str:
        """Rewrite `line` inside `region` (modified in place) with donor glyphs; returns
        the new line text. Each glyph is replaced with probability `swap`."""
        (r1, r2), (c1, c2) = line.rows, line.cols
        strip = region[r1:r2, c1:c2]
        text = list(line.text)
        for j, ch in enumerate(line.text):
            if rng.random() >= swap:
                continue
            donor = self._donor(rng, line.kind, ch, j == 0)
            if donor is None:
                continue
            a, b = line.cuts[j], line.cuts[j + 1]
            target = strip[:, a:b]
            glyph = place_glyph(donor.image, donor.box, target)
            if glyph is None:
                continue
            strip[:, a:b] = _match_colour(glyph, target)
            text[j] = donor.char
        return "".join(text)
