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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.vision.plates.colour import PlateColour, frame_reference, plate_colour
from edge.vision.plates.deskew import level_text
from edge.vision.plates.lines import Layout, line_sets
from edge.vision.plates.plate_decode import GrammarCandidate, GrammarDecoder
from edge.vision.plates.reject import plate_like
from edge.vision.plates.search import PlateSearch
from edge.vision.plugins import Box, Detector, TextRead, TextRecognizer, box_iou
from firmware_config.plates import PlateReaderConfig


@dataclass(frozen=True)
class PlateRead:
    box: Box
    text: str  # label style: 51F-123.45 / 59-X1 123.45
    confidence: float
    candidates: tuple[tuple[str, float], ...]  # other readings, best first (text, confidence)
    layout: Layout
    detection_score: float = 1.0
    colour: PlateColour = "unknown"


class PlateReader:
    def __init__(
        self, detector: Detector, recognizer: TextRecognizer, config: PlateReaderConfig | None = None
    ) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.config = config or PlateReaderConfig()
        self.decoder = GrammarDecoder()
        self.search = PlateSearch(detector, self.config.search)

    def read(
        self,
        frame_bgr: np.ndarray,
        roi: Sequence[tuple[float, float]] = (),
        motion: np.ndarray | None = None,
        settled: Sequence[Box] = (),
    ) -> list[PlateRead]:
        """Plates found and read in a full frame, best detection first. `roi` and
        `motion` narrow where the detector looks (`PlateSearch.detect`). A detection
        overlapping a box in `settled` (IoU >= 0.5: a tracked plate whose text is
        already sure) is returned unread, with empty text: it keeps its track alive
        without another recogniser call (a queue at the stop line is read once, not
        every frame)."""
        detections = self.search.detect(frame_bgr, roi, motion)
        unread = [d for d in detections if any(box_iou(d.box, s) >= 0.5 for s in settled)]
        detections = [d for d in detections if d not in unread]
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
        reference = frame_reference(frame_bgr) if crops else None
        out = [
            PlateRead(box, r.text, r.confidence, r.candidates, r.layout, score, plate_colour(crop, reference))
            for box, score, r, crop in zip(boxes, scores, reads, crops, strict=True)
            if r is not None
            and plate_like(score, r.confidence, cfg.weak_detection_score, cfg.weak_detection_min_confidence)
        ]
        return out + [PlateRead(d.box, "", 0.0, (), "one_line", d.score) for d in unread]

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
        jobs: list[tuple[int, Layout, int, int]] = []  # crop index, layout, first line, line count
        texts: list[TextRead] = []
        cfg = self.config
        for i, crop in enumerate(crops):
            crop = level_text(crop, cfg.deskew_max_slope, cfg.deskew_min_gain)
            lines: list[np.ndarray] = []
            for layout, split in line_sets(crop, self.config.two_line_max_aspect):
                jobs.append((i, layout, len(texts) + len(lines), len(split)))
                lines.extend(split)
            texts.extend(self.recognizer.read(lines))
        best: list[tuple[Layout, list[GrammarCandidate]] | None] = [None] * len(crops)
        for i, layout, start, count in jobs:
            cands = self.decoder.decode(texts[start : start + count], layout)
            current = best[i]
            if current is None or self._better(cands, current[1]):
                best[i] = (layout, cands)
        return [
            self._accept(crop, *choice) if choice else None for crop, choice in zip(crops, best, strict=True)
        ]

    def _plausible(self, cands: list[GrammarCandidate]) -> bool:
        return bool(cands) and (
            cands[0].confidence >= self.config.min_confidence
            and cands[0].score_gap <= self.config.max_score_gap
        )

    def _better(self, cands: list[GrammarCandidate], current: list[GrammarCandidate]) -> bool:
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

    def _accept(self, crop: np.ndarray, layout: Layout, cands: list[GrammarCandidate]) -> PlateRead | None:
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
