"""Owners and modes of what provisioning creates, and looking up the service user in
the root's own /etc/passwd (a staging root's user is not the host's)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ids:
    uid: int
    gid: int


def lookup(root: Path, user: str) -> Ids | None:
    """uid and primary gid of `user` in ROOT/etc/passwd."""
    try:
        lines = (root / "etc/passwd").read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] == user:
            return Ids(int(parts[2]), int(parts[3]))
    return None


def state_of(path: Path, mode: int, ids: Ids) -> str | None:
    """What differs from (mode, owner), or None."""
    st = path.stat()
    wrong = []
    if st.st_mode & 0o7777 != mode:
        wrong.append(f"mode {st.st_mode & 0o7777:04o} -> {mode:04o}")
    if (st.st_uid, st.st_gid) != (ids.uid, ids.gid):
        wrong.append(f"owner {st.st_uid}:{st.st_gid} -> {ids.uid}:{ids.gid}")
    return ", ".join(wrong) or None


def enforce(path: Path, mode: int, ids: Ids) -> None:
    os.chown(path, ids.uid, ids.gid, follow_symlinks=False)
    os.chmod(path, mode)
