"""Shared fixtures. Mocks only at the outermost boundary: real SQLite files, a real
Mosquitto, the real PC/SC stack, real ONNX models."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.broker",  # Mosquitto, test PKI and subscriber fixtures
    "tests.pcsc_stack",  # pcscd + vpcd + CCCD emulator, test card PKI
    "tests.kiosk_screen_fixtures",  # headless Chromium, kiosk screen server + development controller
    "tests.remote_daemon",  # daemon under the devkit supervisor + central commander
    "tests.tmpfs",  # a small real filesystem for disk-full tests
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
PLATES_DIR = SHARED_DIR / "datasets" / "vn-plates"


@pytest.fixture(autouse=True)
def fail_on_thread_exception():
    """Fail any test during which a background thread died with an exception that
    would otherwise only be printed and forgotten."""
    caught: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        caught.append(args)
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous
    if caught:
        first = caught[0]
        pytest.fail(
            f"background thread {first.thread.name if first.thread else '?'} raised "
            f"{first.exc_type.__name__}: {first.exc_value}",
            pytrace=False,
        )


@pytest.fixture
def plates_dir() -> Path:
    if not PLATES_DIR.is_dir():
        pytest.skip(f"dev plate set not found at {PLATES_DIR} (../shared beside the project root)")
    return PLATES_DIR
