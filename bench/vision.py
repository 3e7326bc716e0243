"""Vision speed benchmark (one command, prints a table):

    .venv/bin/python bench/vision.py [--seconds 6] [--inference KEY=VALUE ...]

`--inference` overrides device defaults (e.g. `intra_op_threads=0 malloc_arena_max=0
malloc_trim_interval_s=0` for the settings before issue 4's tuning) so settings can
be compared on the same machine minutes apart.

In one run, on a rendered 720p clip (models/demo/make_video.py):
  1. bare onnxruntime latency of every model, on the exact tensors the pipeline fed it,
     on the pipeline's own sessions (same threads and memory settings), timed right
     before and right after the measured pass;
  2. the full plate pipeline per frame (gate off: every frame analysed) and the ratio
     to the sum of its models' bare time per frame; frames/s end to end;
  3. process CPU on a static scene with and without motion gating;
  4. peak RSS of a fresh process running two 720p cameras (a child process, so the
     benchmark's own allocations do not count).
Targets (issue 4): pipeline <= 1.2 x models; gating >= 5 x less CPU; >= 10 frames/s;
RSS <= 200 MB with two 720p cameras."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edge.vision.models import VisionModels  # noqa: E402
from edge.vision.pipeline import VisionService  # noqa: E402
from edge.vision.runtime import SessionFactory  # noqa: E402
from firmware_config.cameras import CameraConfig  # noqa: E402
from firmware_config.vision import VisionConfig  # noqa: E402
from models.demo.make_video import render_demo_video  # noqa: E402

SAMPLES_PER_MODEL = 24


class TimedSession:
    """Wraps an InferenceSession: counts calls and time inside `run`, keeps a sample
    of the feeds so they can be replayed bare afterwards."""

    def __init__(self, session: ort.InferenceSession, name: str) -> None:
        self._session = session
        self.name = name
        self.calls = 0
        self.seconds = 0.0
        self.feeds: list[dict] = []
        self.bare_times: list[float] = []

    def run(self, output_names, feeds, run_options=None):
        if len(self.feeds) < SAMPLES_PER_MODEL or self.calls % 7 == 0:
            if len(self.feeds) >= SAMPLES_PER_MODEL:
                self.feeds[self.calls % SAMPLES_PER_MODEL] = {k: np.array(v) for k, v in feeds.items()}
            else:
                self.feeds.append({k: np.array(v) for k, v in feeds.items()})
        started = time.perf_counter()
        out = self._session.run(output_names, feeds, run_options)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        return out

    def bare_pass(self, repeats: int = 3) -> None:
        """Time session.run alone on the recorded feeds; kept in `bare_times`."""
        for _ in range(repeats):
            for feed in self.feeds:
                started = time.perf_counter()
                self._session.run(None, feed)
                self.bare_times.append(time.perf_counter() - started)

    def bare_ms(self) -> float:
        """Median bare latency over every pass so far."""
        return 1000 * statistics.median(self.bare_times) if self.bare_times else 0.0

    def __getattr__(self, item):
        return getattr(self._session, item)


class TimedFactory(SessionFactory):
    def __init__(self, config) -> None:
        super().__init__(config)
        self.sessions: list[TimedSession] = []

    def create(self, model_path):
        timed = TimedSession(super().create(model_path), Path(model_path).stem)
        self.sessions.append(timed)
        return timed


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_clip(vision: VisionConfig, clip: Path, models: VisionModels, *, gate: bool, detect: str = "plates"):
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
    cpu0, wall0 = cpu_s(), time.perf_counter()
    service.start()
    if not service.wait_finished(900):
        raise RuntimeError("replay did not finish")
    service.stop()
    stats = service.stats()["cameras"]["bench"]
    return stats, time.perf_counter() - wall0, cpu_s() - cpu0, service.events_appended


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.node()}: {os.cpu_count()} x {model}, {mem:.0f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, onnxruntime {ort.__version__}, OpenCV {cv2.__version__}"
    )


def rss_child(clip: str, seconds: float, plates: dict, inference: dict) -> int:
    """Two 720p cameras replaying in real time through the plate pipeline; print peak RSS (kB)."""
    cams = [
        CameraConfig(id=f"cam{i}", kind="file", url=clip, replay_speed=1.0, loop=True, queue_size=2)
        for i in range(2)
    ]
    service = VisionService(VisionConfig(plates=plates, inference=inference), cams, lambda draft: None)
    service.start()
    peak = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
        time.sleep(0.25)
    stats = service.stats()["cameras"]
    service.stop()
    analysed = sum(s["analysed"] + s["gated"] for s in stats.values())
    dropped = sum(s["frames_dropped"] for s in stats.values())
    print(f"{peak} {analysed} {dropped}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the rendered clips")
    parser.add_argument(
        "--static-seconds", type=float, default=20.0, help="length of the empty-road clip (gating measure)"
    )
    parser.add_argument("--rss-seconds", type=float, default=15.0)
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
    parser.add_argument("--rss-child", nargs=2, metavar=("CLIP", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    detector: dict = {} if args.plate_detector == "config" else {"type": args.plate_detector}
    if args.plate_model:
        detector = {"type": detector.get("type", "yolo"), "model": args.plate_model}
    plates = {"detector": detector} if detector else {}
    inference = dict(kv.split("=", 1) for kv in args.inference)  # pydantic converts the strings
    if args.rss_child:
        return rss_child(args.rss_child[0], float(args.rss_child[1]), plates, inference)

    print(f"machine: {machine()}")
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
        f"malloc_arena_max={inf.malloc_arena_max}, malloc_mmap_threshold_kb={inf.malloc_mmap_threshold_kb}"
    )
    print(
        "bare = the pipeline's own sessions on the tensors it fed them, timed just before and just "
        "after the measured pass (median); pipeline = same clip, same process, every frame analysed"
    )
    factory = TimedFactory(vision.inference)
    models = VisionModels.build(vision, plates=True, faces=False, sessions=factory)
    centerface = VisionModels.build(
        VisionConfig(faces={"type": "centerface"}), plates=False, faces=True, sessions=factory
    )
    blazeface = VisionModels.build(vision, plates=False, faces=True, sessions=factory)

    # warm-up (first runs allocate), then the measured run with every frame analysed
    cap = cv2.VideoCapture(str(clip.path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, clip.plate_frames.start + 5)
    _ok, frame = cap.read()
    cap.release()
    for _ in range(3):
        models.read_plates(frame)
    # Side by side in one process: a first pass over the clip records the tensors the
    # pipeline feeds each model; bare runs of those tensors are timed right before and
    # right after the measured pass, on the very sessions (same SessionOptions) the
    # pipeline uses, and the median of both passes is the bare figure.
    run_clip(vision, clip.path, models, gate=False)
    face_sessions = blazeface.faces, centerface.faces
    for det in face_sessions:
        for _ in range(5):
            det.detect(frame)
    for s in factory.sessions:
        s.bare_pass()
    for s in factory.sessions:
        s.calls, s.seconds = 0, 0.0
    stats, wall, _, n_events = run_clip(vision, clip.path, models, gate=False)
    for s in factory.sessions:
        s.bare_pass()
    frames = stats["analysed"]
    plate_sessions = [s for s in factory.sessions if s.calls]
    pipeline_ms = stats["mean_ms"]

    rows = []
    bare_per_frame = 0.0
    for s in factory.sessions:
        bare = s.bare_ms()
        per_frame = ""
        if s in plate_sessions:
            calls_per_frame = s.calls / frames
            bare_per_frame += bare * calls_per_frame
            per_frame = f"{calls_per_frame:.2f} calls/frame"
        rows.append((f"bare {s.name}", f"{bare:.1f} ms/call", per_frame))
    ratio = pipeline_ms / bare_per_frame if bare_per_frame else float("nan")
    in_situ = 1000 * sum(s.seconds for s in plate_sessions) / frames
    rows += [
        ("plate models, bare, per frame", f"{bare_per_frame:.1f} ms", ""),
        ("plate models inside the pipeline, per frame", f"{in_situ:.1f} ms", "decoding runs alongside"),
        (
            "plate pipeline per frame (gate off)",
            f"{pipeline_ms:.1f} ms",
            f"{ratio:.2f} x bare models (<= 1.2)",
        ),
        (
            "  of which outside the models",
            f"{pipeline_ms - in_situ:.1f} ms",
            f"{pipeline_ms / in_situ:.2f} x in-pipeline",
        ),
        ("plate pipeline throughput", f"{frames / wall:.1f} frames/s", f"{n_events} plate event(s) (>= 10)"),
    ]

    st_off, _, cpu_off, _ = run_clip(vision, static.path, models, gate=False)
    st_on, _, cpu_on, _ = run_clip(vision, static.path, models, gate=True)
    n = st_on["analysed"] + st_on["gated"]
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
            f"{st_off['busy_s'] / st_on['busy_s']:.0f} x less; {st_on['analysed']} of {n} frames analysed",
        ),
    ]

    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--rss-child",
            str(clip.path),
            str(args.rss_seconds),
            "--plate-detector",
            args.plate_detector,
            *(["--plate-model", args.plate_model] if args.plate_model else []),
            *(f"--inference={kv}" for kv in args.inference),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kb, analysed, dropped = (int(v) for v in out.stdout.split()[-3:])
    rows.append(
        (
            "peak RSS, two 720p cameras",
            f"{peak_kb / 1024:.0f} MB",
            f"{analysed} frames, {dropped} dropped (<= 200 MB)",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>22}  note")
    print("-" * (width + 50))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>22}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
