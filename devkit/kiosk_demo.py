"""The demo's kiosk part: a guesthouse check-in through the daemon itself.

pcscd + vsmartcard-vpcd + our emulated CCCD on the reader; the kiosk camera replays
a rendered CCCD front (with its real QR) and then a face; the daemon's kiosk service
reads the QR, opens the chip with PACE, checks passive authentication against the
demo CSCA, sees a face; the demo plays the staff (room, departure, reason) and the
guest (consent) through the screen server's action API over HTTP, as the page does;
the event goes through the encrypted outbox and mutual TLS to the central subscriber,
which prints it, and headless Chromium takes a screenshot of the receipt screen."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from devkit.kiosk_http import post_action
from devkit.mosquitto import CENTRAL, LocalBroker
from devkit.subscriber import CentralSubscriber

KIOSK_ID = "demo-inn-0001"
PIN = "2468"

Say = Callable[[str], None]


def _config(workdir: Path, broker: LocalBroker, scene: Path) -> Path:
    from edge.kiosk.pin import hash_pin

    (workdir / "kiosk-pin").write_text(hash_pin(PIN) + "\n")
    (workdir / "outbox-key").write_text("5a" * 32)
    for f in ("kiosk-pin", "outbox-key"):
        (workdir / f).chmod(0o600)
    mqtt = broker.mqtt_config(broker.credentials(KIOSK_ID), keepalive_s=5, stats_interval_s=2)
    config = {
        "device": {"id": KIOSK_ID, "role": "guesthouse_kiosk", "site": "Nhà nghỉ Hoa Sen (demo)"},
        "mqtt": json.loads(mqtt.model_dump_json(exclude_defaults=True)),
        "storage": {
            "path": str(workdir / "kiosk-outbox.db"),
            "encryption_key": {"file": str(workdir / "outbox-key")},
        },
        "kiosk": {
            "reader": "Virtual PCD 00 00",
            "csca_dir": str(workdir / "card-pki" / "csca"),
            "staff_pin": {"file": str(workdir / "kiosk-pin")},
            "camera": {"id": "kiosk", "kind": "file", "url": str(scene), "fps": 10, "loop": True},
            "establishment": {"code": "DEMO-0001", "name": "Nhà nghỉ Hoa Sen"},
            "timeouts": {"receipt_s": 5, "message_s": 1},
            "screen": {"port": 0},
        },
        "logging": {"level": "warning", "format": "text"},
    }
    path = workdir / "kiosk.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _wait(kiosk, state: str, seconds: float) -> bool:
    snap = kiosk.snapshot()
    end = time.monotonic() + seconds
    while snap.state.value != state and time.monotonic() < end:
        snap = kiosk.wait_for_change(snap.seq, end - time.monotonic())
    return snap.state.value == state


@contextlib.contextmanager
def _browser(url: str, say: Say) -> Iterator[object | None]:
    """Headless Chromium on the kiosk page (for the receipt screenshot), if installed."""
    from devkit.browser import ScreenBrowser, chromium_executable

    if chromium_executable() is None:
        say("kiosk: Chromium not installed: no receipt screenshot (scripts/setup.sh installs it)")
        yield None
        return
    with ScreenBrowser(url) as browser:
        yield browser


def _describe(event: dict) -> str:
    body = event["body"]
    guest = body.get("guest", {})
    v = body.get("verification", {})
    return (
        f"[central] {event['device_id']} seq {event['seq']} {event['type']}: {guest.get('full_name')} "
        f"({guest.get('personal_number')}), room {body.get('room')}, arrival {body.get('arrival')}, "
        f"due by {body.get('due_by')}; {v.get('access_method')} via {v.get('access_key_source')}, "
        f"genuine {v.get('genuine')}, person check {v.get('person_check', {}).get('status')}"
    )


def run_checkin(workdir: Path, broker: LocalBroker, say: Say) -> dict | None:
    from devkit.emulator.__main__ import demo_profile
    from devkit.emulator.stack import PcscdProcess, StackUnavailable, presented
    from devkit.kiosk_scene import write_scene
    from edge.daemon import Daemon
    from firmware_config import load_config

    try:
        pcscd = PcscdProcess()
    except StackUnavailable as exc:
        say(f"kiosk: skipped, PC/SC stack unavailable: {exc}")
        return None
    received: list[dict] = []
    central = CentralSubscriber.for_broker(
        broker,
        creds=broker.credentials(CENTRAL),
        on_event=lambda e: (
            (received.append(e), say(_describe(e))) if e["type"] == "stay_notification" else None
        ),
    ).start()
    try:
        profile = demo_profile(workdir / "card-pki")
        from devkit.cccd.testcard import TestPerson

        scene = write_scene(workdir / "kiosk-camera", TestPerson.default())
        daemon = Daemon(load_config(_config(workdir, broker, scene)))
        thread = threading.Thread(target=daemon.run, name="demo-kiosk-daemon", daemon=True)
        thread.start()
        try:
            while "kiosk_screen" not in daemon.producers and thread.is_alive():
                time.sleep(0.1)
            kiosk, url = daemon.producers["kiosk"], daemon.producers["kiosk_screen"].url
            say(
                f"kiosk: guesthouse daemon running, screen on {url}; emulated CCCD placed on 'Virtual PCD 00 00', card front shown to the camera"
            )
            with _browser(url, say) as browser, presented(profile):
                if not _wait(kiosk, "staff_details", 60):
                    say(
                        f"kiosk: check-in stuck in {kiosk.snapshot().state.value} ({kiosk.snapshot().message})"
                    )
                    return None
                say(
                    "kiosk: QR read, chip read (PACE) and verified, face seen; staff fill in room 203 for 2 nights"
                )
                departure = (date.today() + timedelta(days=2)).isoformat()
                for action in (
                    {"type": "staff_unlock", "pin": PIN},
                    {
                        "type": "staff_details",
                        "values": {"room": "203", "expected_departure": departure, "reason": "1"},
                    },
                ):
                    post_action(url, action)
                _wait(kiosk, "consent", 10)
                post_action(url, {"type": "consent", "accept": True})
                _wait(kiosk, "receipt", 10)
                receipt = {p.label: p.value for p in kiosk.snapshot().receipt}
                say(
                    f"kiosk: receipt on screen: reference {receipt.get('receipt.reference')}, due by {receipt.get('receipt.due_by')}"
                )
                if browser is not None:
                    browser.wait_for_state("receipt", 20)
                    shot = browser.screenshot(workdir / "kiosk-receipt.png")
                    say(f"kiosk: receipt screenshot written to {shot.resolve()}")
            end = time.monotonic() + 20
            while not received and time.monotonic() < end:
                time.sleep(0.1)
        finally:
            daemon.stop_requested.set()
            thread.join(30)
    finally:
        central.stop()
        pcscd.stop()
    return received[0] if received else None
