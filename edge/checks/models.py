"""Model files: every manifest's weights (models/manifests, and those installed by the
update_model command beside their file) match their sha256. A model the configuration
uses must be present; others may be absent (a kiosk needs no plate detector)."""

from __future__ import annotations

import json
from pathlib import Path

from edge.checks.findings import Finding, fail, ok, warn
from firmware_config import EdgeConfig

REFETCH = "python -m models.fetch (or update_model again); never run a model that fails its sha256"


def _used(cfg: EdgeConfig) -> set[str]:
    text = json.dumps(
        [
            cfg.vision.model_dump(mode="json") if cfg.vision else None,
            cfg.kiosk.model_dump(mode="json") if cfg.kiosk else None,
        ]
    )
    return {part.strip('"') for part in text.replace(",", " ").replace(":", " ").split()}


def model_findings(cfg: EdgeConfig) -> list[Finding]:
    from models.manifest import Manifest, load_manifests, sha256_of, weights_path

    used = _used(cfg)
    entries: list[tuple[Manifest, Path]] = [(m, weights_path(m)) for m in load_manifests().values()]
    if cfg.remote is not None and cfg.remote.models_dir.is_dir():
        for meta in sorted(cfg.remote.models_dir.glob("*.json")):
            manifest = Manifest.model_validate_json(meta.read_text())
            entries.append((manifest, meta.with_suffix(".onnx")))
    out = []
    for manifest, path in entries:
        check = f"model.{manifest.name}"
        in_use = manifest.name in used or str(path) in used
        if not path.exists():
            if in_use:
                out.append(fail(check, f"{path} missing (used by the configuration)", REFETCH))
            else:
                out.append(ok(check, "not installed (not used here)"))
            continue
        actual = sha256_of(path)
        if actual != manifest.sha256:
            out.append(
                fail(check, f"{path}: sha256 {actual[:16]}..., manifest {manifest.sha256[:16]}...", REFETCH)
            )
        else:
            out.append(ok(check, f"sha256 matches{' (in use)' if in_use else ''}"))
    return out or [warn("model", "no manifests found", "reinstall the release")]
