"""onnxruntime session factory.

Every model on the device is loaded through one `SessionFactory`, so provider choice
(CPU everywhere, CUDA/TensorRT on a Jetson when its libraries are present) and thread
tuning are decided once from config rather than per model. A requested provider that
is not installed is never fatal: the device falls back to the next one and says so in
the log, because a camera that reads plates slowly is better than one that does not
start."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import onnxruntime as ort

from edge.vision.fusion_process import fused_model_file, nchwc_layout_expected
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


# glibc mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def _libc_function(name: str) -> Any | None:
    """A glibc function by name, or None on a C library without it (musl, macOS)."""
    lib = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(lib), name) if lib else None
    except (OSError, AttributeError):
        return None


def tune_malloc(arena_max: int, mmap_threshold_kb: int) -> bool:
    """Bound glibc's heap growth for a process that decodes 2.7 MB frames on several
    threads. Environment variables (MALLOC_ARENA_MAX) are read only at process start,
    so this uses `mallopt` instead; it must run before the capture and onnxruntime
    threads exist, which is why the session factory calls it. Returns False (and
    changes nothing) without glibc's `mallopt` or when both settings are 0."""
    if arena_max <= 0 and mmap_threshold_kb <= 0:
        return False
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        log.info("mallopt not available; malloc tuning skipped")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = True
    if arena_max > 0:
        ok &= mallopt(_M_ARENA_MAX, arena_max) == 1
    if mmap_threshold_kb > 0:
        threshold = mmap_threshold_kb * 1024
        ok &= mallopt(_M_MMAP_THRESHOLD, threshold) == 1
        ok &= mallopt(_M_TRIM_THRESHOLD, 2 * threshold) == 1
    if not ok:
        log.warning(
            "mallopt refused a setting (arena_max=%d, mmap_threshold_kb=%d)", arena_max, mmap_threshold_kb
        )
    return bool(ok)


