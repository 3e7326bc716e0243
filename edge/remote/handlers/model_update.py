"""update_model: a model file staged on the device (by scp or an Ansible copy task into
`remote.staging_dir`) is installed under `remote.models_dir` once its sha256 matches the
signed manifest, and the configuration key `target` (a `.model` setting, e.g.
`vision.plates.detector.model`) is pointed at it; applied by a restart on trial with
the same automatic rollback as set_config. The file itself need not be signed: the
signed manifest pins its sha256."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import Field, ValidationError

from edge.remote.handlers.base import CommandFailed, Outcome, Params, RemoteContext, Request, start_trial
from edge.remote.handlers.config_change import check_proposed
from models.manifest import Manifest, sha256_of


class UpdateModelParams(Params):
    manifest: dict[str, Any] = Field(description="The model's manifest (models/manifests format).")
    target: str = Field(
        pattern=r"^(vision|kiosk)(\.[a-z_]+)*\.model$",
        description="Dotted config key to point at the new file, e.g. vision.plates.detector.model.",
    )


def _set_key(data: dict, dotted: str, value: str) -> None:
    """Set `dotted` in the parsed config file; the section holding it must be written
    there already (its backend `type` is the configuration's business, not this command's)."""
    node: Any = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise CommandFailed(f"the configuration file has no section for {dotted}; set_config it first")
    node[parts[-1]] = value


class UpdateModel:
    name = "update_model"
    params = UpdateModelParams

    def __init__(self, ctx: RemoteContext) -> None:
        self.ctx = ctx

    def run(self, params: UpdateModelParams, request: Request) -> Outcome:
        remote = self.ctx.config.remote
        assert remote is not None
        try:
            manifest = Manifest.model_validate(params.manifest)
        except ValidationError as exc:
            raise CommandFailed(f"manifest invalid: {exc.errors()[0]['msg']}") from exc
        if "/" in manifest.file or manifest.file.startswith("."):
            raise CommandFailed(f"manifest file name {manifest.file!r} must be a plain file name")
        staged = remote.staging_dir / manifest.file
        if not staged.is_file():
            raise CommandFailed(f"no staged file {staged}; copy it there first")
        actual = sha256_of(staged)
        if actual != manifest.sha256:
            raise CommandFailed(f"staged {staged} has sha256 {actual}, the manifest says {manifest.sha256}")
        installed = remote.models_dir / f"{manifest.name}-{manifest.sha256[:12]}.onnx"
        data = yaml.safe_load(self.ctx.config_path.read_text(encoding="utf-8"))
        _set_key(data, params.target, str(installed))
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        changes = {
            installed: staged.read_bytes(),
            installed.with_suffix(".json"): manifest.model_dump_json(indent=2).encode(),
            self.ctx.config_path: text.encode("utf-8"),
        }
        # The proposed configuration is checked with the model at its new path (a path
        # nothing running uses yet); the trial then records it as a new file.
        installed.parent.mkdir(parents=True, exist_ok=True)
        existed = installed.exists()
        installed.write_bytes(changes[installed])
        try:
            check_proposed(self.ctx, text)
        finally:
            if not existed:
                installed.unlink()
        return start_trial(
            self.ctx,
            request,
            changes,
            {"installed": str(installed), "sha256": manifest.sha256, "target": params.target},
        )
