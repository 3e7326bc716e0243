"""Helpers for kiosk tests: a service over the real PC/SC stack and a real outbox,
driven through its controller API (`act`, `wait_for_change`) as the screen would."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.kiosk.pin import hash_pin
from edge.kiosk.service import KioskService
from edge.outbox import Outbox
from firmware_config.kiosk import KioskConfig
from firmware_config.storage import StorageConfig
from kiosk.screen.protocol import ActionResult, ScreenSnapshot, ScreenState

PIN = "2468"
PIN_HASH = hash_pin(PIN, iterations=1000)


def kiosk_config(trust_dir: Path, **overrides: Any) -> KioskConfig:
    base: dict[str, Any] = {
        "reader": "Virtual PCD 00 00",
        "csca_dir": str(trust_dir),
        "person_check": "off",
        "establishment": {"code": "HCM-Q1-0042", "name": "Nhà nghỉ Hoa Sen"},
        "timeouts": {"message_s": 0.2, "card_back_s": 10, "receipt_s": 5},
    }
    base.update(overrides)
    return KioskConfig.model_validate(base)


def wait_state(service, states: set[ScreenState] | ScreenState, timeout_s: float = 30.0) -> ScreenSnapshot:
    wanted = {states} if isinstance(states, ScreenState) else set(states)
    end = time.monotonic() + timeout_s
    snap = service.snapshot()
    while snap.state not in wanted:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"screen stayed in {snap.state.value} ({snap.message}); wanted {wanted}")
        snap = service.wait_for_change(snap.seq, left)
    return snap


def start_service(
    cfg: KioskConfig, role: str, tmp_path: Path, outbox: Outbox | None = None, **kw: Any
) -> tuple[KioskService, Outbox]:
    box = outbox or Outbox(StorageConfig(path=tmp_path / "outbox.db"), "kiosk-test-0001")
    service = KioskService(
        cfg, role, box.append, outbox_dir=tmp_path, pin_hash=PIN_HASH, unsent=box.unsent, **kw
    )
    service.start()
    return service, box


def fill_stay(service, room: str = "203", departure: str | None = None, reason: str = "1") -> None:
    from datetime import date, timedelta

    departure = departure or (date.today() + timedelta(days=2)).isoformat()
    assert service.act({"type": "staff_unlock", "pin": PIN}).ok
    done = service.act(
        {"type": "staff_details", "values": {"room": room, "expected_departure": departure, "reason": reason}}
    )
    assert done.ok, done


def act_ok(service, action: dict) -> None:
    result = service.act(action)
    assert result.ok, (action.get("type"), result)


Waiter = Callable[..., ScreenSnapshot]


class OverHttp:
    """A kiosk controller seen through the screen server: actions are POSTed to
    /action as the page sends them (JSON, the screen's own Origin); the screen
    state is read from the controller itself."""

    def __init__(self, url: str, controller) -> None:
        self.url = url.rstrip("/")
        self._controller = controller

    def act(self, action: dict) -> ActionResult:
        from devkit.kiosk_http import post_action

        return post_action(self.url, action)

    def snapshot(self) -> ScreenSnapshot:
        return self._controller.snapshot()

    def wait_for_change(self, after_seq: int, timeout_s: float) -> ScreenSnapshot:
        return self._controller.wait_for_change(after_seq, timeout_s)

    def stats(self) -> dict:
        return self._controller.stats()
