"""Training samples for the plate detector: real train-split scenes and composites.

Each sample is a 416x416 letterboxed RGB image with per-cell targets for the
anchor-free stride-8 head: a cell is positive when its centre lies in the central
half of a plate box (or is the cell holding the box centre), and carries that box."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import cv2
import numpy as np
import torch

from models.synth.plates import render_plate
from models.synth.scenes import paste_plate, photometric
from models.train.split import split_scenes


def _natural_backgrounds() -> list[np.ndarray]:
    from skimage import data

    names = [
        "astronaut",
        "coffee",
        "chelsea",
        "rocket",
        "immunohistochemistry",
        "hubble_deep_field",
        "camera",
    ]
    out = []
    for name in names:
        img = getattr(data, name)()
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        out.append(img)
    return out


class SampleMaker:
    def __init__(self, dataset: Path, size: int, stride: int, rng: random.Random) -> None:
        self.size, self.stride, self.rng = size, stride, rng
        train, _ = split_scenes(dataset / "scenes")
        self.scenes = [
            (cv2.imread(str(dataset / "scenes" / f)), np.array([lab.box for lab in labs], np.float32))
            for f, labs in sorted(train.items())
        ]
        with (dataset / "ocr" / "labels.csv").open(newline="") as fh:
            self.crops = [cv2.imread(str(dataset / "ocr" / row["file"])) for row in csv.DictReader(fh)]
        self.natural = _natural_backgrounds()

    def _plate(self) -> np.ndarray:
        if self.rng.random() < 0.5:
            return self.crops[self.rng.randrange(len(self.crops))]
        return render_plate(self.rng, height=self.rng.choice((48, 64, 96)))[0]

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """(BGR size x size image, boxes [K,4] in its pixels)."""
        rng, S = self.rng, self.size
        if rng.random() < 0.6:
            img, boxes = self.scenes[rng.randrange(len(self.scenes))]
        else:
            img, boxes = self.natural[rng.randrange(len(self.natural))], np.zeros((0, 4), np.float32)
        h, w = img.shape[:2]
        scale = S / max(h, w) * rng.uniform(0.6, 1.6)
        img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
        boxes = boxes * scale
        canvas = np.full((S, S, 3), 114, np.uint8)
        nh, nw = img.shape[:2]
        ox = rng.randint(min(0, S - nw), max(0, S - nw))
        oy = rng.randint(min(0, S - nh), max(0, S - nh))
        x0, y0, x1, y1 = max(0, ox), max(0, oy), min(S, ox + nw), min(S, oy + nh)
        canvas[y0:y1, x0:x1] = img[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        kept = []
        for b in boxes + np.array([ox, oy, ox, oy], np.float32):
            c = np.clip(b, 0, S - 1)
            if (c[2] - c[0]) * (c[3] - c[1]) > 0.6 * (b[2] - b[0]) * (b[3] - b[1]):
                kept.append(c)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            width = S * rng.uniform(0.05, 0.35)
            box = paste_plate(rng, canvas, self._plate(), width, kept)
            if box is not None:
                kept.append(box)
        return photometric(rng, canvas), np.array(kept, np.float32).reshape(-1, 4)

    def targets(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.size // self.stride
        cls_t = np.zeros((g, g), np.float32)
        box_t = np.zeros((g, g, 4), np.float32)
        area_t = np.full((g, g), np.inf, np.float32)
        centres = (np.arange(g, dtype=np.float32) + 0.5) * self.stride
        for b in boxes:
            bw, bh = b[2] - b[0], b[3] - b[1]
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            inx = np.abs(centres - cx) < max(0.25 * bw, self.stride / 2)
            iny = np.abs(centres - cy) < max(0.25 * bh, self.stride / 2)
            mask = iny[:, None] & inx[None, :]
            mask[min(g - 1, int(cy // self.stride)), min(g - 1, int(cx // self.stride))] = True
            mask &= area_t > bw * bh
            cls_t[mask] = 1.0
            box_t[mask] = b
            area_t[mask] = bw * bh
        return cls_t, box_t

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        imgs, clss, bxs = [], [], []
        for _ in range(n):
            img, boxes = self.sample()
            c, b = self.targets(boxes)
            imgs.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
            clss.append(c)
            bxs.append(b)
        x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 255.0
        return x, torch.from_numpy(np.stack(clss)), torch.from_numpy(np.stack(bxs))
