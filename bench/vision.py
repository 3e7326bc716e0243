"""Vision speed benchmark (one command, prints a table):

    .venv/bin/python bench/vision.py [--seconds 6] [--inference KEY=VALUE ...]

`--inference` overrides device defaults (e.g. `fuse_graphs=false opencv_threads=0`
for settings before the issue-4 work) so settings can be compared on the same machine.

In one run, on a rendered 720p clip (models/demo/make_video.py):
  1. bare onnxruntime latency of every model, on the pipeline's own sessions (same
     threads and memory settings) and on the exact tensors the pipeline fed them:
     every distinct input shape is sampled and timed bare right before and right after
     each measured pass (median of each bare pass, the lower of the two), and each call
     of that pass is charged the bare time of its shape (a recogniser call with 7
     lines costs 7x one with 1; a plain median per call hid that); the pass from
     memory is repeated (`--rounds`) and the median round reported with the range;
  2. the full plate pipeline per frame (gate off: every frame analysed) and its ratio
     to the bare model time per frame. The target row replays frames decoded into
     memory beforehand, so neither side carries video decoding; decoding is measured
     on its own row, and the same pipeline with the replay decoding alongside (as on
     a device, where decoding competes for the cores) gets its own row and ratio;
  3. process CPU on a static scene with and without motion gating (decoding included),
     per frame of the clip;
  4. peak RSS of a fresh process running two 720p cameras (a child process, so the
     benchmark's own allocations do not count);
  5. the 1080p intersection case (bench/vision_1080p.py; needs ../shared's dev plates):
     analysed frames/s per camera, cost against bare models, RSS of two 1080p cameras.
Targets (issue 4): pipeline <= 1.2 x models; gating >= 5 x less CPU; >= 10 frames/s;
RSS <= 200 MB with two 720p cameras. Issue 11: >= 5 analysed 1080p frames/s per
camera on 2 cores, RSS <= 250 MB with two 1080p cameras."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from machine import describe  # noqa: E402
from vision_memory import peak_rss  # noqa: E402
from vision_timing import MemorySource, TimedFactory  # noqa: E402

from drivers.camera import Camera, StreamEnded, open_source  # noqa: E402
from edge.vision.models import VisionModels  # noqa: E402
from edge.vision.pipeline import VisionService  # noqa: E402
from firmware_config.cameras import CameraConfig  # noqa: E402
from firmware_config.vision import VisionConfig  # noqa: E402
from models.demo.make_video import render_demo_video  # noqa: E402


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_clip(
    vision: VisionConfig,
    clip: Path,
    models: VisionModels,
    *,
    gate: bool,
    detect: str = "plates",
    frames: list[np.ndarray] | None = None,
):
    """Replay `clip` through a VisionService as fast as it analyses (nothing dropped);
    with `frames`, those decoded frames are replayed instead of decoding the file."""
    cam = CameraConfig(
        id="bench",
        kind="file",
        url=str(clip),
        replay_speed=0,
        queue_size=4,
        detect=[detect],
        motion={"enabled": gate},
    )
    service = VisionService(vision, [cam], lambda draft: None, models=models)
    if frames is not None:
        service.lanes[0].camera = Camera(
            "bench", lambda: MemorySource(frames), queue_size=4, lossless=True, finite=True
        )
    cpu0, wall0 = cpu_s(), time.perf_counter()
    service.start()
    if not service.wait_finished(900):
        raise RuntimeError("replay did not finish")
    service.stop()
    stats = service.stats()["cameras"]["bench"]
    return stats, time.perf_counter() - wall0, cpu_s() - cpu0, service.events_appended


def decode_all(clip: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of the clip, decoded by the replay source the cameras use, and the
    decoding time per frame (ms) of a camera's own pass (recycled buffers, frames
    released), measured alone."""

    def frames_of(pool_size: int):
        source = open_source("file", str(clip), replay_speed=0, pool_size=pool_size)
        try:
            while True:
                yield source.read()
        except StreamEnded:
            return
        finally:
            source.close()

    frames = list(frames_of(0))
    started = time.perf_counter()
    n = sum(1 for _ in frames_of(4))
    return frames, 1000 * (time.perf_counter() - started) / max(1, n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the rendered clips")
    parser.add_argument(
        "--static-seconds", type=float, default=20.0, help="length of the empty-road clip (gating measure)"
    )
    parser.add_argument("--rss-seconds", type=float, default=15.0)
    parser.add_argument("--no-1080p", action="store_true", help="skip the 1080p intersection case")
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured passes from memory, each between its own bare runs"
    )
    parser.add_argument(
        "--plate-detector",
        choices=("config", "yolo", "ppocr_det"),
        default="config",
        help="plate detector backend (default: the one the device config defaults to)",
    )
    parser.add_argument("--plate-model", default=None, help="detector model: manifest name or .onnx path")
    parser.add_argument(
        "--inference",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an InferenceConfig field for the whole run (e.g. intra_op_threads=0), to compare settings",
    )
    args = parser.parse_args()
    detector: dict = {} if args.plate_detector == "config" else {"type": args.plate_detector}
    if args.plate_model:
        detector = {"type": detector.get("type", "yolo"), "model": args.plate_model}
    plates = {"detector": detector} if detector else {}
    inference = dict(kv.split("=", 1) for kv in args.inference)  # pydantic converts the strings
    print(f"machine: {describe(f'onnxruntime {ort.__version__}', f'OpenCV {cv2.__version__}')}")
    work = Path(tempfile.mkdtemp(prefix="bench-vision-"))
    clip = render_demo_video(work / "pass.mp4", seconds=args.seconds)
    static = render_demo_video(work / "static.mp4", seconds=args.static_seconds, car=False)
    vision = VisionConfig(plates=plates, faces={"type": "blazeface"}, inference=inference)
    print(f"plate detector: {vision.plates.detector.type} ({vision.plates.detector.model})")
    inf = vision.inference
    print(
        "sessions (bare and pipeline alike): "
        f"intra_op_threads={inf.intra_op_threads or os.cpu_count()}, inter_op_threads={inf.inter_op_threads}, "
        f"spinning={inf.allow_spinning}, arena/mem_pattern={inf.cpu_mem_arena}/{inf.mem_pattern} "
        f"(variable-shape models: {inf.arena_for_dynamic_shapes}), trim every {inf.malloc_trim_interval_s} s, "
        f"malloc_arena_max={inf.malloc_arena_max}, malloc_mmap_threshold_kb={inf.malloc_mmap_threshold_kb}, "
        f"opencv_threads={inf.opencv_threads}, fuse_graphs={inf.fuse_graphs}"
    )
    print(
        "bare = the pipeline's own sessions on the tensors it fed them, timed just before and just "
        "after the measured passes; pipeline = same clip, same process, every frame analysed"
    )
    factory = TimedFactory(vision.inference)
    models = VisionModels.build(vision, plates=True, faces=False, sessions=factory)
    centerface = VisionModels.build(
        VisionConfig(faces={"type": "centerface"}), plates=False, faces=True, sessions=factory
    )
    blazeface = VisionModels.build(vision, plates=False, faces=True, sessions=factory)

    # The clip decoded once into memory (decoding timed alone), then a warm-up and a
    # recording pass that samples every input shape each model gets.
    decoded, decode_ms = decode_all(clip.path)
    frame = decoded[clip.plate_frames.start + 5]
    for _ in range(3):
        models.read_plates(frame)
    for s in factory.sessions:
        s.recording = True
    run_clip(vision, clip.path, models, gate=False, frames=decoded)
    for s in factory.sessions:
        s.recording = False
    face_sessions = blazeface.faces, centerface.faces
    for det in face_sessions:
        for _ in range(5):
            det.detect(frame)

    # Side by side in one process, on the very sessions the pipeline uses: every
    # measured pass is bracketed by bare runs of the recorded tensors right before and
    # right after it, so load that comes and goes on a shared machine hits both sides.
    def measured_pass(replay: list[np.ndarray] | None) -> dict:
        for s in factory.sessions:
            s.bare_times = {}
            s.bare_pass()
            s.reset_counts()
        stats, wall, _, n_events = run_clip(vision, clip.path, models, gate=False, frames=replay)
        for s in factory.sessions:
            s.bare_pass()
        frames = stats["analysed"]
        return {
            "pipe": stats["mean_ms"],
            "bare": 1000 * sum(s.bare_total_s() for s in factory.sessions) / frames,
            "in_situ": 1000 * sum(s.seconds for s in factory.sessions) / frames,
            "frames": frames,
            "wall": wall,
            "events": n_events,
            "models": {s: (sum(s.calls.values()), s.seconds, s.bare_ms()) for s in factory.sessions},
        }

    rounds = sorted((measured_pass(decoded) for _ in range(args.rounds)), key=lambda r: r["pipe"] / r["bare"])
    mem = rounds[len(rounds) // 2]
    live = measured_pass(None)
    ratios = [r["pipe"] / r["bare"] for r in rounds]
    rows = []
    for s, (calls, seconds, bare) in mem["models"].items():
        note = (
            f"{calls / mem['frames']:.2f} calls/frame; in the pipeline {1000 * seconds / calls:.1f} ms/call"
            if calls
            else ""
        )
        rows.append((f"bare {s.name}", f"{bare:.1f} ms/call", note))
    rows += [
        (
            "plate models, bare, per frame",
            f"{mem['bare']:.1f} ms",
            "each call at its input shape's bare time",
        ),
        (
            "video decoding alone (replay source)",
            f"{decode_ms:.1f} ms/frame",
            "capture thread, not in the rows below",
        ),
        ("plate models inside the pipeline, per frame", f"{mem['in_situ']:.1f} ms", "frames from memory"),
        (
            "plate pipeline per frame (gate off)",
            f"{mem['pipe']:.1f} ms",
            f"{mem['pipe'] / mem['bare']:.2f} x bare models (<= 1.2); frames from memory; median of "
            f"{len(rounds)} rounds ({min(ratios):.2f}-{max(ratios):.2f})",
        ),
        (
            "  of which outside the models",
            f"{mem['pipe'] - mem['in_situ']:.1f} ms",
            f"{mem['pipe'] / mem['in_situ']:.2f} x in-pipeline",
        ),
        (
            "plate pipeline per frame, decoding alongside",
            f"{live['pipe']:.1f} ms",
            f"{live['pipe'] / live['bare']:.2f} x bare; models inside {live['in_situ']:.1f} ms (2 cores shared)",
        ),
        (
            "plate pipeline throughput, decoding alongside",
            f"{live['frames'] / live['wall']:.1f} frames/s",
            f"{live['events']} plate event(s) (>= 10)",
        ),
    ]

    st_off, _, cpu_off, _ = run_clip(vision, static.path, models, gate=False)
    st_on, _, cpu_on, _ = run_clip(vision, static.path, models, gate=True)
    n = st_on["frames_captured"]
    rows += [
        ("static scene process CPU, gate off", f"{1000 * cpu_off / n:.1f} ms/frame", "incl. decoding"),
        (
            "static scene process CPU, gate on",
            f"{1000 * cpu_on / n:.1f} ms/frame",
            f"{cpu_off / cpu_on:.1f} x less (>= 5)",
        ),
        (
            "static scene analysis time, gate off / on",
            f"{1000 * st_off['busy_s'] / n:.2f} / {1000 * st_on['busy_s'] / n:.2f} ms",
            f"{st_off['busy_s'] / st_on['busy_s']:.0f} x less; of {n} frames {st_on['analysed']} analysed, "
            f"{st_on['gated']} gated, {st_on['frames_skipped']} passed over (still_stride)",
        ),
    ]

    peak_kb, analysed, dropped = peak_rss(clip.path, args.rss_seconds, plates, inference)
    rows.append(
        (
            "peak RSS, two 720p cameras",
            f"{peak_kb / 1024:.0f} MB",
            f"{analysed} frames, {dropped} dropped (<= 200 MB)",
        )
    )

    dataset = REPO.parent / "shared" / "datasets" / "vn-plates"
    if not args.no_1080p and (dataset / "scenes").is_dir():
        from vision_1080p import intersection_rows

        rows += intersection_rows(
            dataset, work, seconds=args.seconds, rounds=3, inference=inference, rss_seconds=args.rss_seconds
        )
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>22}  note")
    print("-" * (width + 50))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>22}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
