"""Writing files so that a power cut leaves either the old or the new content, never a
mix: write a temporary file beside the target, fsync it, rename it over the target,
fsync the directory. The owner and mode of the file replaced are kept."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int = 0o640) -> None:
    path = Path(path)
    try:
        st = path.stat()
        mode, owner = st.st_mode & 0o7777, (st.st_uid, st.st_gid)
    except FileNotFoundError:
        owner = None
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    sync_dir(path.parent)


def sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_durable(src: Path, dst: Path) -> None:
    """Copy with mode and owner, the copy's bytes on disk when this returns."""
    shutil.copy2(src, dst)
    st = os.stat(src)
    if os.geteuid() == 0:
        os.chown(dst, st.st_uid, st.st_gid)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
