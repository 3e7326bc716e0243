"""Peak RSS of bench/vision.py: two cameras (720p, or the 1080p intersection clip)
replaying in real time through the plate pipeline, in a fresh child process so that
the benchmark's own allocations (decoded clips, recorded tensors) do not count.

    .venv/bin/python bench/vision_memory.py CLIP SECONDS [PLATES_JSON] [INFERENCE_JSON] [CAMERA_JSON]

prints `peak_kB frames_analysed frames_dropped`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_rss(
    clip: Path, seconds: float, plates: dict, inference: dict, camera: dict | None = None
) -> tuple[int, int, int]:
    """(peak RSS in kB, frames analysed or gated, frames dropped) of the child run;
    `camera` adds CameraConfig fields (motion, plate_roi, queue_size)."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            str(clip),
            str(seconds),
            json.dumps(plates),
            json.dumps(inference),
            json.dumps(camera or {}),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kb, analysed, dropped = (int(v) for v in out.stdout.split()[-3:])
    return peak_kb, analysed, dropped


def _child(clip: str, seconds: float, plates: dict, inference: dict, camera: dict) -> int:
    sys.path.insert(0, str(REPO))
    from edge.vision.pipeline import VisionService
    from firmware_config.cameras import CameraConfig
    from firmware_config.vision import VisionConfig

    cams = [
        CameraConfig(id=f"cam{i}", kind="file", url=clip, replay_speed=1.0, loop=True, **camera)
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


if __name__ == "__main__":
    argv = sys.argv[1:]
    raise SystemExit(
        _child(
            argv[0],
            float(argv[1]),
            json.loads(argv[2]) if len(argv) > 2 else {},
            json.loads(argv[3]) if len(argv) > 3 else {},
            json.loads(argv[4]) if len(argv) > 4 else {},
        )
    )
