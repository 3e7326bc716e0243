"""Find and read the plates in a frame.

    reader = PlateReader(detector, recognizer, config)
    for plate in reader.read(frame_bgr): print(plate.text, plate.confidence)

The detector gives plate boxes; each crop is classified one-line/two-line, split into
text lines, and the lines of each crop are read in one recogniser batch. Each plate
is then decoded against the Vietnamese plate grammar; crops whose text fits no plate
format (logos, signs, stickers) are dropped here, and so are boxes that both the
detector and the recogniser are weak on (`reject.plate_like`), which is what lifts
detection precision beyond the detector's own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.vision.plates.deskew import level_text
from edge.vision.plates.lines import Layout, layout_options, split_lines
from edge.vision.plates.plate_decode import GrammarDecoder, PlateCandidate
from edge.vision.plates.reject import plate_like
from edge.vision.plates.second_read import Variant, variant
from edge.vision.plugins import Box, Detector, TextRead, TextRecognizer
from firmware_config.plates import PlateReaderConfig

Reading = tuple[Layout, list[PlateCandidate]]


@dataclass(frozen=True)
class PlateRead:
    box: Box
    text: str  # label style: 51F-123.45 / 59-X1 123.45
    confidence: float
    candidates: tuple[tuple[str, float], ...]  # other readings, best first (text, confidence)
    layout: Layout
    detection_score: float = 1.0


class PlateReader:
    def __init__(
        self, detector: Detector, recognizer: TextRecognizer, config: PlateReaderConfig | None = None
    ) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.config = config or PlateReaderConfig()
        self.decoder = GrammarDecoder()

    def read(self, frame_bgr: np.ndarray) -> list[PlateRead]:
        """Plates found and read in a full frame, best detection first."""
        detections = self.detector.detect(frame_bgr)
        crops, boxes, scores = [], [], []
        h, w = frame_bgr.shape[:2]
        mx, my = self.config.crop_margin
        for det in detections:
            x1, y1, x2, y2 = det.box
            dx, dy = (x2 - x1) * mx, (y2 - y1) * my
            cx1, cy1 = max(0, int(x1 - dx)), max(0, int(y1 - dy))
            cx2, cy2 = min(w, round(x2 + dx)), min(h, round(y2 + dy))
            if cx2 - cx1 < 8 or cy2 - cy1 < 6:
                continue
            crops.append(frame_bgr[cy1:cy2, cx1:cx2])
            boxes.append(det.box)
            scores.append(det.score)
        reads = self.read_crops(crops)
        cfg = self.config
        return [
            PlateRead(box, r.text, r.confidence, r.candidates, r.layout, score)
            for box, score, r in zip(boxes, scores, reads, strict=True)
            if r is not None
            and plate_like(score, r.confidence, cfg.weak_detection_score, cfg.weak_detection_min_confidence)
        ]

    def read_crop(self, crop_bgr: np.ndarray) -> PlateRead | None:
        """Read one plate crop (no detection); None when it is not a readable plate."""
        return self.read_crops([crop_bgr])[0]

    def read_crops(self, crops: list[np.ndarray]) -> list[PlateRead | None]:
        """Read plate crops; the text lines of one crop (every layout tried) go to the
        recogniser in one batch. One batch per crop, not per frame: a batch is padded
        to its widest line and costs batch x width on one thread, so a 320 px plate
        batched with a false box's two 100 px lines cost 3 x 320 px of work, held the
        largest tensors in the arena, and made a plate's reading depend on whatever
        else was in the frame."""
        if not crops:
            return []
        cfg = self.config
        prepared = [level_text(c, cfg.deskew_max_slope, cfg.deskew_min_gain) for c in crops]
        best = self.readings(prepared)
        if cfg.second_read:
            for i, crop in enumerate(crops):
                if self.unsure(best[i]):
                    best[i] = self._second_read(crop, prepared[i] is not crop, best[i])
        return [
            self._accept(crop, *choice) if choice else None for crop, choice in zip(crops, best, strict=True)
        ]

    def readings(self, crops: list[np.ndarray]) -> list[Reading | None]:
        """Best (layout, candidates) of each crop as given (no levelling): every layout's
        lines of a crop in one recogniser batch, layouts compared by `_better`."""
        jobs: list[tuple[int, Layout, int, int]] = []  # crop index, layout, first line, line count
        texts: list[TextRead] = []
        for i, crop in enumerate(crops):
            lines: list[np.ndarray] = []
            for layout in layout_options(crop, self.config.two_line_max_aspect):
                split = split_lines(crop, layout)
                jobs.append((i, layout, len(texts) + len(lines), len(split)))
                lines.extend(split)
            texts.extend(self.recognizer.read(lines))
        best: list[Reading | None] = [None] * len(crops)
        for i, layout, start, count in jobs:
            cands = self.decoder.decode(texts[start : start + count], layout)
            current = best[i]
            if current is None or self._better(cands, current[1]):
                best[i] = (layout, cands)
        return best

    def unsure(self, choice: Reading | None) -> bool:
        """Whether a first reading is weak enough to earn a second read: no plausible
        reading, or its weakest glyph / grammar fit beyond the configured gate."""
        cfg = self.config
        if choice is None or not self._plausible(choice[1]):
            return True
        top = choice[1][0]
        return top.confidence < cfg.second_read_below_confidence or top.score_gap > cfg.second_read_above_gap

    def variant_readings(self, crop: np.ndarray, levelled: bool) -> list[tuple[Variant, Reading | None]]:
        """Readings of the configured perturbed versions of a raw crop (`second_read`)."""
        cfg = self.config
        names, images = [], []
        for name in cfg.second_read_variants:
            img = variant(crop, name, levelled, cfg.deskew_max_slope)
            if img is None:
                continue
            if name != "deshear":  # the deshear variant is the other levelling choice itself
                img = level_text(img, cfg.deskew_max_slope, cfg.deskew_min_gain)
            names.append(name)
            images.append(img)
        return list(zip(names, self.readings(images), strict=True))

    def _second_read(self, crop: np.ndarray, levelled: bool, first: Reading | None) -> Reading | None:
        """The reading most of the versions agree on (the first read and each variant
        vote for their acceptable text); ties, and a crop nobody reads acceptably, go
        to `_better`, the first read winning ties. Agreement rather than `_better`
        alone: a perturbation can make a wrong reading fit the grammar a little better,
        it rarely makes several versions agree on the same wrong text."""
        return self.agreed(crop, [first, *(choice for _, choice in self.variant_readings(crop, levelled))])

    def agreed(self, crop: np.ndarray, readings: list[Reading | None]) -> Reading | None:
        """The vote of `_second_read` over readings of one crop, first listed first. Each
        extra version is another chance for non-plate text to fit the grammar by luck
        (a coffee cup read as `65S-1151`), so a crop the first read rejects is turned into
        a plate only when two versions agree on its text."""
        votes: dict[str, list[Reading]] = {}
        for choice in readings:
            if choice is not None and self._accept(crop, *choice) is not None:
                votes.setdefault(choice[1][0].plate.compact, []).append(choice)
        if votes:
            top = max(len(v) for v in votes.values())
            if top < 2 and (readings[0] is None or self._accept(crop, *readings[0]) is None):
                return readings[0]  # a rejected crop becomes a plate only if two versions agree
            readings = [v[0] for v in votes.values() if len(v) == top]
        best = None
        for choice in readings:
            if choice is not None and (best is None or self._better(choice[1], best[1])):
                best = choice
        return best

    def _plausible(self, cands: list[PlateCandidate]) -> bool:
        return bool(cands) and (
            cands[0].confidence >= self.config.min_confidence
            and cands[0].score_gap <= self.config.max_score_gap
        )

    def _better(self, cands: list[PlateCandidate], current: list[PlateCandidate]) -> bool:
        """Whether one layout's reading beats another's. A reading that would be
        rejected as non-plate text never beats one that passes (a one-line plate split
        in two still yields confident glyphs, just not plate text); among acceptable
        readings the one the grammar explains better (smaller score gap) wins."""
        if not cands:
            return False
        if not current:
            return True
        ok, cur_ok = self._plausible(cands), self._plausible(current)
        if ok != cur_ok:
            return ok
        if ok:
            return cands[0].score_gap < current[0].score_gap
        return cands[0].confidence > current[0].confidence

    def _accept(self, crop: np.ndarray, layout: Layout, cands: list[PlateCandidate]) -> PlateRead | None:
        if not cands:
            return None
        best = cands[0]
        if best.confidence < self.config.min_confidence or best.score_gap > self.config.max_score_gap:
            return None
        h, w = crop.shape[:2]
        others = tuple((c.plate.formatted(), round(c.confidence, 4)) for c in cands[1:])
        return PlateRead(
            (0.0, 0.0, float(w), float(h)), best.plate.formatted(), best.confidence, others, layout
        )
