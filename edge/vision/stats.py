"""Per-camera analysis counters reported by `VisionService.stats()`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class CameraCounters:
    analysed: int = 0
    """Frames that went through the detectors."""
    gated: int = 0
    """Frames the motion gate let pass without inference (nothing moved)."""
    failed: int = 0
    """Frames whose analysis raised (logged, skipped)."""
    plate_reads: int = 0
    faces: int = 0
    busy_s: float = 0.0
    """Wall time spent analysing this camera's frames."""
    cpu_s: float = 0.0
    """CPU time of the analysing thread itself (excludes capture/decoding and ORT's worker threads)."""
    slowest_ms: float = 0.0

    def record_time(self, seconds: float, cpu_seconds: float = 0.0) -> None:
        self.busy_s += seconds
        self.cpu_s += cpu_seconds
        self.slowest_ms = max(self.slowest_ms, seconds * 1000)

    def as_dict(self) -> dict[str, float | int]:
        d = asdict(self)
        frames = self.analysed + self.gated + self.failed
        d["mean_ms"] = round(1000 * self.busy_s / frames, 2) if frames else 0.0
        d["busy_s"] = round(self.busy_s, 3)
        d["cpu_s"] = round(self.cpu_s, 3)
        d["slowest_ms"] = round(self.slowest_ms, 2)
        return d