class MallocTrimmer:
    """Hands freed heap pages back to the system every `interval_s` (glibc
    `malloc_trim`). Decoded frames, crops and recogniser tensors of varying sizes
    leave free holes in the heap that glibc keeps mapped; trimming them about once a
    second costs well under a millisecond and keeps RSS near what is really in use.
    Does nothing where `malloc_trim` does not exist or `interval_s` is 0."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._trim = _libc_function("malloc_trim") if interval_s > 0 else None
        if self._trim is not None:
            self._trim.argtypes = (ctypes.c_size_t,)
            self._trim.restype = ctypes.c_int
        self._due = 0.0
        self.trims = 0

    def maybe_trim(self, now: float) -> None:
        if self._trim is None or now < self._due:
            return
        self._due = now + self.interval_s
        self._trim(0)
        self.trims += 1


def register_shared_arena() -> bool:
    """Register one CPU memory arena in onnxruntime's process environment for all
    sessions that opt in (`session.use_env_allocators`). The models run one after
    another on the inference thread, so one arena sized for the largest run replaces
    one per model that each keep their own peak (measured ~8 MB less growth over a
    clip with the plate detector and recogniser). Registering again is harmless."""
    mem = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    try:
        ort.create_and_register_allocator(mem, ort.OrtArenaCfg(0, -1, -1, -1))
    except Exception as exc:  # an onnxruntime build without environment allocators
        log.warning("shared inference arena not available: %s", exc)
        return False
    return True


class SessionFactory:
    """Builds tuned `onnxruntime.InferenceSession`s from one `InferenceConfig`.

    Building one also applies the config's process-wide malloc limits (`tune_malloc`)
    and OpenCV thread count, because the factory is created once, before any model
    or camera thread starts."""

    def __init__(self, config: InferenceConfig | None = None) -> None:
        self.config = config or InferenceConfig()
        self.providers = choose_providers(self.config.providers, ort.get_available_providers())
        self.malloc_tuned = tune_malloc(self.config.malloc_arena_max, self.config.malloc_mmap_threshold_kb)
        self.shared_arena = self.config.shared_arena and register_shared_arena()
        if self.config.opencv_threads > 0:
            # Process-wide, like the malloc limits: OpenCV's own worker pool spins
            # (sched_yield) after every parallel resize/convert, next to the decoders.
            cv2.setNumThreads(self.config.opencv_threads)

    def session_options(self, *, dynamic_shape: bool = False) -> ort.SessionOptions:
        """Options for one session; `dynamic_shape` models skip the arena and memory
        pattern unless `arena_for_dynamic_shapes` is set (see InferenceConfig)."""
        cfg = self.config
        planned = not dynamic_shape or cfg.arena_for_dynamic_shapes
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cfg.intra_op_threads
        opts.inter_op_num_threads = cfg.inter_op_threads
        opts.execution_mode = (
            ort.ExecutionMode.ORT_SEQUENTIAL if cfg.inter_op_threads == 1 else ort.ExecutionMode.ORT_PARALLEL
        )
        opts.graph_optimization_level = _OPT_LEVELS[cfg.graph_optimization]
        opts.enable_cpu_mem_arena = cfg.cpu_mem_arena and planned
        opts.enable_mem_pattern = cfg.mem_pattern and planned
        if self.shared_arena and opts.enable_cpu_mem_arena:
            opts.add_session_config_entry("session.use_env_allocators", "1")
        spin = "1" if cfg.allow_spinning else "0"
        opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
        opts.add_session_config_entry("session.inter_op.allow_spinning", spin)
        opts.log_severity_level = 3
        return opts

    @contextmanager
    def _model_file(self, path: Path) -> Iterator[Path]:
        """The file to load: `path`, or a temporary copy rewritten by `fuse_for_cpu`
        when that found something to fuse (PP-OCR recognisers; SFace's PRelu on x86); the file on disk is
        never changed. The fusion runs in a child process (`fusion_process`): `onnx`
        and the parse of the model never enter the daemon's memory."""
        if not self.config.fuse_graphs:
            yield path
            return
        nchwc = self.config.graph_optimization == "all" and nchwc_layout_expected()
        with fused_model_file(path, nchwc=nchwc) as (model, counts):
            if model != path:
                log.info(
                    "model %s: fused %s", path.name, ", ".join(f"{k} {v}" for k, v in counts.items() if v)
                )
            yield model

    def create(self, model_path: str | Path) -> ort.InferenceSession:
        """Load one model; raises `ModelLoadError` with the path on any failure."""
        path = Path(model_path)
        if not path.is_file():
            raise ModelLoadError(path, "file not found (run `python -m models.fetch`)")
        try:
            with self._model_file(path) as model:
                session = ort.InferenceSession(str(model), self.session_options(), providers=self.providers)
                if has_dynamic_input(session) and not self.config.arena_for_dynamic_shapes:
                    # The input shape is only known once loaded; reload without the arena.
                    del session
                    opts = self.session_options(dynamic_shape=True)
                    session = ort.InferenceSession(str(model), opts, providers=self.providers)
        except Exception as exc:  # onnxruntime raises several unrelated types; FusionFailed too
            raise ModelLoadError(path, f"{type(exc).__name__}: {exc}") from exc
        used = session.get_providers()
        if used and used[0] != self.providers[0]:
            log.warning("model %s runs on %s instead of %s", path.name, used[0], self.providers[0])
        log.info("loaded model %s on %s", path.name, used[0] if used else "?")
        return session


def has_dynamic_input(session: ort.InferenceSession) -> bool:
    """True when any input dimension other than the batch is symbolic (e.g. a text
    recogniser's width), i.e. memory planned for one run does not fit the next."""
    return any(not isinstance(dim, int) for inp in session.get_inputs() for dim in inp.shape[1:])


def model_metadata(session: ort.InferenceSession) -> dict[str, Any]:
    """Custom metadata of a loaded model (e.g. PP-OCR's `character` charset)."""
    return dict(session.get_modelmeta().custom_metadata_map)
