"""The systemd unit, installed from the release (systemd/vn-edge.service) and enabled
the way `systemctl enable` does it (the WantedBy= symlink), so the same step works in
a staging root; on a live root systemd is then told to reload."""

from __future__ import annotations

import os
from pathlib import Path

from edge.provision.files import ManagedFile
from edge.provision.layout import UNIT_NAME, Layout

RELEASE_UNIT = Path(__file__).resolve().parent.parent.parent / "systemd" / UNIT_NAME


def unit_text() -> str:
    return RELEASE_UNIT.read_text()


def installed_unit_text(layout: Layout) -> str:
    """The release unit with the drop-ins installed under `layout` appended, as systemd
    reads them together (what credentials the daemon gets depends on both)."""
    dropins = sorted(layout.dropins.glob("*.conf")) if layout.dropins.is_dir() else []
    return "".join([unit_text(), *(p.read_text() for p in dropins)])


def unit_file(layout: Layout) -> ManagedFile:
    return ManagedFile(
        layout, layout.unit, lambda: RELEASE_UNIT.read_bytes(), 0o644, "root", label="systemd unit"
    )


class EnableUnit:
    name = "unit enabled (multi-user.target)"

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.target = f"/etc/systemd/system/{UNIT_NAME}"

    def pending(self) -> str | None:
        link = self.layout.wants_link
        if link.is_symlink() and os.readlink(link) == self.target:
            return None
        return f"link {link} -> {self.target}"

    def apply(self) -> None:
        link = self.layout.wants_link
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.target)
