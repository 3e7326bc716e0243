"""A kiosk daemon for end-to-end tests: the real `Daemon` (outbox, publisher over
mutual TLS, kiosk service) against a real Mosquitto with ACLs, on the real PC/SC
stack. In-process (a thread) when the test drives the controller API directly,
or `edge run` in its own process when it must be SIGKILLed."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devkit.kiosk_scene import write_scene
from edge.daemon import Daemon
from firmware_config import load_config
from tests.broker import wait_until, write_device_config
from tests.kiosk_helpers import PIN_HASH, OverHttp


def kiosk_daemon_config(
    tmp_path: Path,
    broker,
    pki,
    device_id: str,
    role: str,
    card_kit,
    *,
    camera: bool = False,
    kiosk: dict[str, Any] | None = None,
) -> Path:
    pin_file = tmp_path / "staff-pin"
    pin_file.write_text(PIN_HASH + "\n")
    pin_file.chmod(0o600)
    key_file = tmp_path / "outbox-key"
    key_file.write_text("ab" * 32)
    key_file.chmod(0o600)
    section: dict[str, Any] = {
        "reader": "Virtual PCD 00 00",
        "csca_dir": str(card_kit.trust_dir),
        "staff_pin": {"file": str(pin_file)},
        "person_check": "required" if camera else "off",
        "establishment": {"code": "HCM-Q1-0042", "name": "Nhà nghỉ Hoa Sen"},
        "timeouts": {"message_s": 0.2, "card_back_s": 10, "receipt_s": 3},
        "screen": {"port": 0},
    }
    if camera:
        scene = write_scene(tmp_path / "scene", card_kit.person)
        section["camera"] = {"id": "kiosk", "kind": "file", "url": str(scene), "fps": 10, "loop": True}
    section.update(kiosk or {})
    return write_device_config(
        tmp_path / f"{device_id}.yaml",
        broker,
        device_id,
        tmp_path / "outbox.db",
        pki.issue(device_id),
        stats_interval_s=1,
        sections={
            "device": {"id": device_id, "role": role},
            "storage": {"path": str(tmp_path / "outbox.db"), "encryption_key": {"file": str(key_file)}},
            "kiosk": section,
        },
    )


@contextlib.contextmanager
def running_daemon(config: Path) -> Iterator[Daemon]:
    daemon = Daemon(load_config(config))
    thread = threading.Thread(target=daemon.run, name="daemon-under-test", daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: "kiosk_screen" in daemon.producers, 30), "kiosk service started"
        yield daemon
    finally:
        daemon.stop_requested.set()
        thread.join(30)


def kiosk_over_http(daemon: Daemon) -> OverHttp:
    """The daemon's kiosk as the page drives it: actions over the screen server's HTTP."""
    return OverHttp(daemon.producers["kiosk_screen"].url, daemon.producers["kiosk"])
