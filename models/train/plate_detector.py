"""Train our own small plate detector and export it in the YOLOv8 ONNX layout.

    nice -n 10 .venv/bin/python -m models.train.plate_detector --minutes 30 --train-size 320
    nice -n 10 .venv/bin/python -m models.train.plate_detector --minutes 20 --train-size 320 \
        --init models/trained/plate_det_416.pt --lr 1.5e-3 --seed 11

(the committed weights: these two stages; 1214 + 2081 steps on the shared 2-core
VM, whose load sets how many steps fit the budget; `--steps N` schedules by steps
instead, for a run that does not depend on the machine's speed).

Why our own: no permissively licensed plate detector ships in a registry package
(the one that does, fastanpr's YOLOv8n, is AGPL), and PP-OCR text detection used as
plate proposals is ~10x too slow and fires on every sign. Plates are simple objects
(a bright rectangle with dark strokes in one or two rows), so a ~0.4 M-parameter
anchor-free CNN trained from scratch on 2 CPU cores is enough for this domain.

Data: the training split of the dev scenes (`models/train/split.py`; every fourth
scene is held out and never seen here), real plate crops from the dev OCR set and
rendered plates (`models/synth/`) pasted into those scenes and into scikit-image's
natural images, with perspective, exposure, blur, noise and JPEG augmentation.

Output: `models/trained/plate_det_416.onnx`, input [1,3,416,416] RGB/255 letterboxed
(pad 114), output [1,5,N] rows (cx, cy, w, h, score) in input pixels, the layout of
an Ultralytics YOLOv8 export with one class, so the same backend runs either."""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import cv2
import torch
import torch.nn.functional as F
from torch import nn

from models.train.plate_data import SampleMaker

IMG = 416  # export size
STRIDE = 8
OUT = Path(__file__).resolve().parent.parent / "trained" / "plate_det_416.onnx"


