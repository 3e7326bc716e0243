"""The vision service: cameras -> motion gate -> detectors -> tracker -> events -> outbox.

Each camera captures on its own thread into a small drop-oldest queue; one inference
thread takes frames from the cameras in turn. One thread is deliberate: on a 2-4 core
device the ONNX sessions already use every core, and two inference threads would only
fight over them and add latency. Nothing a camera or a model does can stop the
service: a failed frame is counted and logged, an outbox refusal (disk quota) is
counted and reported, and the daemon's watchdog only sees `healthy()` go false if a
thread died or wedged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from drivers.camera import Backoff, Camera, Frame, open_source
from edge.events import EventDraft
from edge.startup import StartupError
from edge.vision.events import PlateEventBuilder, PresenceMonitor
from edge.vision.models import VisionModels
from edge.vision.motion import MotionGate
from edge.vision.plates.search import attention_mask
from edge.vision.runtime import MallocTrimmer, ModelLoadError
from edge.vision.stats import CameraCounters
from edge.vision.stills import StillRequests
from edge.vision.tracker import PlateTracker
from firmware_config.cameras import CameraConfig
from firmware_config.vision import VisionConfig

log = logging.getLogger(__name__)

WEDGED_AFTER_S = 120.0  # far above the slowest model run; a silent loop this long is stuck


class VisionStartupError(StartupError):
    """The vision models cannot be loaded (missing weights, bad detector config): the
    daemon refuses to start and says which file to fetch, rather than running cameras
    that silently detect nothing."""


class ClockLike(Protocol):
    def synchronised(self) -> bool: ...


def build_camera(cfg: CameraConfig) -> Camera:
    """A capture thread for one configured camera (drivers take plain arguments)."""

    def opener():
        return open_source(
            cfg.kind,
            cfg.url,
            fps=cfg.fps,
            replay_speed=cfg.replay_speed,
            loop=cfg.loop,
            open_timeout_s=cfg.open_timeout_s,
            read_timeout_s=cfg.read_timeout_s,
            decode_threads=cfg.decode_threads,
            pool_size=cfg.queue_size + 2,  # queued frames, the one analysed, the one decoding
        )

    replay = cfg.kind == "file"
    return Camera(
        cfg.id,
        opener,
        queue_size=cfg.queue_size,
        lossless=replay and cfg.replay_speed == 0,
        finite=replay and not cfg.loop,
        max_fps=None if replay else cfg.fps,
        backoff=Backoff(cfg.reconnect_initial_s, cfg.reconnect_max_s),
    )


class CameraLane:
    """Everything that is per camera: capture, gate, tracker, presence, counters."""

    def __init__(
        self,
        cfg: CameraConfig,
        vision: VisionConfig,
        clock_synced: Callable[[], bool],
        camera_factory: Callable[[CameraConfig], Camera] = build_camera,
    ) -> None:
        self.cfg = cfg
        self.camera = camera_factory(cfg)
        m = cfg.motion
        self.gate = (
            MotionGate(
                width=m.width,
                pixel_threshold=m.pixel_threshold,
                min_changed_fraction=m.min_changed_fraction,
                hold_frames=m.hold_frames,
                zones=m.zones,
                masks=m.masks,
            )
            if m.enabled
            else None
        )
        self.tracker = PlateTracker(vision.tracker) if "plates" in cfg.detect else None
        zones = [(z.name, z.points) for z in cfg.presence_zones]
        self.presence = (
            PresenceMonitor(cfg.id, zones, vision.presence, clock_synced=clock_synced)
            if "faces" in cfg.detect
            else None
        )
        self.counters = CameraCounters()
        self.flushed = False


class VisionService:
    """Built by the daemon when cameras are configured; `outbox` is the outbox (anything
    with `append(EventDraft)`) or the daemon's append function."""

    def __init__(
        self,
        config: VisionConfig,
        cameras: list[CameraConfig],
        outbox: Any,
        *,
        clock: ClockLike | None = None,
        models: VisionModels | None = None,
        camera_factory: Callable[[CameraConfig], Camera] = build_camera,
    ) -> None:
        """`models` and `camera_factory` replace the model files and the camera
        sources (tests, the soak bench); the daemon passes neither."""
        self.config = config
        self._append: Callable[[EventDraft], object] = getattr(outbox, "append", outbox)
        self._clock_synced: Callable[[], bool] = clock.synchronised if clock is not None else (lambda: False)
        needs = {d for c in cameras for d in c.detect}
        try:
            self.models = models or VisionModels.build(
                config, plates="plates" in needs, faces="faces" in needs
            )
        except (ModelLoadError, LookupError, ValueError) as exc:
            raise VisionStartupError(f"vision models: {exc}") from exc
        self.plate_events = PlateEventBuilder(config.plate_events, clock_synced=self._clock_synced)
        self.lanes = [CameraLane(c, config, self._clock_synced, camera_factory) for c in cameras]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vision-inference", daemon=True)
        self._beat = time.monotonic()
        self._trimmer = MallocTrimmer(config.inference.malloc_trim_interval_s)
        self.append_failures = 0
        self.events_appended = 0
        self.stills = StillRequests()

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        for lane in self.lanes:
            lane.camera.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop capture, finish the frames already queued, report passes in progress."""
        for lane in self.lanes:
            lane.camera.stop()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        for lane in self.lanes:
            self._flush(lane)

    def healthy(self) -> bool:
        if not self._thread.is_alive():
            return self.finished()
        return time.monotonic() - self._beat < WEDGED_AFTER_S and all(
            ln.camera.healthy() for ln in self.lanes
        )

    def still(self, camera_id: str, timeout_s: float) -> bytes:
        """JPEG of the camera's next analysed frame (the remote snapshot command)."""
        if camera_id not in {ln.cfg.id for ln in self.lanes}:
            raise LookupError(f"no camera {camera_id!r}")
        return self.stills.take(camera_id, timeout_s)

    def finished(self) -> bool:
        """Every camera was a replay that reached its end and every frame was analysed."""
        return all(ln.camera.finished and ln.flushed for ln in self.lanes)

    def wait_finished(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.finished():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "events_appended": self.events_appended,
            "append_failures": self.append_failures,
            "cameras": {
                ln.cfg.id: {**ln.camera.stats().__dict__, **ln.counters.as_dict()} for ln in self.lanes
            },
        }

    # -- inference thread --------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set() or any(len(ln.camera.queue) for ln in self.lanes):
            self._beat = time.monotonic()
            self._trimmer.maybe_trim(self._beat)
            got = False
            for lane in self.lanes:
                frame = lane.camera.get(timeout=0)
                if frame is not None:
                    got = True
                    self._analyse(lane, frame)
                elif lane.camera.finished and not lane.flushed:
                    self._flush(lane)
            if not got:
                if self.finished():
                    return
                self._stop.wait(self.config.idle_wait_s)

    def _analyse(self, lane: CameraLane, frame: Frame) -> None:
        started, cpu_started = time.perf_counter(), time.thread_time()
        self.stills.offer(lane.cfg.id, frame.image)
        try:
            self._emit(self.process(lane, frame))
        except Exception as exc:  # one bad frame must not stop the camera's analysis
            lane.counters.failed += 1
            log.warning(
                "camera %s: frame %d not analysed: %s: %s", lane.cfg.id, frame.seq, type(exc).__name__, exc
            )
        lane.counters.record_time(time.perf_counter() - started, time.thread_time() - cpu_started)

    def process(self, lane: CameraLane, frame: Frame) -> list[EventDraft]:
        """Run one frame through gate, detectors and tracker; return the events due."""
        image = frame.image
        h, w = image.shape[:2]
        gate_open = lane.gate is None or lane.gate.update(image).open
        if lane.gate is not None:
            # a still scene needs only every Nth frame looked at; motion restores all
            lane.camera.stride = 1 if gate_open else lane.cfg.motion.still_stride
        if not gate_open:
            lane.counters.gated += 1
            events: list[EventDraft] = []
            if lane.tracker is not None:
                events += [self.plate_events.build(lane.cfg.id, p) for p in lane.tracker.update([], (w, h))]
            if lane.presence is not None:
                events += lane.presence.update(None, image, frame.captured_at, frame.monotonic)
            return events
        lane.counters.analysed += 1
        events = []
        if lane.tracker is not None and self.models.plates is not None:
            motion = None
            if lane.gate is not None and lane.gate.changed is not None:
                motion = attention_mask(lane.gate.changed, [t.last.box for t in lane.tracker.tracks], (w, h))
            settled = [t.last.box for t in lane.tracker.tracks if lane.tracker.settled(t)]
            reads = self.models.read_plates(image, frame, lane.cfg.plate_roi, motion, settled)
            observations = [self.plate_events.detach(o) for o in reads]
            lane.counters.plate_reads += len(observations)
            passes = lane.tracker.update(observations, (w, h))
            events += [self.plate_events.build(lane.cfg.id, p) for p in passes]
        if lane.presence is not None and self.models.faces is not None:
            faces = self.models.faces.detect(image)
            lane.counters.faces += len(faces)
            events += lane.presence.update(faces, image, frame.captured_at, frame.monotonic)
        return events

    def _flush(self, lane: CameraLane) -> None:
        if lane.flushed:
            return
        lane.flushed = True
        if lane.tracker is not None:
            self._emit([self.plate_events.build(lane.cfg.id, p) for p in lane.tracker.flush()])

    def _emit(self, drafts: list[EventDraft]) -> None:
        for draft in drafts:
            try:
                self._append(draft)
                self.events_appended += 1
            except Exception as exc:  # the outbox says why (quota, disk); keep analysing
                self.append_failures += 1
                log.error("vision event %s not stored: %s", draft.type, exc)
