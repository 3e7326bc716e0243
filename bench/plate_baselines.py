"""Plate-reading functions compared in bench/accuracy.py: ours and the baselines
("what users get elsewhere"), each mapping a plate crop to its text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edge.vision.plates.lines import layout_options, split_lines
from edge.vision.plates.plate_format import PlateFormatError, fix_confusions
from edge.vision.plates.reader import PlateReader
from edge.vision.plugins import Detector, TextRecognizer


def reader_fn(reader: PlateReader) -> Callable[[np.ndarray], str]:
    def fn(img: np.ndarray) -> str:
        r = reader.read_crop(img)
        return r.text if r else ""

    return fn


def string_fixup_fn(reader: PlateReader, rec: TextRecognizer) -> Callable[[np.ndarray], str]:
    """What users get elsewhere: greedy CTC text per line, then positional fix-up."""

    def fn(img: np.ndarray) -> str:
        layout = layout_options(img, reader.config.two_line_max_aspect)[0]
        reads = rec.read(split_lines(img, layout))
        text = "-".join(r.text for r in reads) if layout == "two_line" else reads[0].text
        try:
            return fix_confusions(text, "car" if layout == "one_line" else None).formatted()
        except PlateFormatError:
            return text

    return fn


def det_rec_fn(det: Detector, rec: TextRecognizer) -> Callable[[np.ndarray], str]:
    """Text detector finds the lines in the crop, recogniser reads each, joined."""

    def fn(img: np.ndarray) -> str:
        lines = sorted(det.text_lines(img), key=lambda item: item[0][1])  # type: ignore[attr-defined]
        crops = []
        for (x1, y1, x2, y2), _ in lines:
            c = img[max(0, int(y1)) : int(y2), max(0, int(x1)) : int(x2)]
            if c.size:
                crops.append(c)
        return "".join(r.text for r in rec.read(crops)) if crops else ""

    return fn
