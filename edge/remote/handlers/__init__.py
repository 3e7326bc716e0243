"""One module per command (or pair of close commands); `all_handlers` lists them."""

from __future__ import annotations

from edge.remote.handlers.base import Handler, RemoteContext
from edge.remote.handlers.basic import GetConfig, OutboxStatus, Ping, Restart
from edge.remote.handlers.cert_rotation import RotateCert
from edge.remote.handlers.config_change import SetConfig
from edge.remote.handlers.model_update import UpdateModel
from edge.remote.handlers.snapshot import Snapshot


def all_handlers(ctx: RemoteContext) -> dict[str, Handler]:
    handlers: list[Handler] = [
        Ping(ctx),
        GetConfig(ctx),
        SetConfig(ctx),
        UpdateModel(ctx),
        Snapshot(ctx),
        Restart(ctx),
        OutboxStatus(ctx),
        RotateCert(ctx),
    ]
    return {h.name: h for h in handlers}


__all__ = ["Handler", "RemoteContext", "all_handlers"]
