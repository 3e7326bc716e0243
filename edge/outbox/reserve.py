"""A ballast file beside the database, released when the disk is full.

Evicting rows is itself a write (the deletions go to the WAL first), so on a disk with
zero bytes left even making room can fail. Keeping a small pre-allocated file lets the
outbox give that space back at the moment of need, evict and checkpoint, and re-create
the ballast once there is room again."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


class DiskReserve:
    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self.released = False
        self.ensure()

    def ensure(self) -> bool:
        """(Re)create the ballast; False if the disk has no room for it yet."""
        if self.size <= 0:
            return True
        try:
            if self.path.exists() and self.path.stat().st_size >= self.size:
                self.released = False
                return True
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.size)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.released = True
            return False
        self.released = False
        return True

    def release(self) -> bool:
        """Give the ballast's space back; True if there was any to give."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            self.released = True
            return False
        self.released = True
        return True
