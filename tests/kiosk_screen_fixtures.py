"""Fixtures for the kiosk screen's browser tests: one headless Chromium per test module,
a screen server with the development controller per test, the artefacts folder.

Screenshots go to var/test-artifacts/kiosk-screen/ (gitignored), kept after the run
so a person can look at every view the tests rendered."""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def artifact(*parts: str) -> Path:
    return ARTIFACTS.joinpath(*parts)
