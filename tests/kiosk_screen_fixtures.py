"""Fixtures for the kiosk screen's browser tests: one headless Chromium per test module,
a screen server with the development controller per test, the artefacts folder.

Screenshots go to var/test-artifacts/kiosk-screen/ (gitignored), kept after the run
so a person can look at every view the tests rendered."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from devkit.browser import DEFAULT_CHROMIUM, ScreenBrowser, chromium_executable
from devkit.kiosk_screen import ScreenController
from kiosk.screen.assets import STATIC_DIR
from kiosk.screen.server import ScreenServer

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "var" / "test-artifacts" / "kiosk-screen"
MESSAGES: dict[str, dict[str, str]] = json.loads((STATIC_DIR / "messages.json").read_text(encoding="utf-8"))
PIN = "2468"


def vi(key: str) -> str:
    return MESSAGES[key]["vi"]


def en(key: str) -> str:
    return MESSAGES[key]["en"]


@pytest.fixture(scope="module")
def screen_browser() -> Iterator[ScreenBrowser]:
    if chromium_executable() is None:
        pytest.skip(
            f"Chromium not installed ({DEFAULT_CHROMIUM}): the kiosk screen's browser tests need it; "
            "scripts/setup.sh installs it (apt-get install chromium)"
        )
    pytest.importorskip("playwright", reason="playwright (dev extra) not installed: run scripts/setup.sh")
    with ScreenBrowser(timeout_s=15) as b:
        yield b


@pytest.fixture
def screen_controller() -> ScreenController:
    return ScreenController("stay_notification", pin=PIN)


@pytest.fixture
def screen(screen_controller: ScreenController, screen_browser: ScreenBrowser) -> Iterator[ScreenServer]:
    """A screen server for this test, with the module's browser showing its page."""
    browser = screen_browser
    with ScreenServer("127.0.0.1", 0, screen_controller) as server:
        browser.page.set_viewport_size({"width": 1280, "height": 800})
        browser.goto(server.url)
        yield server
        browser.page.goto("about:blank")  # the page's stream closes before the server stops


def shown(value: str) -> str:
    """A preview or receipt value as the page shows it: an ISO date day first, an ISO
    timestamp as dd/mm/yyyy HH:MM on the clock it was sent with, anything else as sent."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.fromisoformat(value).strftime("%d/%m/%Y")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}\S*", value):
        return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")
    return value


def artifact(*parts: str) -> Path:
    return ARTIFACTS.joinpath(*parts)
