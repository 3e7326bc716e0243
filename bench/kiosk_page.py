"""For bench/kiosk.py: the kiosk page in headless Chromium, served by the screen
server from the service under test, timing card placed -> page painting "reading".

"Card placed" is the service's own first sight of the card (its board history,
monotonic clock, mapped to the wall clock); "painted" is the page's render clock
(devkit.browser: the first animation frame after the DOM showed the state)."""

from __future__ import annotations

import time

from kiosk.screen.protocol import ScreenState


class PageWatch:
    def __init__(self, controller) -> None:
        from devkit.browser import ScreenBrowser
        from kiosk.screen.server import ScreenServer

        self.server = ScreenServer("127.0.0.1", 0, controller)
        self.server.start()
        self.browser = ScreenBrowser(self.server.url).open()
        self.reactions_ms: list[float] = []

    def before(self) -> None:
        self.browser.start_render_clock()

    def after(self, history: list[tuple[ScreenState, float]]) -> None:
        placed = next((at for state, at in history if state is ScreenState.CARD_PLACED), None)
        if placed is None:
            return
        placed_wall = time.time() - (time.monotonic() - placed)
        _, frame = self.browser.state_shown_at("reading", 10)
        self.reactions_ms.append((frame - placed_wall) * 1000)

    def close(self) -> None:
        self.browser.close()
        self.server.stop()
