"""A real, small filesystem for disk-full tests: a tmpfs mounted under the test's
tmp_path (the tests run in their own mount namespace, /work/isolate or CI's), so a
full disk is the kernel's ENOSPC, not a mock."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Factory mounting a tmpfs of the given size (e.g. '3m') under tmp_path."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        res = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            pytest.skip(
                f"cannot mount a tmpfs (needs root/CAP_SYS_ADMIN): {res.stderr.strip() or res.returncode}"
            )
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)
