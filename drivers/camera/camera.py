"""One camera = one capture thread feeding one bounded queue.

The thread owns the source's whole life: open, read, detect damaged frames, notice a
dropped or silent stream, reconnect with jittered exponential backoff, and report each
of these in `stats()` and the log. A camera fault never escapes the thread, so a
flaky camera can never take the daemon down; `healthy()` only turns false if the
thread itself is gone or wedged, which a restart might actually fix."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from drivers.backoff import Backoff
from drivers.camera.frame import Frame, FrameQueue
from drivers.camera.source_base import CorruptFrame, FrameSource, SourceError, StreamEnded, StreamStalled
from drivers.camera.timing import CaptureClock, SystemClock

log = logging.getLogger(__name__)

WEDGED_AFTER_S = 60.0  # read/open timeouts are far shorter; a silent loop this long is stuck


class CameraState(str, enum.Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    BACKOFF = "backoff"
    FINISHED = "finished"  # a replay reached its end
    STOPPED = "stopped"


@dataclass(frozen=True)
class CameraStats:
    camera_id: str
    state: str
    frames_captured: int
    frames_dropped: int
    """Frames thrown away because inference fell behind (oldest first)."""
    frames_skipped: int
    """Frames not queued because of the configured frame-rate cap or the `stride`."""
    corrupt_frames: int
    connects: int
    reconnects: int
    stalls: int
    disconnects: int
    open_failures: int
    queue_depth: int
    last_error: str | None
    last_frame_age_s: float | None


class Camera:
    """Capture thread for one source. `opener` builds a fresh `FrameSource` on every
    (re)connect. `finite` marks replays, whose end finishes the camera instead of
    triggering a reconnect."""

    def __init__(
        self,
        camera_id: str,
        opener: Callable[[], FrameSource],
        *,
        queue_size: int = 2,
        lossless: bool = False,
        finite: bool = False,
        max_fps: float | None = None,
        backoff: Backoff | None = None,
        max_corrupt_run: int = 25,
        clock: CaptureClock | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._opener = opener
        self.queue = FrameQueue(queue_size, lossless=lossless)
        self._finite = finite
        self._min_interval = 1.0 / max_fps if max_fps else 0.0
        self._backoff = backoff or Backoff(0.5, 30.0)
        self._max_corrupt_run = max_corrupt_run
        self._clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera_id}", daemon=True)
        self._lock = threading.Lock()
        self._state = CameraState.CONNECTING
        self._beat = time.monotonic()
        self._last_frame_mono: float | None = None
        self._last_error: str | None = None
        self._seq = 0
        self.stride = 1
        """Queue every `stride`-th frame and pass over the others cheaply (sources with
        `skip()`: decoded, not converted). Set by the consumer, e.g. 2 while the motion
        gate sees a still scene; 1 (every frame) otherwise. Skips count as skipped."""
        self._to_skip = 0
        self._counts = dict.fromkeys(
            ("captured", "skipped", "corrupt", "connects", "stalls", "disconnects", "open_failures"), 0
        )

    # -- public --------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.queue.close()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def get(self, timeout: float | None = None) -> Frame | None:
        return self.queue.get(timeout)

    @property
    def finished(self) -> bool:
        return self._state in (CameraState.FINISHED, CameraState.STOPPED) and not self._thread.is_alive()

    def healthy(self) -> bool:
        if self._state == CameraState.FINISHED:
            return True
        return self._thread.is_alive() and time.monotonic() - self._beat < WEDGED_AFTER_S

    def stats(self) -> CameraStats:
        with self._lock:
            c = dict(self._counts)
            last = self._last_frame_mono
            return CameraStats(
                camera_id=self.camera_id,
                state=self._state.value,
                frames_captured=c["captured"],
                frames_dropped=self.queue.dropped,
                frames_skipped=c["skipped"],
                corrupt_frames=c["corrupt"],
                connects=c["connects"],
                reconnects=max(0, c["connects"] - 1),
                stalls=c["stalls"],
                disconnects=c["disconnects"],
                open_failures=c["open_failures"],
                queue_depth=len(self.queue),
                last_error=self._last_error,
                last_frame_age_s=None if last is None else self._clock.monotonic() - last,
            )

    # -- capture thread --------------------------------------------------------
    def _count(self, key: str, error: str | None = None) -> None:
        with self._lock:
            self._counts[key] += 1
            if error is not None:
                self._last_error = error

    def _set_state(self, state: CameraState) -> None:
        with self._lock:
            self._state = state
        self._beat = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._set_state(CameraState.CONNECTING)
            try:
                source = self._opener()
            except Exception as exc:  # SourceError or a library error: both mean "not now"
                self._count("open_failures", f"open failed: {exc}")
                log.warning("camera %s: cannot open source: %s", self.camera_id, exc)
                self._sleep_backoff()
                continue
            self._count("connects")
            if self._counts["connects"] > 1:
                log.info("camera %s: reconnected", self.camera_id)
            self._set_state(CameraState.STREAMING)
            try:
                ended = self._stream(source)
            finally:
                source.close()
            if ended and self._finite:
                self._set_state(CameraState.FINISHED)
                self.queue.close()
                log.info("camera %s: replay finished", self.camera_id)
                return
            if not self._stop.is_set():
                self._sleep_backoff()
        self._set_state(CameraState.STOPPED)
        self.queue.close()

    def _stream(self, source: FrameSource) -> bool:
        """Read until the source fails; True if it ended (vs. stalled/was stopped)."""
        corrupt_run = 0
        last_queued = 0.0
        while not self._stop.is_set():
            self._beat = time.monotonic()
            skipping = self.stride > 1 and self._to_skip > 0 and hasattr(source, "skip")
            try:
                if skipping:
                    source.skip()  # type: ignore[attr-defined]
                else:
                    image = source.read()
            except CorruptFrame as exc:
                corrupt_run += 1
                self._count("corrupt", f"corrupt frame: {exc}")
                if corrupt_run >= self._max_corrupt_run:
                    self._count("disconnects", f"{corrupt_run} corrupt frames in a row; reconnecting")
                    log.warning(
                        "camera %s: %d corrupt frames in a row, reconnecting", self.camera_id, corrupt_run
                    )
                    return False
                continue
            except StreamStalled as exc:
                self._count("stalls", str(exc))
                log.warning("camera %s: stalled: %s", self.camera_id, exc)
                return False
            except StreamEnded as exc:
                if not self._finite:
                    self._count("disconnects", str(exc))
                    log.warning("camera %s: stream ended: %s", self.camera_id, exc)
                return True
            except (SourceError, Exception) as exc:  # a decoder/library failure: reopen
                self._count("disconnects", f"{type(exc).__name__}: {exc}")
                log.warning("camera %s: source failed: %s", self.camera_id, exc)
                return False
            now = self._clock.monotonic()
            corrupt_run = 0
            self._backoff.reset()
            self._count("captured")
            with self._lock:
                self._last_frame_mono = now
            if skipping:
                self._to_skip -= 1
                self._count("skipped")
                continue
            self._to_skip = self.stride - 1
            if self._min_interval and now - last_queued < self._min_interval:
                self._count("skipped")
                continue
            last_queued = now
            self._seq += 1
            frame = Frame(self.camera_id, self._seq, image, datetime.now(timezone.utc), now)
            self.queue.put(frame, self._stop)
        return False

    def _sleep_backoff(self) -> None:
        delay = self._backoff.next_delay()
        self._set_state(CameraState.BACKOFF)
        deadline = self._clock.monotonic() + delay
        while not self._stop.is_set():
            left = deadline - self._clock.monotonic()
            if left <= 0:
                return
            self._beat = time.monotonic()  # the watchdog's heartbeat stays on real time
            self._clock.wait(self._stop, min(left, 1.0))
