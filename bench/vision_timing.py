"""Timing helpers of bench/vision.py: sessions that record what the pipeline fed them
and replay it bare, and a frame source that hands out frames already decoded."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np
import onnxruntime as ort

from drivers.camera import StreamEnded
from edge.vision.runtime import SessionFactory

SAMPLES_PER_SHAPE = 3
SAMPLE_EVERY = 16


class TimedSession:
    """Wraps an InferenceSession: counts calls per input shape and time inside `run`,
    keeps a few feeds of every shape so they can be replayed bare afterwards."""

    def __init__(self, session: ort.InferenceSession, name: str) -> None:
        self._session = session
        self.name = name
        self.calls: Counter[tuple] = Counter()
        self.seconds = 0.0
        self.feeds: dict[tuple, list[dict]] = {}
        self.recording = False
        """While True (the recording pass), feeds are sampled across the clip; in the
        measured passes only a shape never seen before is copied."""
        self.recorded: Counter[tuple] = Counter()
        self.bare_times: dict[tuple, list[float]] = {}

    def run(self, output_names, feeds, run_options=None):
        shape = tuple(np.shape(v) for v in feeds.values())
        kept = self.feeds.setdefault(shape, [])
        seen = self.calls[shape] + self.recorded[shape]
        if not kept or (self.recording and len(kept) < SAMPLES_PER_SHAPE):
            kept.append({k: np.array(v) for k, v in feeds.items()})
        elif self.recording and seen % SAMPLE_EVERY == 0:  # spread over the clip
            kept[(seen // SAMPLE_EVERY) % SAMPLES_PER_SHAPE] = {k: np.array(v) for k, v in feeds.items()}
        if self.recording:
            self.recorded[shape] += 1
        started = time.perf_counter()
        out = self._session.run(output_names, feeds, run_options)
        self.seconds += time.perf_counter() - started
        self.calls[shape] += 1
        return out

    def reset_counts(self) -> None:
        self.calls, self.seconds = Counter(), 0.0

    def bare_pass(self, repeats: int = 3) -> None:
        """Time session.run alone on the recorded feeds of every shape; each pass
        keeps its own median per shape."""
        times: dict[tuple, list[float]] = {}
        for _ in range(repeats):
            for shape, feeds in self.feeds.items():
                for feed in feeds:
                    started = time.perf_counter()
                    self._session.run(None, feed)
                    times.setdefault(shape, []).append(time.perf_counter() - started)
        for shape, ts in times.items():
            self.bare_times.setdefault(shape, []).append(statistics.median(ts))

    def bare_of(self, shape: tuple) -> float:
        """A shape's bare time: the lower of the passes' medians (noise on a shared
        machine only ever adds time, and a lower bare figure is the stricter ratio)."""
        return min(self.bare_times[shape])

    def bare_total_s(self) -> float:
        """Bare time of the counted calls: each call at its shape's bare time."""
        return sum(n * self.bare_of(shape) for shape, n in self.calls.items())

    def bare_ms(self) -> float:
        """Bare latency per call over the counted calls (or over every sampled shape)."""
        if self.calls:
            return 1000 * self.bare_total_s() / sum(self.calls.values())
        times = [self.bare_of(shape) for shape in self.bare_times]
        return 1000 * statistics.median(times) if times else 0.0

    def __getattr__(self, item):
        return getattr(self._session, item)


class MemorySource:
    """Frames decoded beforehand, handed out as fast as they are taken (no decoding)."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self._frames = iter(frames)

    def read(self) -> np.ndarray:
        try:
            return next(self._frames)
        except StopIteration:
            raise StreamEnded("end of frames in memory") from None

    def close(self) -> None:
        self._frames = iter(())


class TimedFactory(SessionFactory):
    def __init__(self, config) -> None:
        super().__init__(config)
        self.sessions: list[TimedSession] = []

    def create(self, model_path):
        timed = TimedSession(super().create(model_path), Path(model_path).stem)
        self.sessions.append(timed)
        return timed
