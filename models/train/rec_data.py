"""Text-line samples for fine-tuning the plate recogniser.

Real lines come only from the **training split of the scene set**
(`models/train/split.py`); the OCR crop set is the text benchmark and is never read
here, and the held-out scenes are only used for validation (`held_out_crops`). Each
sample re-cuts a labelled plate from its frame the way the reader does at run time,
but with the box jittered (loose, tight, occasionally clipping a stroke), the frame
rotated / sheared / put in perspective around the plate, and camera-like degradations
(exposure, blur, downscaling, noise, JPEG). The crop then goes through the reader's
own preprocessing, deshearing (`level_text`) and line splitting (`split_lines`), so
training sees exactly what the recogniser sees at inference.

Rendered Hershey-font plates (`models/synth/plates.py`) are mixed in: they carry every
province, series letter and digit in every position, which the ~120 real training
plates (mostly Ho Chi Minh City `51x` cars) do not, so the model is not pushed to
forget glyphs it rarely sees in the real lines."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.vision.plates.deskew import level_text
from edge.vision.plates.lines import Layout, layout_options, split_lines
from edge.vision.plates.plate_format import compact  # labels are glyphs only, as scored
from firmware_config.plates import PlateReaderConfig
from models.synth.intersection import degrade
from models.synth.plates import render_any_kind, render_plate
from models.synth.scenes import photometric
from models.train.glyph_mix import CutLine, GlyphBank, Posteriors
from models.train.split import split_scenes


def line_texts(text: str, layout: Layout) -> list[str]:
    """Label text per line: `59-X1 123.45` -> [`59X1`, `12345`]; a two-line car
    plate `51F-826.06` -> [`51F`, `82606`]; one-line plates keep one line."""
    if layout == "one_line":
        return [compact(text)]
    if " " in text:
        top, bottom = text.split(" ", 1)
    else:
        top, bottom = text.split("-", 1)
    return [compact(top), compact(bottom)]


@dataclass(frozen=True)
class PlateSource:
    frame: np.ndarray
    box: tuple[int, int, int, int]
    text: str
    layout: Layout


def _reader_crop(frame: np.ndarray, box, margin: tuple[float, float]) -> np.ndarray:
    """The crop `PlateReader.read` takes for a detected box."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * margin[0], (y2 - y1) * margin[1]
    return frame[max(0, int(y1 - dy)) : min(h, round(y2 + dy)), max(0, int(x1 - dx)) : min(w, round(x2 + dx))]


def load_sources(dataset: Path, part: str) -> list[PlateSource]:
    """Labelled plates of one part of the scene set ("train" or "held_out").

    The layout a plate is cut into is the reader's own first choice on the plain crop
    (aspect ratio, then the ink gap between rows), so labels follow the same rule."""
    train, held = split_scenes(dataset / "scenes")
    chosen = train if part == "train" else held
    cfg = PlateReaderConfig()
    out = []
    for f, labels in sorted(chosen.items()):
        frame = cv2.imread(str(dataset / "scenes" / f))
        for lab in labels:
            crop = _reader_crop(frame, lab.box, cfg.crop_margin)
            layout = "two_line" if " " in lab.text else layout_options(crop, cfg.two_line_max_aspect)[0]
            out.append(PlateSource(frame, lab.box, lab.text, layout))
    return out


def held_out_crops(dataset: Path) -> list[tuple[np.ndarray, str]]:
    """(reader crop, label) of every held-out scene plate, for validation only."""
    cfg = PlateReaderConfig()
    return [
        (_reader_crop(s.frame, s.box, cfg.crop_margin), s.text) for s in load_sources(dataset, "held_out")
    ]


