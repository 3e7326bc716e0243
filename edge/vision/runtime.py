"""onnxruntime session factory.

Every model on the device is loaded through one `SessionFactory`, so provider choice
(CPU everywhere, CUDA/TensorRT on a Jetson when its libraries are present) and thread
tuning are decided once from config rather than per model. A requested provider that
is not installed is never fatal: the device falls back to the next one and says so in
the log, because a camera that reads plates slowly is better than one that does not
start."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnxruntime as ort

from firmware_config.inference import InferenceConfig

log = logging.getLogger(__name__)

PROVIDER_NAMES: dict[str, str] = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}

_OPT_LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


class ModelLoadError(RuntimeError):
    """A model file is missing or onnxruntime refused it. Carries the path so the
    technician knows which file to re-fetch (`python -m models.fetch`)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot load model {path}: {reason}")
        self.path = path
        self.reason = reason


def choose_providers(wanted: Sequence[str], available: Sequence[str]) -> list[str]:
    """Map config names ('tensorrt', 'cuda', 'cpu') to the onnxruntime providers that
    are actually installed, in the requested order, always ending with CPU.

    Each requested but missing provider is logged once as a fallback, so a Jetson
    running on CPU by accident is visible in the logs instead of just slow."""
    chosen: list[str] = []
    for name in wanted:
        ort_name = PROVIDER_NAMES[name]
        if ort_name in available:
            if ort_name not in chosen:
                chosen.append(ort_name)
        else:
            log.warning(
                "inference provider %s requested but not installed (available: %s); falling back",
                ort_name,
                ", ".join(available),
            )
    if PROVIDER_NAMES["cpu"] not in chosen:
        chosen.append(PROVIDER_NAMES["cpu"])
    return chosen


class SessionFactory:
    """Builds tuned `onnxruntime.InferenceSession`s from one `InferenceConfig`."""

    def __init__(self, config: InferenceConfig | None = None) -> None:
        self.config = config or InferenceConfig()
        self.providers = choose_providers(self.config.providers, ort.get_available_providers())

    def session_options(self) -> ort.SessionOptions:
        cfg = self.config
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cfg.intra_op_threads
        opts.inter_op_num_threads = cfg.inter_op_threads
        opts.execution_mode = (
            ort.ExecutionMode.ORT_SEQUENTIAL if cfg.inter_op_threads == 1 else ort.ExecutionMode.ORT_PARALLEL
        )
        opts.graph_optimization_level = _OPT_LEVELS[cfg.graph_optimization]
        spin = "1" if cfg.allow_spinning else "0"
        opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
        opts.add_session_config_entry("session.inter_op.allow_spinning", spin)
        opts.log_severity_level = 3
        return opts

    def create(self, model_path: str | Path) -> ort.InferenceSession:
        """Load one model; raises `ModelLoadError` with the path on any failure."""
        path = Path(model_path)
        if not path.is_file():
            raise ModelLoadError(path, "file not found (run `python -m models.fetch`)")
        try:
            session = ort.InferenceSession(str(path), self.session_options(), providers=self.providers)
        except Exception as exc:  # onnxruntime raises several unrelated exception types
            raise ModelLoadError(path, f"{type(exc).__name__}: {exc}") from exc
        used = session.get_providers()
        if used and used[0] != self.providers[0]:
            log.warning("model %s runs on %s instead of %s", path.name, used[0], self.providers[0])
        log.info("loaded model %s on %s", path.name, used[0] if used else "?")
        return session


def model_metadata(session: ort.InferenceSession) -> dict[str, Any]:
    """Custom metadata of a loaded model (e.g. PP-OCR's `character` charset)."""
    return dict(session.get_modelmeta().custom_metadata_map)
