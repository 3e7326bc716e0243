"""Build the kiosk service from the device configuration (called from the daemon's
wiring, the one place where producers are made)."""

from __future__ import annotations

from collections.abc import Callable

from edge.events import EventDraft, StoredEvent
from edge.kiosk.person_check import PersonCheck
from edge.kiosk.service import KioskService
from firmware_config import EdgeConfig
from firmware_config.kiosk import KioskConfig
from firmware_config.secrets import read_secret


def build_person_check(cfg: KioskConfig) -> PersonCheck | None:
    """The configured person check (face verification, or face presence with the
    configured detector); None when there is nothing to run it on."""
    if cfg.person_check == "off" or cfg.camera is None:
        return None
    if cfg.person_check_method == "face_verification":
        from edge.kiosk.face_verification import FaceVerificationPersonCheck

        return FaceVerificationPersonCheck.from_config(cfg.face_verification)
    from edge.kiosk.face_presence import FacePresenceCheck
    from edge.vision.models import registries
    from edge.vision.runtime import SessionFactory

    detectors, _ = registries()
    return FacePresenceCheck(detectors.create(cfg.face_detector, SessionFactory()), cfg.person_check_frames)


def build_kiosk_service(
    config: EdgeConfig,
    append: Callable[[EventDraft], StoredEvent],
    *,
    synced: Callable[[], bool],
    unsent: Callable[[list[str]], set[str]] | None,
) -> KioskService:
    cfg = config.kiosk
    assert cfg is not None
    pin_hash = read_secret(cfg.staff_pin).decode("utf-8") if cfg.staff_pin is not None else None
    return KioskService(
        cfg,
        config.device.role,
        append,
        outbox_dir=config.storage.path.parent,
        synced=synced,
        person_check=build_person_check(cfg),
        pin_hash=pin_hash,
        unsent=unsent,
    )


def build_screen(cfg: KioskConfig, controller: KioskService):
    """The kiosk screen's HTTP server on loopback (bound here: a busy port stops the
    daemon at start-up with a message naming it), serving `controller`."""
    from kiosk.screen.server import ScreenServer

    return ScreenServer("127.0.0.1", cfg.screen.port, controller)
