"""The stand-ins of the soak's daemon process (bench/soak_daemon.py): a simulated clock,
a frame source and a plate reader, at the outermost boundary of the daemon.

The soak is about memory, file descriptors and threads over a long run, so the
frames need not be decoded nor the plates read by models: the source hands out one
small image again and again, advancing the simulated clock by one frame period per
frame, and drops the stream once for an outage of many simulated hours; the reader
reports one vehicle every few frames, each with its own plate text."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from drivers.camera import SourceUnavailable, StreamEnded, StreamStalled

FPS = 25.0
SLOT = 8  # frames per vehicle: visible for VISIBLE frames, then gone
VISIBLE = 4


class SimClock:
    """Monotonic time that moves only when told: one frame period per frame, and the
    whole of every backoff sleep at once."""

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        self.advance(timeout)
        return stop.is_set()


class StandInSource:
    """`frames` frames of one small image; the stream drops once at `outage_at`."""

    def __init__(self, clock: SimClock, frames: int, outage_at: int) -> None:
        self._clock = clock
        self._frames = frames
        self._outage_at = outage_at
        self._image = np.random.default_rng(7).integers(0, 255, (72, 128, 3), dtype=np.uint8)
        self.served = 0

    def read(self) -> np.ndarray:
        if self.served >= self._frames:
            raise StreamEnded("replay finished")
        if self.served == self._outage_at:
            self._outage_at = -1
            raise StreamStalled("simulated camera outage")
        self.served += 1
        self._clock.advance(1.0 / FPS)
        return self._image

    def close(self) -> None:
        pass


class OutageOpener:
    """Opens the stand-in source, except while the simulated outage lasts."""

    def __init__(self, source: StandInSource, clock: SimClock, outage_s: float) -> None:
        self.source = source
        self._clock = clock
        self._outage_s = outage_s
        self._until: float | None = None
        self.refused = 0

    def __call__(self) -> StandInSource:
        if self.source.served and self._until is None and self.source.served < self.source._frames:
            self._until = self._clock.monotonic() + self._outage_s  # the stream just dropped
        if self._until is not None and self._clock.monotonic() < self._until:
            self.refused += 1
            raise SourceUnavailable("camera unreachable (simulated outage)")
        return self.source


@dataclass(frozen=True)
class StandInRead:
    box: tuple[float, float, float, float]
    text: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    layout: str
    detection_score: float = 0.9
    colour: str = "unknown"


class StandInReader:
    """One vehicle per SLOT frames, visible for VISIBLE of them, with its own text."""

    def __init__(self, texts: int) -> None:
        self._texts = texts
        self._calls = 0
        self.vehicles = 0

    @property
    def distinct(self) -> int:
        """Distinct texts so far (texts repeat only after `texts` vehicles); counted,
        not collected, so the stand-in's own bookkeeping does not grow the RSS."""
        return min(self.vehicles, self._texts)

    def read(self, image: np.ndarray, roi=(), motion=None, settled=()) -> list[StandInRead]:
        """`PlateReader.read`'s signature; where to look does not matter to a stand-in."""
        n = self._calls
        self._calls += 1
        vehicle, step = divmod(n, SLOT)
        if step >= VISIBLE:
            return []
        k = vehicle % self._texts
        self.vehicles = vehicle + 1
        text = f"{11 + k % 89}A-{k // 89 % 1000:03d}.{k // 89_000 % 100:02d}"
        x = 10.0 if vehicle % 2 else 70.0  # alternate lanes: consecutive vehicles never match
        y = 10.0 + 8.0 * step
        return [StandInRead((x, y, x + 40.0, y + 14.0), text, 0.95, (), "one_line")]
