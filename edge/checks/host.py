"""The device itself: clock synchronised (evidence timestamps depend on it; a Pi has no
RTC), disk space where the outbox lives, and the outbox's health (rejected messages,
last delivery error, how old the oldest waiting event is)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol

from edge.checks.findings import Finding, fail, ok, warn
from firmware_config import EdgeConfig

OLDEST_WARN_S = 3600.0
FREE_WARN_FRACTION = 0.10


class Clock(Protocol):
    def synchronised(self) -> bool: ...


def clock_finding(clock: Clock) -> Finding:
    if clock.synchronised():
        return ok("clock.synchronised", "the kernel reports the clock NTP-synchronised")
    return fail(
        "clock.synchronised",
        "clock not synchronised: event timestamps may be wrong (events say clock_synced: false)",
        "enable time sync (timedatectl set-ntp true) and let NTP reach its servers",
    )


def disk_finding(cfg: EdgeConfig) -> Finding:
    directory = Path(cfg.storage.path).parent
    try:
        usage = shutil.disk_usage(directory)
    except OSError as exc:
        return fail(
            "disk.space", f"{directory}: {exc.strerror}", "create the state directory (edge provision)"
        )
    quota = int(cfg.storage.quota)
    free = usage.free
    outbox = Path(cfg.storage.path)
    used = outbox.stat().st_blocks * 512 if outbox.exists() else 0
    detail = (
        f"{free / 2**20:,.0f} MiB free on {directory} ({free / usage.total:.0%}), "
        f"outbox quota {quota / 2**20:,.0f} MiB"
    )
    if free + used < quota:
        return fail(
            "disk.space",
            f"{detail}: the outbox cannot grow to its quota",
            "free space on the disk (old logs, stale files) or lower storage.quota",
        )
    if free / usage.total < FREE_WARN_FRACTION:
        return warn("disk.space", detail, "free some space before the outbox needs it")
    return ok("disk.space", detail)


def outbox_finding(cfg: EdgeConfig) -> Finding:
    from edge.outbox import OutboxError, inspect_outbox

    path = Path(cfg.storage.path)
    if not path.exists():
        return ok("outbox", f"{path} not created yet (the daemon creates it)")
    try:
        stats = inspect_outbox(path, int(cfg.storage.quota))
    except OutboxError as exc:
        return fail(
            "outbox", f"{path}: {exc}", "move the damaged file aside (see docs/operations.md) and restart"
        )
    detail = f"{stats.depth} waiting, {stats.rejected} rejected, last error: {stats.last_error or 'none'}"
    if stats.rejected:
        return warn(
            "outbox", detail, "rejected messages: check the ACL and the certificate CN (docs/operations.md)"
        )
    if stats.oldest_age_s is not None and stats.oldest_age_s > OLDEST_WARN_S:
        return warn(
            "outbox", f"{detail}; oldest waiting {stats.oldest_age_s / 60:.0f} min", "check broker.* above"
        )
    return ok("outbox", detail)
