"""Fine-tune the plate-cut PP-OCRv4 recogniser on Vietnamese plate lines.

    nice -n 10 .venv/bin/python -m models.train.plate_recognizer --steps 800 --minutes 42

Starts from `models/weights/ppocr_v4_rec_plate.onnx` (made by `python -m models.fetch`),
runs its graph in torch (`models/train/onnx_graph.py`), and writes the trained weights
back into the same graph: `models/trained/ppocr_v4_rec_plate_vn.onnx` keeps the input
`[B,3,48,W]`, the `[B,T,40]` softmax output and the `character` metadata, so the
reader's grammar-constrained decoder uses it unchanged.

Data (`models/train/rec_data.py`): the training split of the scene set only (every
fourth scene is held out, `models/train/split.py`) plus rendered plates; the OCR crop
set is the text benchmark and is never read. With `--recombine`, a share of the
training plates is rewritten with real glyphs cut from other training-split plates
(`models/train/glyph_mix.py`), for real-font variety beyond the ~120 plate texts.
Validation: the held-out scenes' plates, read through the real `PlateReader` on the
exported ONNX every `--val-every` steps, as cut from the frame and in `--val-copies`
fixed augmented versions each (the plain
42 are all read right by the starting model already, so alone they cannot rank
checkpoints); the checkpoint with the most plain exact reads, then the most augmented
ones (ties: the later one) is kept.

Loss: CTC on the posteriors the decoder actually uses. The grammar decoder adds the
separator columns (`-`, `.`, space) to the blank, so here too blank and separators
are merged (log-sum-exp) before CTC over blank + 36 glyphs: the model is not asked to
emit or suppress separators, only to place the right glyphs.

Guarding against forgetting ~a decade of PP-OCR training with ~120 real plates:
low learning rate with warm-up and cosine decay, BatchNorm on its stored statistics,
the stem and first backbone stages frozen (`--freeze-convs`), rendered plates with
every glyph mixed in, and model selection on held-out plates, not on training loss.
Deterministic for a given `--seed` and `--steps` (`--minutes` is only a safety cap;
the schedule is by step, so a capped run is reported as such)."""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.plate_format import compact
from edge.vision.plates.reader import PlateReader
from firmware_config.plates import CtcRecognizerConfig
from models.train.glyph_mix import recogniser_posteriors
from models.train.onnx_graph import OnnxGraphModule
from models.train.rec_data import LineSampler, held_out_crops

VAL_SEED = 20261122  # fixed: the augmented validation set is the same for every run

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT.parent / "shared" / "datasets" / "vn-plates"
SEPARATORS = "-. "


