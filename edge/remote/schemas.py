"""The command contract as models, source of docs/schemas/command*.schema.json
(written by `python -m edge.contract.generate` with the event schemas)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.remote.handlers.base import NoParams
from edge.remote.handlers.cert_rotation import RotateCertParams
from edge.remote.handlers.config_change import SetConfigParams
from edge.remote.handlers.model_update import UpdateModelParams
from edge.remote.handlers.snapshot import SnapshotParams
from edge.remote.wire import CommandBody, CommandEnvelope


class CommandReply(BaseModel):
    """Every reply a device sends on PREFIX/DEV/replies/... (with the command's
    correlation data): one at once, and for a change on trial a second one after the
    restart (committed or rolled_back)."""

    model_config = ConfigDict(extra="forbid")
    device: str = Field(description="The replying device.")
    command: str | None = Field(description="Command name; null when the command could not be read.")
    nonce: str | None = Field(description="The command's nonce; null when it could not be read.")
    status: Literal["ok", "accepted", "refused", "failed", "committed", "rolled_back"] = Field(
        description="ok: done; accepted: restarting on trial, an outcome follows; refused: not obeyed "
        "(see code); failed: ran into a problem, nothing changed; committed / rolled_back: outcome of a trial."
    )
    code: str | None = Field(
        description="For refused: garbled, unsigned, bad_signature, wrong_device, expired, too_long, "
        "unknown_command, replay, oversized, bad_params, busy."
    )
    reason: str | None = Field(description="Human-readable reason (refused, failed, rolled_back, accepted).")
    result: dict[str, Any] = Field(description="Command-specific result (see docs/mqtt.md).")
    at: float = Field(description="Device time of the reply (Unix seconds).")


COMMAND_MODELS: dict[str, type[BaseModel]] = {
    "command_envelope": CommandEnvelope,
    "command": CommandBody,
    "command_reply": CommandReply,
    "command_params_none": NoParams,
    "command_params_set_config": SetConfigParams,
    "command_params_update_model": UpdateModelParams,
    "command_params_snapshot": SnapshotParams,
    "command_params_rotate_cert": RotateCertParams,
}
