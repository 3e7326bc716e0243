"""The commands that change nothing on disk: ping, get_config, outbox_status, restart."""

from __future__ import annotations

import hashlib
import time
from typing import ClassVar

from edge.remote.handlers.base import NoParams, Outcome, Params, RemoteContext, Request
from edge.remote.redact import redacted_config


class _Base:
    params: ClassVar[type[Params]] = NoParams

    def __init__(self, ctx: RemoteContext) -> None:
        self.ctx = ctx


class Ping(_Base):
    name = "ping"

    def run(self, params: NoParams, request: Request) -> Outcome:
        healthy, sick = self.ctx.daemon.health()
        return Outcome(
            "ok",
            {
                "pong": True,
                "time": round(self.ctx.clock(), 3),
                "uptime_s": round(time.monotonic() - self.ctx.started_monotonic, 1),
                "healthy": healthy,
                "unhealthy": sick,
            },
        )


class GetConfig(_Base):
    name = "get_config"

    def run(self, params: NoParams, request: Request) -> Outcome:
        data = self.ctx.config_path.read_bytes()
        return Outcome(
            "ok",
            {
                "config": redacted_config(self.ctx.config),
                "sha256": hashlib.sha256(data).hexdigest(),
                "path": str(self.ctx.config_path),
            },
        )


class OutboxStatus(_Base):
    name = "outbox_status"

    def run(self, params: NoParams, request: Request) -> Outcome:
        return Outcome("ok", self.ctx.daemon.outbox_status())


class Restart(_Base):
    name = "restart"

    def run(self, params: NoParams, request: Request) -> Outcome:
        return Outcome("accepted", {}, reason="restarting", restart=True)