def _warp_around(rng: random.Random, img: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    """`img` rotated/sheared/perspective-warped about the box centre; the box's corners after it."""
    x1, y1, x2, y2 = box
    cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    corners = np.float32([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
    a = math.radians(rng.uniform(-6, 6))
    shear = rng.uniform(-0.18, 0.18) if rng.random() < 0.5 else 0.0
    m = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.float32(
        [[1, 0], [shear, 1]]
    )
    dst = (corners - [cx, cy]) @ m.T + [cx, cy]
    dst += np.float32([[rng.uniform(-0.05, 0.05) * bw, rng.uniform(-0.05, 0.05) * bh] for _ in range(4)])
    persp = cv2.getPerspectiveTransform(corners, dst.astype(np.float32))
    h, w = img.shape[:2]
    warped = cv2.warpPerspective(img, persp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped, dst


def _jittered_crop(rng: random.Random, img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    x1, y1 = quad.min(0)
    x2, y2 = quad.max(0)
    bw, bh = x2 - x1, y2 - y1
    lo = -0.03 if rng.random() < 0.15 else 0.0  # now and then a box that clips a stroke
    mx = [rng.uniform(lo, 0.16) * bw for _ in range(2)]
    my = [rng.uniform(lo - 0.02, 0.12) * bh for _ in range(2)]
    cx1, cy1 = max(0, int(x1 - mx[0])), max(0, int(y1 - my[0]))
    cx2, cy2 = min(w, round(x2 + mx[1])), min(h, round(y2 + my[1]))
    return img[cy1:cy2, cx1:cx2]


def _degrade(rng: random.Random, crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    if rng.random() < 0.35:  # low-resolution camera / distant plate
        f = rng.uniform(0.35, 0.8)
        small = cv2.resize(crop, (max(8, int(w * f)), max(6, int(h * f))), interpolation=cv2.INTER_AREA)
        crop = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.15:
        crop = (
            255 - crop
            if rng.random() < 0.1
            else cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        )
    return photometric(rng, crop)


def field_degrade(rng: random.Random, crop: np.ndarray, layout: Layout) -> np.ndarray:
    """A plate crop as an intersection camera delivers it: a two-line plate 16-30 px
    high (22-40 px wide), a one-line car plate 10-20 px high (45-95 px wide), as in
    1080p far lanes and on 640x480 cameras; now and then repainted yellow, blue or red, blurred along the road, dimmed,
    and H.264/JPEG-compressed, but not past what a person still reads (glyph strokes
    of ~1 px survive). The crop stays that small: the reader cuts crops from the frame
    at native resolution and the recogniser scales them."""
    h, w = crop.shape[:2]
    height = rng.uniform(16, 30) if layout == "two_line" else rng.uniform(10, 20)
    if height < h:
        size = (max(8, round(w * height / h)), max(6, round(height)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.25:
        paint = (
            ((40, 200, 235), (20, 20, 20)),
            ((150, 60, 20), (240, 240, 240)),
            ((40, 40, 200), (240, 240, 240)),
        )
        crop = _repaint(crop, *rng.choice(paint))
    return degrade(rng, crop, strength=rng.uniform(0.1, 0.35))


def _repaint(crop: np.ndarray, background, ink) -> np.ndarray:
    """A dark-on-light plate repainted with another background and ink colour."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    lo, hi = np.percentile(grey, 5), np.percentile(grey, 95)
    t = np.clip((grey - lo) / max(1.0, hi - lo), 0, 1)[..., None]
    return (t * np.float32(background) + (1 - t) * np.float32(ink)).astype(np.uint8)


class LineSampler:
    """Random augmented (line image, compact label) pairs from one part of the scene set."""

    def __init__(
        self,
        dataset: Path,
        rng: random.Random,
        synth_fraction: float = 0.35,
        part: str = "train",
        recombine: float = 0.0,
        posteriors: Posteriors | None = None,
        field: float = 0.0,
    ) -> None:
        """`recombine`: fraction of samples whose glyphs are swapped with real glyphs of
        other training plates (`glyph_mix`); needs `posteriors` (the starting
        recogniser) to cut the lines into glyphs. `field`: fraction of samples shrunk
        to intersection-camera scale (`field_degrade`); with it, rendered plates also
        come in every colour and in the military and foreign series."""
        self.rng = rng
        self.field = field
        self.sources = load_sources(dataset, part)
        self.synth_fraction = synth_fraction
        self.recombine = recombine
        self.cfg = PlateReaderConfig()
        self.bank: GlyphBank | None = None
        self.mixable: dict[int, list[CutLine]] = {}  # plate index -> its lines cut into glyphs
        self.mixable_ids: list[int] = []
        if recombine > 0:
            if posteriors is None:
                raise ValueError("recombining glyphs needs the starting recogniser's posteriors")
            regions = [self._real(s) for s in self.sources]
            self.bank = GlyphBank.build(
                [
                    (img, box, labels, s.layout)
                    for (img, box, labels, _), s in zip(regions, self.sources, strict=True)
                ],
                posteriors,
                self.cfg.crop_margin,
            )
            for line in self.bank.lines:
                self.mixable.setdefault(line.source, []).append(line)
            self.mixable_ids = sorted(self.mixable)

    def _real(self, s: PlateSource) -> tuple[np.ndarray, np.ndarray, list[str], Layout]:
        x1, y1, x2, y2 = s.box
        pad = int(max(x2 - x1, y2 - y1) * 0.6)
        H, W = s.frame.shape[:2]
        ox, oy = max(0, x1 - pad), max(0, y1 - pad)
        region = s.frame[oy : min(H, y2 + pad), ox : min(W, x2 + pad)]
        box = (x1 - ox, y1 - oy, x2 - ox, y2 - oy)
        return region, np.float32(box), line_texts(s.text, s.layout), s.layout

    def _synthetic(self) -> tuple[np.ndarray, np.ndarray, list[str], Layout]:
        rng = self.rng
        if self.field > 0 and rng.random() < 0.5:
            plate, lines = render_any_kind(rng, height=rng.choice((40, 56, 72, 96)))
        else:
            plate, lines = render_plate(rng, height=rng.choice((40, 56, 72, 96)))
        ph, pw = plate.shape[:2]
        pad = int(max(ph, pw) * 0.5)
        bg = np.full((ph + 2 * pad, pw + 2 * pad, 3), rng.randint(20, 200), np.uint8)
        bg = photometric(rng, bg)
        bg[pad : pad + ph, pad : pad + pw] = plate
        layout: Layout = "one_line" if len(lines) == 1 else "two_line"
        return bg, np.float32((pad, pad, pad + pw, pad + ph)), [compact(t) for t in lines], layout

    def recombined_plate(self) -> tuple[np.ndarray, np.ndarray, list[str], Layout]:
        """A training plate with some glyphs replaced by real glyphs of other plates."""
        assert self.bank is not None
        i = self.mixable_ids[self.rng.randrange(len(self.mixable_ids))]
        img, box, labels, layout = self._real(self.sources[i])
        img, labels = img.copy(), list(labels)
        for line in self.mixable[i]:
            new = self.bank.recombine(self.rng, line, img)
            labels[0 if line.kind in ("one", "top") else 1] = new
        return img, box, labels, layout

    def _augment(self, img: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        warped, quad = _warp_around(self.rng, img, box)
        crop = _jittered_crop(self.rng, warped, quad)
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            return None
        return _degrade(self.rng, crop)

    def augmented_crops(self, copies: int, *, field: bool = False) -> list[tuple[np.ndarray, str]]:
        """`copies` augmented plate crops (reader input) per real plate, with labels;
        `field`: shrunk to intersection-camera scale as well."""
        out = []
        for s in self.sources:
            img, box, _, _ = self._real(s)
            for _ in range(copies):
                crop = self._augment(img, box)
                if crop is not None:
                    out.append((field_degrade(self.rng, crop, s.layout) if field else crop, s.text))
        return out

    def sample_plate(self) -> list[tuple[np.ndarray, str]]:
        """The lines of one augmented plate, as the reader would cut them."""
        r = self.rng.random()
        if r < self.synth_fraction:
            img, box, labels, layout = self._synthetic()
        elif r < self.synth_fraction + self.recombine and self.mixable:
            img, box, labels, layout = self.recombined_plate()
        else:
            img, box, labels, layout = self._real(self.sources[self.rng.randrange(len(self.sources))])
        crop = self._augment(img, box)
        if crop is None:
            return []
        if self.field > 0 and self.rng.random() < self.field:
            crop = field_degrade(self.rng, crop, layout)
        crop = level_text(crop, self.cfg.deskew_max_slope, self.cfg.deskew_min_gain)
        lines = split_lines(crop, layout)
        return [(ln, t) for ln, t in zip(lines, labels, strict=True) if ln.shape[0] >= 4 and t]

    def batch(self, n: int) -> list[tuple[np.ndarray, str]]:
        out: list[tuple[np.ndarray, str]] = []
        while len(out) < n:
            out.extend(self.sample_plate())
        return out[:n]