def batch_tensor(lines: list[np.ndarray], height: int = 48, max_width: int = 320) -> torch.Tensor:
    """Lines resized and right-padded exactly like `CtcRecognizer._batch`."""
    widths = [
        int(min(max_width, max(16, math.ceil(height * ln.shape[1] / max(ln.shape[0], 1))))) for ln in lines
    ]
    width = int(math.ceil(max(widths) / 8) * 8)
    out = np.zeros((len(lines), 3, height, width), np.float32)
    for i, (ln, w) in enumerate(zip(lines, widths, strict=True)):
        img = cv2.resize(ln, (w, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        out[i, :, :, :w] = img.transpose(2, 0, 1) / 127.5 - 1.0
    return torch.from_numpy(out)


class PlateCtcLoss:
    """CTC over blank(+separators) and the 36 plate glyphs, from the model's logits."""

    def __init__(self, alphabet: tuple[str, ...]) -> None:
        first = {}
        for i, ch in enumerate(alphabet):
            first.setdefault(ch, i)
        self.glyphs = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.blank_cols = torch.tensor([0] + [first[s] for s in SEPARATORS if s in first])
        self.glyph_cols = torch.tensor([first[g] for g in self.glyphs])

    def __call__(self, logits: torch.Tensor, labels: list[str]) -> torch.Tensor:
        logp = F.log_softmax(logits, -1)
        blank = torch.logsumexp(logp[..., self.blank_cols], -1, keepdim=True)
        reduced = torch.cat([blank, logp[..., self.glyph_cols]], -1)  # [B,T,37]
        targets = torch.tensor([self.glyphs.index(c) + 1 for t in labels for c in t])
        b, t = reduced.shape[:2]
        return F.ctc_loss(
            reduced.transpose(0, 1),
            targets,
            torch.full((b,), t),
            torch.tensor([len(x) for x in labels]),
            blank=0,
            reduction="mean",
            zero_infinity=True,
        )


def freeze_early(model: OnnxGraphModule, convs: int) -> int:
    """Freeze every weight first used before the `convs`-th Conv; returns trainable count."""
    seen = 0
    for node, _ in model.nodes:
        if node.op_type == "Conv":
            seen += 1
            if seen > convs:
                break
        for name in node.input:
            key = model._key(name)
            if key in model.params:
                model.params[key].requires_grad_(False)
    return sum(p.numel() for p in model.params.values() if p.requires_grad)


def validate(model: OnnxGraphModule, crops: list[tuple[np.ndarray, str]]) -> int:
    """Exact reads through the real reader on the exported ONNX."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "val.onnx"
        model.save_onnx(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        reader = PlateReader(None, CtcRecognizer(session, CtcRecognizerConfig()))  # type: ignore[arg-type]
        exact = 0
        for crop, text in crops:
            got = reader.read_crop(crop)
            exact += got is not None and compact(got.text) == compact(text)
    return exact


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--dataset", type=Path, default=DATASET, help="vn-plates dev set (scenes: training split only)"
    )
    ap.add_argument(
        "--init",
        type=Path,
        default=ROOT / "models" / "weights" / "ppocr_v4_rec_plate.onnx",
        help="ONNX recogniser to start from (plate-cut PP-OCRv4 from models.fetch)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "models" / "trained" / "ppocr_v4_rec_plate_vn.onnx",
        help="where the best checkpoint (by held-out validation) is written, same graph as --init",
    )
    ap.add_argument("--steps", type=int, default=800, help="optimiser steps")
    ap.add_argument("--minutes", type=float, default=42.0, help="hard cap on wall time (safety)")
    ap.add_argument(
        "--stop-after",
        type=int,
        default=0,
        help="stop after this step with the schedule of --steps unchanged (replays a run a time cap cut)",
    )
    ap.add_argument("--batch", type=int, default=24, help="text lines per step")
    ap.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (warm-up, then cosine decay)")
    ap.add_argument("--freeze-convs", type=int, default=14, help="convs (from the stem) kept frozen")
    ap.add_argument("--synth", type=float, default=0.35, help="fraction of rendered plates")
    ap.add_argument(
        "--recombine",
        type=float,
        default=0.0,
        help="fraction of training plates rewritten with real glyphs of other training plates "
        "(models/train/glyph_mix.py; cut with the --init recogniser)",
    )
    ap.add_argument(
        "--field",
        type=float,
        default=0.0,
        help="fraction of samples shrunk to intersection-camera scale (rec_data.field_degrade); also adds "
        "rendered plates of every colour and series, and a held-out validation set at that scale",
    )
    ap.add_argument("--val-every", type=int, default=100, help="steps between held-out validations")
    ap.add_argument("--val-copies", type=int, default=4, help="augmented versions of each held-out plate")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--seed", type=int, default=7, help="seed for sampling and augmentation")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    model = OnnxGraphModule.load(args.init)
    trainable = freeze_early(model, args.freeze_convs)
    chars = next(p.value for p in model.model.metadata_props if p.key == "character")
    loss_fn = PlateCtcLoss(("<blank>", *chars.splitlines(), " "))
    posteriors = None
    if args.recombine > 0:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        session = ort.InferenceSession(str(args.init), opts, providers=["CPUExecutionProvider"])
        posteriors = recogniser_posteriors(CtcRecognizer(session, CtcRecognizerConfig()))
    sampler = LineSampler(
        args.dataset, rng, args.synth, recombine=args.recombine, posteriors=posteriors, field=args.field
    )
    if sampler.bank is not None:
        print(f"glyph bank: {len(sampler.bank.lines)} training lines cut into glyphs", flush=True)
    plain = held_out_crops(args.dataset)
    augmented = LineSampler(args.dataset, random.Random(VAL_SEED), 0.0, "held_out").augmented_crops(
        args.val_copies
    )
    field: list[tuple[np.ndarray, str]] = []
    if args.field > 0:  # the same held-out plates at intersection scale, its own fixed seed
        field = LineSampler(args.dataset, random.Random(VAL_SEED + 1), 0.0, "held_out").augmented_crops(
            args.val_copies, field=True
        )

    def score(m) -> tuple[int, int]:
        """Checkpoint key: plain held-out first, then augmented (+ field-scale) reads."""
        return validate(m, plain), validate(m, augmented) + (validate(m, field) if field else 0)

    params = [p for p in model.params.values() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    warm = max(1, args.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))
    )
    model.eval()  # BatchNorm always on stored statistics; no dropout in the export
    best = score(model)
    print(
        f"trainable {trainable} params; {len(sampler.sources)} train plates; held-out {len(plain)} plain +"
        f" {len(augmented)} augmented + {len(field)} field-scale; start plain {best[0]}, augmented {best[1]}",
        flush=True,
    )
    best_state = {k: v.detach().clone() for k, v in model.params.items()}
    t0, running, step = time.time(), 0.0, 0
    for step in range(1, args.steps + 1):
        if time.time() - t0 > args.minutes * 60:
            print(f"time cap reached at step {step - 1} of {args.steps}")
            break
        if args.stop_after and step > args.stop_after:
            print(f"stopped after step {args.stop_after} of {args.steps} (--stop-after)")
            break
        lines = sampler.batch(args.batch)
        x = batch_tensor([ln for ln, _ in lines])
        loss = loss_fn(model(x, logits=True), [t for _, t in lines])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        sched.step()
        running = 0.95 * running + 0.05 * loss.item() if step > 1 else loss.item()
        if step % args.val_every == 0 or step == args.steps:
            exact = score(model)
            mark = ""
            if exact >= best:
                best, best_state, mark = exact, {k: v.detach().clone() for k, v in model.params.items()}, " *"
            print(
                f"step {step} loss {running:.3f} lr {sched.get_last_lr()[0]:.2e} held-out plain {exact[0]}/{len(plain)}"
                f" augmented{' + field' if field else ''} {exact[1]}/{len(augmented) + len(field)}"
                f" {time.time() - t0:.0f}s{mark}",
                flush=True,
            )
    with torch.no_grad():
        for k, v in best_state.items():
            model.params[k].copy_(v)
    model.save_onnx(args.out)
    print(f"wrote {args.out} (held-out plain, augmented: {best}) after {step} steps, {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
