"""Where to look for intersection plates: the options of issue 11, point 1, side by
side in one run (one command, prints a table):

    .venv/bin/python bench/plate_search.py [--seconds 6] [--small-model PATH]

Each option is the same reader (committed recogniser, grammar, reject) behind a
different search; every option runs through the same motion gate, frame by frame:

* `frame`: the whole frame shrunk into the detector input (the default until now);
* `tiles 1.0` / `tiles 0.67`: the committed fixed-input detector on overlapping
  416-px tiles of the moved area at native / 0.67 scale;
* `two-stage`: moving regions first (connected components of the motion gate's mask,
  grown by half their size), then the committed detector on each region at native
  resolution (tiled when larger than its input). No permissively licensed vehicle
  detector installs from a registry here (models/README.md), so motion regions are
  the first stage;
* `small-plate detector` (`--small-model`, the output of
  `models/train/small_plates.py`): the detector fine-tuned for 12-110 px plates,
  dynamic input, run once on the moved area at 0.67 / 1.0 scale. Tried and not
  shipped (models/README.md); the option is skipped when the file is absent.

Data: a 1080p clip composited from **held-out** dev scenes (`bench/intersection.py`,
plates 40-90 px, labelled per frame), and the two shared real clips at native
resolution with the hand labels of `bench/labels/` (recall on the readable frames;
every read that is not a labelled plate's text counts as false)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from machine import describe  # noqa: E402
from real_footage import CLIPS_DIR, decode, load_labels  # noqa: E402

from edge.vision.models import registries  # noqa: E402
from edge.vision.motion import MotionGate  # noqa: E402
from edge.vision.plates.plate_format import compact  # noqa: E402
from edge.vision.plates.reader import PlateReader  # noqa: E402
from edge.vision.plates.search import attention_mask  # noqa: E402
from edge.vision.plugins import Detection, Detector  # noqa: E402
from edge.vision.runtime import SessionFactory  # noqa: E402
from firmware_config.inference import InferenceConfig  # noqa: E402
from firmware_config.plates import PlateReaderConfig  # noqa: E402
from models.synth.intersection_scenes import intersection_clip  # noqa: E402
from models.train.scene_eval import iou  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "vn-plates"


class TwoStage(Detector):
    """Moving regions first, then the plate detector inside each at native scale."""

    type_key = "two_stage_bench"

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.motion: np.ndarray | None = None

    @classmethod
    def from_config(cls, config, sessions):  # pragma: no cover - built directly
        raise NotImplementedError

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        h, w = image_bgr.shape[:2]
        if self.motion is None:
            regions = [(0, 0, w, h)]
        else:
            mh, mw = self.motion.shape[:2]
            grown = cv2.dilate(self.motion, np.ones((5, 5), np.uint8))
            n, _, stats, _ = cv2.connectedComponentsWithStats(grown)
            regions = []
            for x, y, bw, bh, area in stats[1:n]:
                if area < 4:
                    continue
                gx, gy = bw / 2, bh / 2
                regions.append(
                    (
                        max(0, int((x - gx) * w / mw)),
                        max(0, int((y - gy) * h / mh)),
                        min(w, int((x + bw + gx) * w / mw)),
                        min(h, int((y + bh + gy) * h / mh)),
                    )
                )
        out: list[Detection] = []
        for x1, y1, x2, y2 in regions:
            for d in _tiles(self.inner, image_bgr[y1:y2, x1:x2]):
                b = d.box
                out.append(Detection((b[0] + x1, b[1] + y1, b[2] + x1, b[3] + y1), d.score, d.label))
        if not out:
            return out
        boxes = [[d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]] for d in out]
        keep = cv2.dnn.NMSBoxes(boxes, [d.score for d in out], 0.0, 0.45)
        return [out[int(k)] for k in np.asarray(keep, dtype=int).reshape(-1)]


def _tiles(inner: Detector, part: np.ndarray) -> list[Detection]:
    from edge.vision.plates.search import PlateSearch
    from firmware_config.plates import PlateSearchConfig

    return PlateSearch(inner, PlateSearchConfig(mode="native", scale=1.0)).detect(part)


def run_frames(reader: PlateReader, frames, two_stage: TwoStage | None = None):
    """Reads per frame through a motion gate, as the pipeline does; ms per frame."""
    gate = MotionGate()
    out, spent = [], 0.0
    tracks: list = []
    for frame in frames:
        gate.update(frame)
        h, w = frame.shape[:2]
        motion = None
        if gate.changed is not None:
            motion = attention_mask(gate.changed, tracks, (w, h))
        started = time.perf_counter()
        if two_stage is not None:
            two_stage.motion = motion
            reads = reader.read(frame)
        else:
            reads = reader.read(frame, (), motion)
        spent += time.perf_counter() - started
        tracks = [r.box for r in reads]
        out.append(reads)
    return out, 1000 * spent / max(1, len(frames))


def score_composite(reads_per_frame, plates_per_frame) -> tuple[int, int, int, int]:
    """(plates in view, found at IoU 0.3, read exactly, false reads)."""
    total = found = exact = false = 0
    for reads, plates in zip(reads_per_frame, plates_per_frame, strict=True):
        total += len(plates)
        for p in plates:
            hit = [r for r in reads if iou(r.box, p.box) >= 0.3]
            found += bool(hit)
            exact += any(compact(r.text) == compact(p.text) for r in hit)
        false += sum(
            not any(iou(r.box, p.box) >= 0.3 and compact(r.text) == compact(p.text) for p in plates)
            for r in reads
        )
    return total, found, exact, false


def score_real(reads_by_clip, labels) -> tuple[int, int, int, int]:
    """(readable labelled plates, read exactly, all reads, reads of no labelled text)."""
    readable = exact = reads = false = 0
    for clip, per_frame in reads_by_clip.items():
        texts = {compact(lab.text) for lab in labels if lab.clip == clip}
        for lab in (
            lab for lab in labels if lab.clip == clip and lab.readable == "yes" and lab.frame < len(per_frame)
        ):
            readable += 1
            exact += any(
                iou(r.box, lab.box) >= 0.3 and compact(r.text) == compact(lab.text)
                for r in per_frame[lab.frame]
            )
        for frame_reads in per_frame:
            reads += len(frame_reads)
            false += sum(compact(r.text) not in texts for r in frame_reads)
    return readable, exact, reads, false


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6.0, help="length of the 1080p composite clip (10 fps)")
    ap.add_argument(
        "--small-model",
        default="/tmp/small_plates/plate_det_small.onnx",
        help="small-plate detector (models/train/small_plates.py output; not shipped, see models/README.md)",
    )
    ap.add_argument("--no-real", action="store_true", help="skip the shared real clips")
    ap.add_argument(
        "--real-frames",
        type=int,
        default=0,
        help="only the first N frames of each real clip (0: all; the Hanoi clip's readable frames are 32-40)",
    )
    args = ap.parse_args()
    if not (DATASET / "scenes" / "labels.csv").is_file():
        print(f"dev plate set not found at {DATASET}", file=sys.stderr)
        return 2
    print(f"machine: {describe()}")
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    clip = intersection_clip(DATASET, work / "clip1080.mp4", seconds=args.seconds)
    frames = decode(clip.path)
    real = {}
    if not args.no_real and CLIPS_DIR.is_dir():
        real = {p.name: decode(p)[: args.real_frames or None] for p in sorted(CLIPS_DIR.glob("*.mp4"))}
    labels = load_labels()
    sessions = SessionFactory(InferenceConfig())
    detectors, recognizers = registries()
    base = PlateReaderConfig()
    rec = recognizers.create(base.recognizer, sessions)
    committed = detectors.create(base.detector, sessions)
    small = None
    if Path(args.small_model).is_file():
        small = detectors.create(base.detector.model_copy(update={"model": args.small_model}), sessions)

    def reader(det, **search) -> PlateReader:
        cfg = base.model_copy(update={"search": base.search.model_copy(update=search)})
        return PlateReader(det, rec, cfg)

    two = TwoStage(committed)
    options = [
        ("frame (whole frame -> 416)", reader(committed), None),
        ("tiles 416, native scale", reader(committed, mode="native", scale=1.0), None),
        ("tiles 416, scale 0.67", reader(committed, mode="native", scale=0.67), None),
        ("two-stage: motion regions, then detector", reader(two), two),
    ]
    if small is not None:
        options += [
            ("small-plate detector, scale 0.67", reader(small, mode="native", scale=0.67), None),
            ("small-plate detector, native scale", reader(small, mode="native", scale=1.0), None),
        ]
    rows = []
    for name, rd, ts in options:
        per_frame, ms = run_frames(rd, frames, ts)
        total, found, exact, false = score_composite(per_frame, clip.plates)
        row = [name, f"{100 * found / total:.1f}", f"{100 * exact / total:.1f}", str(false), f"{ms:.0f}"]
        if real:
            by_clip, real_ms = {}, []
            for name_, clip_frames in real.items():
                by_clip[name_], ms_ = run_frames(rd, clip_frames, ts)
                real_ms.append(f"{ms_:.0f}")
            readable, rexact, reads, rfalse = score_real(by_clip, labels)
            row += [f"{rexact}/{readable}", f"{reads - rfalse}/{reads}", "/".join(real_ms)]
        rows.append(row)
        print(" | ".join(row), flush=True)
    header = ["search", "found %", "exact %", "false reads", "ms/frame"]
    if real:
        header += ["real: readable read", "real: right/all reads", "real ms/frame (per clip)"]
    n_plates = sum(len(p) for p in clip.plates)
    print(
        f"\n1080p composite clip: {len(frames)} frames, {n_plates} plate sightings, {len(clip.passes)} vehicles; "
        f"real clips: {', '.join(f'{k} ({len(v)} frames)' for k, v in real.items()) or 'not found'}"
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
