"""Debian's Chromium, headless, driven by Playwright: open the kiosk screen, wait, look.

Playwright's own browser download is not used (and not reachable here): the
browser is the distribution's ``/usr/bin/chromium`` (``apt-get install
chromium``; ``VN_EDGE_CHROMIUM`` names another), started with a fresh profile in
a temporary folder and no background networking, so a run leaves nothing behind
and talks to nothing but the page it opened.

Usage (tests, ``bench/``, the demo)::

    with ScreenBrowser(server.url) as browser:
        browser.wait_for_state("reading")          # the page shows that state
        browser.screenshot(Path("var/shot.png"))
        browser.start_render_clock()               # then change the controller (or place a card) ...
        dom_s, frame_s = browser.rendered_at(seq)  # ... and learn when the page showed it,
        dom_s, frame_s = browser.state_shown_at("reading")  # or when it first showed a state

The page marks what it shows on ``<body>``: ``data-state``, ``data-seq``,
``data-connected`` (``"true"`` while its event stream is up), ``data-lang``.
A ScreenBrowser is used from one thread (Playwright's sync API).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container; the device's kiosk unit runs Chromium as its own user
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# On Linux Chromium takes its own language (date fields: dd/mm/yyyy) from LANGUAGE, not --lang.
CHROMIUM_ENV = {"LANGUAGE": "vi"}

# Installed by start_render_clock: the wall-clock time (ms since the epoch, the same
# clock as Python's time.time()) at which <body> first showed each seq and each state,
# and of the next animation frame after it (the frame that paints it).
_RENDER_CLOCK = """() => {
  const now = () => performance.timeOrigin + performance.now();
  const clock = (window.__renderClock = { seq: {}, state: {} });
  if (window.__renderObserver) return;
  window.__renderObserver = new MutationObserver(() => {
    const c = window.__renderClock;
    const { seq, state } = document.body.dataset;
    const at = now();
    for (const [table, key] of [[c.seq, seq], [c.state, state]]) {
      if (table[key]) continue;
      const entry = (table[key] = { dom: at, frame: null });
      requestAnimationFrame(() => { entry.frame = now(); });
    }
  });
  window.__renderObserver.observe(document.body, { attributes: true, attributeFilter: ["data-seq"] });
}"""


def chromium_executable() -> str | None:
    """The Chromium to drive, or None when it is not installed."""
    path = os.environ.get("VN_EDGE_CHROMIUM", DEFAULT_CHROMIUM)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else shutil.which("chromium")


class ScreenBrowser:
    """One headless Chromium showing one page; a context manager that always cleans up."""

    def __init__(
        self,
        url: str | None = None,
        *,
        viewport: tuple[int, int] = (1280, 800),
        timeout_s: float = 20.0,
        touch: bool = False,
    ) -> None:
        """``touch``: a touch screen, as on the device (``page.tap`` sends real touch events)."""
        self.url = url
        self.viewport = viewport
        self.touch = touch
        self.timeout_ms = timeout_s * 1000
        self._playwright: Any = None
        self._context: Any = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self.page: Any = None

    def open(self) -> ScreenBrowser:
        executable = chromium_executable()
        if executable is None:
            raise FileNotFoundError(f"Chromium not found at {DEFAULT_CHROMIUM}: apt-get install chromium")
        from playwright.sync_api import sync_playwright  # dev dependency: imported only when used

        self._profile = tempfile.TemporaryDirectory(prefix="vn-edge-chromium-")
        try:
            self._playwright = sync_playwright().start()
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile.name,  # fresh profile (Playwright refuses --user-data-dir in args)
                executable_path=executable,
                headless=True,
                args=list(CHROMIUM_FLAGS),
                viewport={"width": self.viewport[0], "height": self.viewport[1]},
                has_touch=self.touch,
                locale="vi-VN",
                env={**os.environ, **CHROMIUM_ENV},
                timeout=self.timeout_ms,
            )
            self._context.set_default_timeout(self.timeout_ms)
            self.page = self._context.pages[0] if self._context.pages else self._context.new_page()
            if self.url is not None:
                self.goto(self.url)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def __enter__(self) -> ScreenBrowser:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def goto(self, url: str) -> None:
        """Open the kiosk page at ``url`` (a fresh load) and wait until its stream is up."""
        self.url = url
        self.page.goto(url)
        self.wait_connected()

    # --- waiting ----------------------------------------------------------------
    def wait_connected(self, timeout_s: float | None = None) -> None:
        self._wait('body[data-connected="true"]', timeout_s)

    def wait_for_state(self, state: str, timeout_s: float | None = None) -> None:
        """Until the page shows ``state`` (a ScreenState value) over a live connection."""
        self._wait(f'body[data-connected="true"][data-state="{state}"]', timeout_s)

    def wait_for_seq(self, seq: int, timeout_s: float | None = None) -> None:
        """Until the page has rendered the snapshot with this seq."""
        self._wait(f'body[data-seq="{int(seq)}"]', timeout_s)

    def _wait(self, selector: str, timeout_s: float | None) -> None:
        timeout = self.timeout_ms if timeout_s is None else timeout_s * 1000
        self.page.wait_for_selector(selector, state="attached", timeout=timeout)

    # --- looking ------------------------------------------------------------------
    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def start_render_clock(self) -> None:
        """Record from now on when each new seq and each state reaches the page (see
        ``rendered_at`` / ``state_shown_at``); calling it again starts a fresh record."""
        self.page.evaluate(_RENDER_CLOCK)

    def rendered_at(self, seq: int, timeout_s: float | None = None) -> tuple[float, float]:
        """(DOM time, painted-frame time) of snapshot ``seq``, in seconds on the ``time.time()`` clock."""
        return self._clock("seq", str(int(seq)), timeout_s)

    def state_shown_at(self, state: str, timeout_s: float | None = None) -> tuple[float, float]:
        """(DOM time, painted-frame time) at which the page first showed ``state`` since
        the clock was (re)started, e.g. "reading" after a card was placed."""
        return self._clock("state", state, timeout_s)

    def _clock(self, table: str, key: str, timeout_s: float | None) -> tuple[float, float]:
        timeout = self.timeout_ms if timeout_s is None else timeout_s * 1000
        self.page.wait_for_function(
            "([t, k]) => window.__renderClock && window.__renderClock[t][k] && window.__renderClock[t][k].frame",
            arg=[table, key],
            timeout=timeout,
        )
        entry = self.page.evaluate("([t, k]) => window.__renderClock[t][k]", [table, key])
        return entry["dom"] / 1000.0, entry["frame"] / 1000.0
