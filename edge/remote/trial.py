"""A change that must prove itself: files replaced, the daemon restarted on trial, and
the previous files restored by themselves unless the daemon is healthy in time.

The record of a trial is a marker file beside the configuration (`CONFIG.trial.json`),
so it outlives the process: whoever starts next (systemd's `Restart=`, or the devkit
supervisor in tests) finds it. Order of a change, each step durable before the next:
backups of the files written, marker written, new files renamed into place. A crash
anywhere in between leaves a marker whose rollback restores a consistent set.

- `edge run` calls `settle_at_start()` before it even loads the configuration: a trial
  whose deadline passed (the new configuration kept the daemon from starting, or from
  becoming healthy, across restarts), or that began before a reboot, is rolled back there.
- Deadlines are measured in boot time with the boot id (edge.boottime), so a wall-clock
  step (NTP at boot) neither rolls back a good change nor keeps a bad one.
- The running daemon watches its health (edge.remote.service): healthy long enough
  means `commit()`; the deadline passing means `rollback()` and a restart.
- The outcome (committed / rolled back) is kept in the marker until the daemon has
  handed it to the central server with the command's correlation data, then `forget()`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from edge.boottime import BootInstant, boot_now
from edge.remote.files import copy_durable, sync_dir, write_atomic

TrialState = Literal["trial", "committed", "rolled_back"]
BACKUP_SUFFIX = ".rollback"


@dataclass(frozen=True)
class FileChange:
    path: str
    backup: str | None  # None: the file did not exist before, so rollback removes it


@dataclass(frozen=True)
class TrialRecord:
    """The deadline is kept in boot time (edge.boottime), not wall-clock time: NTP's
    first sync after a boot without RTC steps the wall clock by hours, which would
    roll back a good change at once or keep judging a bad one long after its deadline."""

    command: str
    nonce: str
    reply_topic: str
    correlation_hex: str | None
    boot_id: str  # the boot the change began in
    started_boot_s: float  # CLOCK_BOOTTIME when it began
    deadline_s: float  # seconds after that to become healthy
    started_at: float = 0.0  # wall clock, for people reading the marker; never judged by
    files: list[FileChange] = field(default_factory=list)
    state: TrialState = "trial"
    reason: str | None = None

    @property
    def correlation(self) -> bytes | None:
        return bytes.fromhex(self.correlation_hex) if self.correlation_hex is not None else None

    @property
    def started(self) -> BootInstant:
        return BootInstant(self.boot_id, self.started_boot_s)

    def overdue(self, now: BootInstant) -> str | None:
        """Why the trial is over without proof, or None while it may still prove itself:
        the deadline passed, or the device rebooted since the change began (how long it
        was off is unknown: the change did not prove itself, the previous files did)."""
        elapsed = now.since(self.started)
        if elapsed is None:
            return f"the device rebooted before the change was healthy for its {self.deadline_s:.0f} s trial"
        if elapsed > self.deadline_s:
            return f"not healthy within {self.deadline_s:.0f} s ({elapsed:.0f} s since the change)"
        return None


def marker_for(config_path: Path) -> Path:
    return Path(f"{config_path}.trial.json")


class Trial:
    def __init__(self, marker: Path) -> None:
        self.marker = Path(marker)

    def load(self) -> TrialRecord | None:
        try:
            data = json.loads(self.marker.read_text())
        except FileNotFoundError:
            return None
        data["files"] = [FileChange(**f) for f in data.get("files", [])]
        if "boot_id" not in data:  # a marker written in wall-clock time by an older release
            data.update(boot_id="", started_boot_s=0.0, deadline_s=data.pop("deadline") - data["started_at"])
        return TrialRecord(**data)

    def _save(self, record: TrialRecord) -> None:
        write_atomic(self.marker, json.dumps(asdict(record), indent=1).encode(), mode=0o600)

    def begin(self, record: TrialRecord, changes: Mapping[Path, bytes]) -> TrialRecord:
        """Back up the files in `changes`, record the trial, put the new contents in place."""
        if self.load() is not None:
            raise RuntimeError("another change is still on trial")
        files = []
        for path in changes:
            path = Path(path)
            if path.exists():
                backup = Path(f"{path}{BACKUP_SUFFIX}")
                copy_durable(path, backup)
                files.append(FileChange(str(path), str(backup)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                files.append(FileChange(str(path), None))
        for parent in {Path(f.path).parent for f in files}:
            sync_dir(parent)
        record = replace(record, files=files, state="trial")
        self._save(record)
        for path, data in changes.items():
            write_atomic(Path(path), data, mode=0o600 if str(path).endswith(".key") else 0o640)
        return record

    def rollback(self, reason: str) -> TrialRecord | None:
        record = self.load()
        if record is None or record.state != "trial":
            return record
        for change in record.files:
            path = Path(change.path)
            if change.backup is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            else:
                write_atomic(path, Path(change.backup).read_bytes())
                Path(change.backup).unlink()
        record = replace(record, state="rolled_back", reason=reason)
        self._save(record)
        return record

    def commit(self) -> TrialRecord | None:
        record = self.load()
        if record is None or record.state != "trial":
            return record
        for change in record.files:
            if change.backup is not None:
                with contextlib.suppress(FileNotFoundError):
                    Path(change.backup).unlink()
        record = replace(record, state="committed", reason=None)
        self._save(record)
        return record

    def settle_at_start(self, now: BootInstant | None = None) -> TrialRecord | None:
        """At process start: roll back a trial whose deadline has passed, or that began
        before the last reboot."""
        record = self.load()
        now = boot_now() if now is None else now
        overdue = record.overdue(now) if record is not None and record.state == "trial" else None
        if overdue:
            return self.rollback(f"{overdue}; previous files restored")
        return record

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.marker.unlink()
