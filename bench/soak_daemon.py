"""The daemon process that bench/soak.py watches from outside.

It runs the real `edge.daemon.Daemon` (real SQLite outbox on disk at its quota, real
MQTT publisher to the bench's Mosquitto, real capture thread, queue, inference
thread, tracker and plate events with JPEG crops) with two stand-ins at the
outermost boundary, because the soak is about memory, file descriptors and threads
over a long run, not about models or decoders:

* the frame source hands out one small image again and again, advancing a simulated
  clock by one frame period per frame (25 fps), and drops the stream once for an
  outage during which the camera cannot be opened for many simulated hours; the
  capture thread retries with its real backoff, sleeping on the simulated clock;
* the plate reader reports one vehicle every few frames, each with its own plate
  text, instead of running ONNX models on the image.

Every couple of seconds it prints one JSON line of counters on stdout; the last line
(`"final": true`) has the outbox ledger. Run by bench/soak.py, not by hand."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.soak_standins import OutageOpener, SimClock, StandInReader, StandInSource
from drivers.backoff import Backoff
from drivers.camera import Camera
from edge.daemon import Daemon
from edge.logs import configure_logging
from edge.vision.models import VisionModels
from edge.vision.pipeline import VisionService
from firmware_config import EdgeConfig
from firmware_config.cameras import CameraConfig


def config(args: argparse.Namespace) -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            "device": {"id": "soak-cam-0001", "role": "intersection_camera"},
            "mqtt": {
                "host": "127.0.0.1",
                "port": args.port,
                "allow_insecure": True,
                "reconnect_min_s": 0.2,
                "reconnect_max_s": 2.0,
                "stats_interval_s": 5.0,
            },
            "storage": {
                "path": str(args.outbox),
                "quota": args.quota,
                "disk_reserve": "1MiB",
                "synchronous": "normal",
            },
            "cameras": [
                {
                    "id": "cam1",
                    "kind": "file",
                    "url": "stand-in",
                    "queue_size": 16,
                    "motion": {"enabled": False},
                    "reconnect_initial_s": 0.5,
                    "reconnect_max_s": 30.0,
                }
            ],
            "vision": {"tracker": {"max_missed_frames": 2, "min_hits": 2}, "idle_wait_s": 0.001},
            "logging": {"level": "warning", "format": "json"},
        }
    )


class Watch:
    """Counts threads that died of an exception (threading.excepthook)."""

    def __init__(self) -> None:
        self.deaths: list[str] = []
        threading.excepthook = self._hook

    def _hook(self, hook_args: Any) -> None:
        self.deaths.append(
            f"{hook_args.thread.name if hook_args.thread else '?'}: {hook_args.exc_type.__name__}"
        )


def rss_kb() -> int:
    """This process's resident set now, so each report line carries the RSS of the
    moment its counters describe (an outside sampler may catch a drain half-way)."""
    status = Path("/proc/self/status").read_text()
    return next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--outbox", type=Path, required=True)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--texts", type=int, required=True)
    p.add_argument("--quota", default="8MiB")
    p.add_argument("--outage-at", type=int, required=True, help="frame at which the camera drops")
    p.add_argument("--outage-hours", type=float, required=True)
    p.add_argument("--report-s", type=float, default=1.0)
    args = p.parse_args(argv)

    cfg = config(args)
    configure_logging(cfg.logging, stream=sys.stderr)
    watch = Watch()
    clock = SimClock()
    source = StandInSource(clock, args.frames, args.outage_at)
    opener = OutageOpener(source, clock, args.outage_hours * 3600)
    reader = StandInReader(args.texts)

    def camera_factory(cam: CameraConfig) -> Camera:
        backoff = Backoff(cam.reconnect_initial_s, cam.reconnect_max_s)
        return Camera(
            cam.id,
            opener,
            queue_size=cam.queue_size,
            lossless=True,
            finite=True,
            backoff=backoff,
            clock=clock,
        )

    def vision_factory(vision, cameras, append, *, clock: Any) -> VisionService:
        return VisionService(
            vision,
            cameras,
            append,
            clock=clock,
            models=VisionModels(reader, None),
            camera_factory=camera_factory,
        )

    daemon = Daemon(cfg, vision_factory=vision_factory)

    def report(final: bool = False) -> None:
        vision = daemon.producers.get("vision")
        outbox = daemon.outbox
        line: dict[str, Any] = {
            "t": round(time.monotonic(), 2),
            "final": final,
            "sim_s": round(clock.monotonic(), 1),
            "frames_served": source.served,
            "open_refused": opener.refused,
            "distinct_texts": reader.distinct,
            "threads": threading.active_count(),
            "rss_kb": rss_kb(),
            "thread_deaths": list(watch.deaths),
            "unhealthy": daemon.unhealthy_components() if daemon.publisher else [],
        }
        if vision is not None:
            stats = vision.stats()
            cam = stats["cameras"]["cam1"]
            line.update(
                analysed=cam["analysed"],
                failed=cam["failed"],
                events_appended=stats["events_appended"],
                append_failures=stats["append_failures"],
                camera_state=cam["state"],
                open_failures=cam["open_failures"],
            )
        if outbox is not None:
            s = outbox.stats().as_dict()
            line["outbox"] = {
                k: s[k]
                for k in (
                    "depth",
                    "bytes",
                    "appended_total",
                    "acked_total",
                    "evicted_total",
                    "expired_total",
                    "rejected",
                )
            }
        print(json.dumps(line), flush=True)

    def supervise() -> None:
        while not daemon.stop_requested.wait(args.report_s):
            try:
                vision = daemon.producers.get("vision")
                done = vision is not None and vision.finished() and daemon.outbox.stats().depth == 0
                report()  # when done, the settled line the soak's end RSS is read from
                if done:
                    daemon.stop_requested.set()
            except Exception as exc:  # reporting must not be what fails the soak
                print(json.dumps({"report_error": repr(exc)}), flush=True)

    threading.Thread(target=supervise, name="soak-report", daemon=True).start()
    daemon.install_signal_handlers()
    code = daemon.run()
    # the daemon closed its outbox; reopen read-only to report the ledger
    from edge.outbox import inspect_outbox

    ledger = inspect_outbox(cfg.storage.path, int(cfg.storage.quota)).as_dict()
    print(
        json.dumps(
            {
                "final": True,
                "exit": code,
                "sim_s": round(clock.monotonic(), 1),
                "frames_served": source.served,
                "open_refused": opener.refused,
                "distinct_texts": reader.distinct,
                "thread_deaths": list(watch.deaths),
                "ledger": {
                    k: ledger[k]
                    for k in (
                        "depth",
                        "appended_total",
                        "acked_total",
                        "evicted_total",
                        "expired_total",
                        "rejected",
                    )
                },
            }
        ),
        flush=True,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
