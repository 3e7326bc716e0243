"""Load-time graph fusion (`graph_fusion.fuse_for_cpu`) run in a short-lived child
process, so that the daemon never holds what fusing costs.

Fusing the 7.6 MB plate recogniser in the daemon's own process parsed it with the
`onnx` package (protobuf arenas of ~55 MB, freed but left in the heap until the next
`malloc_trim`) and kept `onnx` and its libraries imported for the process's life: the
camera role ran ~15 MB higher for good (two 720p cameras 195-199 MB against 180-181
MB unfused, two 1080p cameras 247-251 against 232-233; models/README.md, "The camera
role's memory"). The child imports `onnx`, fuses, and writes the rewritten model to a
temporary file that onnxruntime loads by path and that is deleted once the session
exists: the sessions are the same as before, nothing of `onnx` enters the daemon's
memory, and the session does not keep a copy of the model's bytes (onnxruntime's
Python session holds on to bytes it was built from, ~7.6 MB for the recogniser).

The child prints one JSON line with the `FusionReport` counts on its standard output
and writes the file only when something was fused."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

# What the child needs to find this package: the directory that holds `edge`, even
# when the parent found it through sys.path rather than an installed distribution.
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300.0  # a Pi 4 fuses the recogniser in a few seconds; far above that is stuck


_X86 = {"x86_64", "amd64", "i386", "i686", "x86"}


def nchwc_layout_expected(machine: str | None = None) -> bool:
    """True on x86, where onnxruntime's CPU provider runs convolutions in NCHWc at
    the "all" optimisation level (its MLAS kernels block channels with AVX2/AVX-512)."""
    return (machine or platform.machine()).lower() in _X86


class FusionFailed(RuntimeError):
    """The child could not read or rewrite the model (its stderr says why)."""


@contextmanager
def fused_model_file(
    path: Path, *, nchwc: bool = False, timeout_s: float = TIMEOUT_S
) -> Iterator[tuple[Path, dict[str, int]]]:
    """(the file to load: the fused model, or `path` itself when nothing was fused;
    the fusion counts) for the ONNX file at `path`, fused in a child Python process.
    The fused file lives only inside the `with` block. `nchwc`: passed on to
    `fuse_for_cpu` (the runtime will lay convolutions out in NCHWc)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="vn-edge-fusion-") as tmp:
        out = Path(tmp) / path.name
        try:
            done = subprocess.run(
                [sys.executable, "-m", __name__, str(path), str(out), *(["--nchwc"] if nchwc else [])],
                capture_output=True,
                env=env,
                timeout=timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FusionFailed(f"fusion process: {exc}") from exc
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise FusionFailed(f"fusion process exited with {done.returncode}: {tail[0]}")
        try:
            counts = {str(k): int(v) for k, v in json.loads(done.stdout).items()}
        except (ValueError, AttributeError) as exc:
            raise FusionFailed(f"fusion process sent no report: {done.stdout[:80]!r}") from exc
        fused = sum(counts.values()) > 0
        if fused and not out.is_file():
            raise FusionFailed("fusion process reported rewrites but wrote no model")
        yield (out if fused else path), counts


def _main(argv: list[str]) -> int:
    """`python -m edge.vision.fusion_process SOURCE.onnx FUSED.onnx [--nchwc]`"""
    import onnx

    from edge.vision.graph_fusion import fuse_for_cpu

    model = onnx.load(argv[0])
    report = fuse_for_cpu(model, nchwc="--nchwc" in argv[2:])
    if report.total:
        onnx.save(model, argv[1])
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
