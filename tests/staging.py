"""A staging root for `edge provision` (never the test machine's /etc): the account
files `useradd --prefix` needs, empty."""

from __future__ import annotations

from pathlib import Path


def staging_root(path: Path) -> Path:
    (path / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        (path / "etc" / name).touch()
    return path
