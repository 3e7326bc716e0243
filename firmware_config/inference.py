"""Inference runtime settings: which onnxruntime execution providers to try and how
many threads each session may use. Shared by every model the device runs, so that
a Jetson can switch to CUDA/TensorRT and a Pi can be tuned for its cores in one place."""

from typing import Literal

from pydantic import Field

from firmware_config.base import Section

ProviderName = Literal["tensorrt", "cuda", "cpu"]


class InferenceConfig(Section):
    providers: list[ProviderName] = Field(
        default_factory=lambda: ["cpu"],
        min_length=1,
        description=(
            "Execution providers in order of preference. Providers that are not installed are skipped "
            "with a warning; CPU is always appended as the last resort."
        ),
    )
    intra_op_threads: int = Field(
        default=1,
        ge=0,
        le=64,
        description=(
            "Threads one model may use inside an operator; 0 lets onnxruntime use one per core. 1 by "
            "default: capture/decoding needs the other core, and two operator threads fighting the "
            "decoder measured slower per frame than one thread beside it."
        ),
    )
    inter_op_threads: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Threads for running independent graph branches in parallel (1 = sequential execution).",
    )
    allow_spinning: bool = Field(
        default=False,
        description=(
            "Let idle worker threads busy-wait for the next run. Lowers latency slightly but burns CPU on "
            "a static scene, so it is off by default on small devices."
        ),
    )
    cpu_mem_arena: bool = Field(
        default=True,
        description=(
            "Let onnxruntime keep a memory arena per session for models with a fixed input shape "
            "(detectors): fast, and bounded because the shapes never change."
        ),
    )
    mem_pattern: bool = Field(
        default=True,
        description="Pre-plan tensor memory from the first run, for models with a fixed input shape.",
    )
    shared_arena: bool = Field(
        default=True,
        description=(
            "All sessions with an arena share one (onnxruntime environment allocator): the models run "
            "one after another, so one arena sized for the largest run is enough."
        ),
    )
    arena_for_dynamic_shapes: bool = Field(
        default=True,
        description=(
            "Also use the arena and memory pattern for models whose input size varies (text recognisers: "
            "width follows the plate). Off saves memory only together with malloc_mmap_threshold_kb "
            "(two 720p cameras: ~200 MB instead of ~235 MB) and costs ~8 % recogniser time alone."
        ),
    )
    malloc_arena_max: int = Field(
        default=2,
        ge=0,
        le=64,
        description=(
            "glibc malloc arenas for the whole process (0 = glibc default, 8 per core). Every capture and "
            "onnxruntime thread otherwise gets its own arena that keeps freed frames; 2 measured ~8 MB "
            "less RSS with two 720p cameras at no measurable speed cost."
        ),
    )
    malloc_mmap_threshold_kb: int = Field(
        default=0,
        ge=0,
        le=32768,
        description=(
            "Allocations at least this large (KiB) get their own mapping, returned to the system when "
            "freed (0 = glibc default, which adapts upwards and keeps frames on the heap). 1024 with "
            "arena_for_dynamic_shapes off measured ~35 MB less RSS, but every frame then page-faults "
            "its memory afresh and the models ran up to 4x slower beside the decoders on 2 cores."
        ),
    )
    malloc_trim_interval_s: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description=(
            "Seconds between returning freed heap memory to the system (glibc malloc_trim) from the "
            "inference loop; 0 = never. Frees holes left by frames and variable-size tensors; measured "
            "a few MB at most, at well under 1 ms per call."
        ),
    )
    opencv_threads: int = Field(
        default=1,
        ge=0,
        le=64,
        description=(
            "Threads OpenCV may use inside one call (resize, colour conversion), process-wide; 0 keeps "
            "OpenCV's default (one per core). 1 by default: its idle workers spin after each call "
            "(~0.2 ms of CPU per frame on a static scene) while the per-frame image work is small."
        ),
    )
    fuse_graphs: bool = Field(
        default=True,
        description=(
            "Rewrite exported patterns onnxruntime does not fuse when a model is loaded (PP-OCR "
            "recognisers: scalar affines folded into convolutions or made 1x1 depthwise convolutions, "
            "hard-swish as x*HardSigmoid(x)); on x86 at level 'all', per-channel PRelu (SFace) as 1x1 "
            "depthwise convolutions around a Relu so it stays in onnxruntime's NCHWc layout: same outputs "
            "to ~1e-6, recogniser ~30 % and SFace ~2x faster (docs/face.md). The file on disk is unchanged; "
            "the rewrite runs in a short-lived child process (about a second per model at start), so neither "
            "the onnx package nor the model's parse stays in the daemon's memory."
        ),
    )
    graph_optimization: Literal["disable", "basic", "extended", "all"] = Field(
        default="all", description="onnxruntime graph optimisation level applied when a model is loaded."
    )
