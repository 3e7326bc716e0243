"""Bare model times of the face verifier's speed levers, side by side (bench/face.py).

Each lever gets its own onnxruntime session built by the product's `SessionFactory`
with one setting changed from the configured default (`kiosk.face_verification`):
intra-op threads (2 in the kiosk role, 1 elsewhere), the load-time PRelu rewrite
(`inference.fuse_graphs`, edge/vision/graph_prelu.py) and onnxruntime's graph
optimisation level (`inference.graph_optimization`; only "all" has the NCHWc layout). All run on the same tensors,
once per photo, in an order that rotates from photo to photo so that no variant
always runs first (warm caches) or last; medians are compared, not single runs."""

from __future__ import annotations

import statistics
import time

import numpy as np

from edge.vision.runtime import SessionFactory
from firmware_config.faceid import FaceVerifierConfig
from models.manifest import resolve_model

EMBEDDER_LEVERS = (
    ("2 threads, PRelu rewritten", 2, True, "all"),
    ("2 threads, graph as fetched", 2, False, "all"),
    ("1 thread, PRelu rewritten", 1, True, "all"),
    ("1 thread, graph as fetched", 1, False, "all"),
    ("2 threads, level 'extended' (no NCHWc, so no rewrite)", 2, True, "extended"),
)
DETECTOR_THREADS = (2, 1)


class Levers:
    def __init__(self, config: FaceVerifierConfig) -> None:
        def session(model: str, threads: int, fuse: bool, level: str):
            changes = {"intra_op_threads": threads, "fuse_graphs": fuse, "graph_optimization": level}
            return SessionFactory(config.inference.model_copy(update=changes)).create(resolve_model(model))

        inference = config.inference
        self.default = (inference.intra_op_threads, inference.fuse_graphs, inference.graph_optimization)
        self.runs: dict[str, tuple] = {}
        for label, threads, fuse, level in EMBEDDER_LEVERS:
            self.runs[f"SFace, {label}"] = ("crop", session(config.embedder.model, threads, fuse, level))
        for threads in DETECTOR_THREADS:
            label = f"YuNet, {threads} thread{'s' if threads > 1 else ''}"
            self.runs[label] = (
                "det",
                session(config.detector.model, threads, True, inference.graph_optimization),
            )
        self.times: dict[str, list[float]] = {k: [] for k in self.runs}
        self._turn = 0

    def measure(self, det_tensor: np.ndarray, crop_tensor: np.ndarray) -> None:
        """One run of every variant on the same detector input and aligned crop [1,3,112,112]."""
        names = list(self.runs)
        self._turn += 1
        start = self._turn % len(names)
        for name in names[start:] + names[:start]:
            kind, sess = self.runs[name]
            feed = {sess.get_inputs()[0].name: det_tensor if kind == "det" else crop_tensor}
            t = time.perf_counter()
            sess.run(None, feed)
            self.times[name].append(time.perf_counter() - t)

    def rows(self) -> list[list[str]]:
        """Median ms of each variant, and its ratio to the configured default of its model."""
        med = {k: 1000 * statistics.median(v) for k, v in self.times.items() if v}
        threads = self.default[0]
        configured = {
            f"SFace, {label}" for label, *setting in EMBEDDER_LEVERS if tuple(setting) == self.default
        }
        configured.add(f"YuNet, {threads} thread{'s' if threads > 1 else ''}")
        base = {name.split(",")[0]: name for name in configured}
        rows = []
        for name, ms in med.items():
            ref = base.get(name.split(",")[0])
            ratio = f"{ms / med[ref]:.2f}" if ref in med else ""
            rows.append([name + (" (configured)" if name in configured else ""), f"{ms:.1f}", ratio])
        return rows
