"""Whether a given user could read a path, judged from modes and owners (the doctor
runs as root, the daemon as `vn-edge`): every directory on the way needs search
permission, the file itself read permission."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path


def user_ids(user: str) -> tuple[int, set[int]] | None:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    groups = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    return entry.pw_uid, groups


def _allows(st: os.stat_result, uid: int, gids: set[int], bits: tuple[int, int, int]) -> bool:
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & bits[0])
    if st.st_gid in gids:
        return bool(st.st_mode & bits[1])
    return bool(st.st_mode & bits[2])


def readable_by(path: Path, uid: int, gids: set[int]) -> bool:
    path = Path(path).absolute()
    for parent in reversed(path.parents):
        try:
            st = parent.stat()
        except OSError:
            return False
        if not _allows(st, uid, gids, (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)):
            return False
    try:
        st = path.stat()
    except OSError:
        return False
    read = (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
    if stat.S_ISDIR(st.st_mode):
        execute = (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)
        return _allows(st, uid, gids, read) and _allows(st, uid, gids, execute)
    return _allows(st, uid, gids, read)