def _cbr(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlateNet(nn.Module):
    """Tiny FPN: strides 2..32 backbone, top-down merge to one stride-8 head."""

    def __init__(self) -> None:
        super().__init__()
        self.s4 = nn.Sequential(_cbr(3, 16, 2), _cbr(16, 24, 2), _cbr(24, 24))
        self.s8 = nn.Sequential(_cbr(24, 48, 2), _cbr(48, 48))
        self.s16 = nn.Sequential(_cbr(48, 64, 2), _cbr(64, 64))
        self.s32 = nn.Sequential(_cbr(64, 96, 2), _cbr(96, 96), _cbr(96, 96))
        self.lat16 = nn.Conv2d(96, 64, 1)
        self.lat8 = nn.Conv2d(64, 48, 1)
        self.merge16 = _cbr(64, 64)
        self.merge8 = _cbr(48, 48)
        self.head = nn.Sequential(_cbr(48, 48), nn.Conv2d(48, 5, 1))
        nn.init.constant_(self.head[-1].bias[4], -4.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f8 = self.s8(self.s4(x))
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        p16 = self.merge16(f16 + F.interpolate(self.lat16(f32), scale_factor=2.0, mode="nearest"))
        p8 = self.merge8(f8 + F.interpolate(self.lat8(p16), scale_factor=2.0, mode="nearest"))
        return self.head(p8)  # [B,5,G,G]: l,t,r,b (log units of stride), logit


def _centres(gh: int, gw: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    ys, xs = torch.meshgrid(torch.arange(gh, device=device), torch.arange(gw, device=device), indexing="ij")
    return (xs.float() + 0.5) * STRIDE, (ys.float() + 0.5) * STRIDE


def decode(raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw head output -> boxes [B,4,G,G] (x1,y1,x2,y2 px) and logits [B,G,G]."""
    cx, cy = _centres(raw.shape[2], raw.shape[3], raw.device)
    dist = torch.exp(raw[:, :4].clamp(max=6.0)) * STRIDE
    boxes = torch.stack((cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]), 1)
    return boxes, raw[:, 4]


class YoloLayout(nn.Module):
    """Export wrapper: [1,3,H,W] RGB/255 -> [1,5,N] (cx,cy,w,h,score)."""

    def __init__(self, net: PlateNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        boxes, logits = decode(self.net(x))
        b = boxes.flatten(2)
        cxcywh = torch.stack(
            ((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), 1
        )
        return torch.cat((cxcywh, torch.sigmoid(logits.flatten(1)).unsqueeze(1)), 1)


def giou_loss(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    ix = (torch.min(p[:, 2], t[:, 2]) - torch.max(p[:, 0], t[:, 0])).clamp(min=0)
    iy = (torch.min(p[:, 3], t[:, 3]) - torch.max(p[:, 1], t[:, 1])).clamp(min=0)
    inter = ix * iy
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    union = area(p) + area(t) - inter + 1e-6
    hull = (torch.max(p[:, 2], t[:, 2]) - torch.min(p[:, 0], t[:, 0])) * (
        torch.max(p[:, 3], t[:, 3]) - torch.min(p[:, 1], t[:, 1])
    )
    return (1 - inter / union + (hull - union) / (hull + 1e-6)).mean()


def loss_fn(raw: torch.Tensor, cls_t: torch.Tensor, box_t: torch.Tensor) -> torch.Tensor:
    boxes, logits = decode(raw)
    pos = cls_t > 0.5
    n_pos = pos.sum().clamp(min=1)
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, cls_t, reduction="none")
    pt = p * cls_t + (1 - p) * (1 - cls_t)
    alpha = 0.25 * cls_t + 0.75 * (1 - cls_t)
    focal = (alpha * (1 - pt) ** 2 * ce).sum() / n_pos
    if pos.any():
        pb = boxes.permute(0, 2, 3, 1)[pos]
        tb = box_t[pos]
        return focal + 2.0 * giou_loss(pb, tb)
    return focal


def export(net: PlateNet, path: Path, *, dynamic: bool = False) -> None:
    """YOLO-layout ONNX export, fixed 416x416 input or, with `dynamic`, any H and W
    (multiples of 32; `PlateSearch` runs such a model once on a whole search area)."""
    net.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        YoloLayout(net),
        torch.zeros(1, 3, IMG, IMG),
        str(path),
        input_names=["images"],
        output_names=["output0"],
        dynamic_axes={"images": {2: "height", 3: "width"}, "output0": {2: "anchors"}} if dynamic else None,
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=25.0, help="Wall-clock training budget (hard cap).")
    ap.add_argument(
        "--steps",
        type=int,
        default=None,
        help="Schedule over this many steps instead of over the time budget.",
    )
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--train-size", type=int, default=320, help="Square training canvas (multiple of 32).")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--init", type=Path, default=None, help="Continue from a state_dict saved by an earlier run."
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--dataset", type=Path, default=Path(__file__).resolve().parents[3] / "shared/datasets/vn-plates"
    )
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    maker = SampleMaker(args.dataset, args.train_size, STRIDE, random.Random(args.seed))
    net = PlateNet()
    if args.init is not None:
        net.load_state_dict(torch.load(args.init))
    export(net, args.out)  # fail fast if the exporter cannot handle the graph
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = args.minutes * 60
    start = time.monotonic()
    step, avg = 0, None
    while (elapsed := time.monotonic() - start) < budget and (args.steps is None or step < args.steps):
        progress = step / args.steps if args.steps else elapsed / budget
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, cls_t, box_t = maker.batch(args.batch)
        loss = loss_fn(net(imgs), cls_t, box_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        step += 1
        if step % 50 == 0:
            print(f"step {step} t={elapsed / 60:.1f}min lr={lr:.5f} loss={avg:.4f}", flush=True)
        if step % 200 == 0:
            export(net, args.out)
            torch.save(net.state_dict(), args.out.with_suffix(".pt"))
            net.train()
    export(net, args.out)
    torch.save(net.state_dict(), args.out.with_suffix(".pt"))
    print(f"done: {step} steps, exported {args.out}")


if __name__ == "__main__":
    main()
