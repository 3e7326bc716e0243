"""The page's files, read once into memory when the server is built.

Only files found in the static folder at start-up can ever be served, by exact
URL, so no request path reaches the file system (no traversal, no listing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


def load_assets(static_dir: Path = STATIC_DIR) -> dict[str, Asset]:
    """URL path -> asset: ``/`` is index.html, every other file is ``/static/<name>``."""
    assets: dict[str, Asset] = {}
    for path in sorted(static_dir.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        asset = Asset(path.read_bytes(), content_type)
        assets[f"/static/{path.name}"] = asset
        if path.name == "index.html":
            assets["/"] = asset
    if "/" not in assets:
        raise FileNotFoundError(f"kiosk screen page missing: {static_dir / 'index.html'}")
    return assets
