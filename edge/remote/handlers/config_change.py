"""set_config: a whole new configuration file, checked as `edge validate` checks it,
written atomically and applied by a restart on trial (rolled back by itself unless the
daemon is healthy within `remote.health_deadline_s`)."""

from __future__ import annotations

import hashlib

from pydantic import Field

from edge.checks.files import file_findings
from edge.checks.findings import problems
from edge.remote.handlers.base import CommandFailed, Outcome, Params, RemoteContext, Request, start_trial
from firmware_config import ConfigError, EdgeConfig, load_config_text


class SetConfigParams(Params):
    config_yaml: str = Field(min_length=1, max_length=512 * 1024, description="The whole new config file.")
    if_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Refuse unless the current file still has this sha256 (from get_config).",
    )


def check_proposed(ctx: RemoteContext, text: str) -> EdgeConfig:
    """The proposed configuration, or CommandFailed listing every problem."""
    try:
        cfg = load_config_text(text, str(ctx.config_path))
    except ConfigError as exc:
        raise CommandFailed(
            f"configuration invalid ({len(exc.problems)} problem(s)): "
            + "; ".join(str(p) for p in exc.problems[:10])
        ) from exc
    if cfg.device.id != ctx.config.device.id:
        raise CommandFailed(
            f"device.id cannot change remotely ({ctx.config.device.id!r} -> {cfg.device.id!r})"
        )
    if cfg.remote is None or not cfg.remote.enabled:
        raise CommandFailed("the new configuration turns remote commands off; only a technician may do that")
    missing = problems(file_findings(cfg, credentials_dir=ctx.credentials_dir))
    if missing:
        raise CommandFailed("; ".join(f.detail for f in missing[:10]))
    return cfg


class SetConfig:
    name = "set_config"
    params = SetConfigParams

    def __init__(self, ctx: RemoteContext) -> None:
        self.ctx = ctx

    def run(self, params: SetConfigParams, request: Request) -> Outcome:
        current = self.ctx.config_path.read_bytes()
        current_sha = hashlib.sha256(current).hexdigest()
        if params.if_sha256 is not None and params.if_sha256 != current_sha:
            raise CommandFailed(f"the configuration changed since (sha256 now {current_sha})")
        check_proposed(self.ctx, params.config_yaml)
        new = params.config_yaml.encode("utf-8")
        new_sha = hashlib.sha256(new).hexdigest()
        if new == current:
            return Outcome("ok", {"sha256": new_sha, "changed": False}, reason="unchanged")
        return start_trial(
            self.ctx, request, {self.ctx.config_path: new}, {"sha256": new_sha, "changed": True}
        )
