"""A file provisioning manages: its content (made only when needed), mode and owner.
`keep` files (keys, secrets) are made once and never replaced: a second key would
orphan the certificate, a second outbox key every encrypted event waiting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.provision.layout import Layout
from edge.provision.owners import Ids, enforce, lookup, state_of
from edge.remote.files import write_atomic


@dataclass
class ManagedFile:
    layout: Layout
    path: Path
    make: Callable[[], bytes]
    mode: int
    owner: str  # "service", "root", or "root-group" (root, the service's group)
    keep: bool = False  # never replace existing content
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"file {self.path}"

    def _ids(self) -> Ids:
        ids = lookup(self.layout.root, self.layout.user) or Ids(0, 0)
        return {"service": ids, "root": Ids(0, 0), "root-group": Ids(0, ids.gid)}[self.owner]

    def pending(self) -> str | None:
        if not self.path.exists():
            return "create"
        if not self.keep and self.path.read_bytes() != self.make():
            return "replace (content differs)"
        return state_of(self.path, self.mode, self._ids())

    def apply(self) -> None:
        if not self.path.exists() or (not self.keep and self.path.read_bytes() != self.make()):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, self.make(), mode=self.mode)
        enforce(self.path, self.mode, self._ids())
