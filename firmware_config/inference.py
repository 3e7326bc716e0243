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
        default=0,
        ge=0,
        le=64,
        description="Threads one model may use inside an operator; 0 lets onnxruntime use one per core.",
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
    graph_optimization: Literal["disable", "basic", "extended", "all"] = Field(
        default="all", description="onnxruntime graph optimisation level applied when a model is loaded."
    )
