"""Builds the remote-command service from the configuration, in one place (the daemon
calls it; tests build the same way)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edge.remote.dispatcher import CommandDispatcher
from edge.remote.gate import CommandGate
from edge.remote.handlers import RemoteContext, all_handlers
from edge.remote.messages import Reply
from edge.remote.nonces import NonceJournal
from edge.remote.ports import DaemonPort
from edge.remote.service import RemoteService
from edge.remote.trial import Trial, marker_for
from firmware_config import EdgeConfig


def build_remote_service(
    config: EdgeConfig,
    config_path: Path,
    daemon: DaemonPort,
    *,
    send: Callable[[Reply], None],
    connected: Callable[[], bool],
) -> RemoteService:
    remote = config.remote
    assert remote is not None
    journal = NonceJournal(remote.journal)
    trial = Trial(marker_for(config_path))
    ctx = RemoteContext(config=config, config_path=Path(config_path), daemon=daemon, trial=trial)
    gate = CommandGate(remote, config.device.id, journal)
    dispatcher = CommandDispatcher(
        gate,
        all_handlers(ctx),
        device_id=config.device.id,
        device_root=f"{config.mqtt.topic_prefix}/{config.device.id}",
    )
    return RemoteService(remote, config.device.id, dispatcher, trial, daemon, send=send, connected=connected)
