"""The handler interface, what handlers are given, and the one way a change is put on
trial (files replaced, restart, automatic rollback: edge.remote.trial)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from edge.boottime import BootInstant, boot_now
from edge.remote.ports import DaemonPort
from edge.remote.trial import Trial, TrialRecord
from edge.remote.wire import CommandBody
from firmware_config import EdgeConfig

Status = Literal["ok", "accepted", "failed"]


class Params(BaseModel):
    """Base of every command's parameters: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NoParams(Params):
    pass


@dataclass(frozen=True)
class Request:
    body: CommandBody
    reply_topic: str
    correlation: bytes | None


@dataclass
class Outcome:
    status: Status
    result: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    restart: bool = False  # restart once the reply is on its way


class CommandFailed(Exception):
    """The command ran into a problem before changing anything; the reply says why."""


@dataclass
class RemoteContext:
    config: EdgeConfig
    config_path: Path
    daemon: DaemonPort
    trial: Trial
    credentials_dir: str | None = None
    clock: Callable[[], float] = time.time
    boot: Callable[[], BootInstant] = boot_now  # trial deadlines: never stepped (edge.boottime)
    started_monotonic: float = field(default_factory=time.monotonic)  # for uptime_s (NTP steps)


class Handler(Protocol):
    name: ClassVar[str]
    params: ClassVar[type[Params]]

    def run(self, params: Any, request: Request) -> Outcome: ...


def start_trial(ctx: RemoteContext, request: Request, changes: Mapping[Path, bytes], result: dict) -> Outcome:
    """Replace `changes` on trial and ask for a restart; the outcome (committed or rolled
    back) follows after the restart as a second reply with the same correlation data."""
    assert ctx.config.remote is not None
    begun = ctx.boot()
    record = TrialRecord(
        command=request.body.command,
        nonce=request.body.nonce,
        reply_topic=request.reply_topic,
        correlation_hex=request.correlation.hex() if request.correlation is not None else None,
        boot_id=begun.boot_id,
        started_boot_s=begun.seconds,
        deadline_s=ctx.config.remote.health_deadline_s,
        started_at=ctx.clock(),
    )
    try:
        ctx.trial.begin(record, changes)
    except RuntimeError as exc:
        raise CommandFailed(str(exc)) from exc
    return Outcome(
        "accepted",
        {**result, "health_deadline_s": ctx.config.remote.health_deadline_s},
        reason="restarting on trial; rolled back unless healthy in time",
        restart=True,
    )
