"""Kiosk screen reaction benchmark (one command, prints a table):

    .venv/bin/python bench/kiosk_screen.py [--changes 60]

How long from a controller change (a new snapshot) until the page shows it, on the
real path: the screen server's event stream on loopback -> headless Debian
Chromium (devkit.browser) -> the page's render. Measured side by side in one run:

- ``stream``: until a plain socket client reading /events has the event (the
  server's share: wake-up, JSON, write);
- ``DOM``: until <body data-seq> names the new snapshot (a MutationObserver in
  the page, on the same wall clock as Python's time.time());
- ``frame``: until the next animation frame after that, i.e. the frame that
  paints it (headless: no display, so no vsync wait).

Changes alternate between a progress step (updated in place), a state change
(view rebuilt) and the consent view (largest rebuild: the preview list).
Target (issue 10): screen reaction <= 200 ms."""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from devkit.browser import ScreenBrowser, chromium_executable  # noqa: E402
from devkit.kiosk_screen import ScreenController  # noqa: E402
from devkit.kiosk_screen_samples import sample_fields  # noqa: E402
from kiosk.screen.protocol import ScreenState  # noqa: E402
from kiosk.screen.server import ScreenServer  # noqa: E402

KINDS = ("progress step", "state change", "consent view")


class StreamWatcher(threading.Thread):
    """Reads /events like a page and notes when each seq arrived (time.time())."""

    def __init__(self, port: int) -> None:
        super().__init__(name="bench-stream", daemon=True)
        self.arrived: dict[int, float] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", "/events")
        self.response = self.conn.getresponse()

    def run(self) -> None:
        try:
            for raw in self.response.fp:
                line = raw.decode()
                if line.startswith("id: "):
                    self.arrived.setdefault(int(line.rsplit("-", 1)[1]), time.time())
        except (OSError, ValueError):
            pass


def change(controller: ScreenController, i: int) -> tuple[str, int]:
    kind = KINDS[i % len(KINDS)]
    if kind == "progress step":
        snap = controller.show(ScreenState.READING, progress=(i % 20) / 20)
    elif kind == "state change":
        snap = controller.show(
            ScreenState.PERSON_CHECK, **sample_fields(ScreenState.PERSON_CHECK, "stay_notification")
        )
    else:
        snap = controller.show(ScreenState.CONSENT, **sample_fields(ScreenState.CONSENT, "stay_notification"))
    return kind, snap.seq


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=60, help="snapshots to time (default 60)")
    args = parser.parse_args()
    if args.changes < 2 * len(KINDS):
        parser.error(f"--changes must be at least {2 * len(KINDS)} (two of each kind)")
    if chromium_executable() is None:
        print("bench/kiosk_screen: Chromium not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    controller = ScreenController("stay_notification")
    rows: dict[str, dict[str, list[float]]] = {k: {"stream": [], "DOM": [], "frame": []} for k in KINDS}
    with ScreenServer("127.0.0.1", 0, controller) as server, ScreenBrowser(server.url) as browser:
        watcher = StreamWatcher(server.port)
        watcher.start()
        browser.start_render_clock()
        for i in range(-6, args.changes):  # the first 6 warm up the page and are not counted
            time.sleep(0.15)  # one change at a time, as a check-in makes them
            started = time.time()
            kind, seq = change(controller, i)
            dom, frame = browser.rendered_at(seq, timeout_s=10)
            if i < 0:
                continue
            deadline = time.monotonic() + 5
            while seq not in watcher.arrived and time.monotonic() < deadline:
                time.sleep(0.001)
            rows[kind]["stream"].append((watcher.arrived[seq] - started) * 1000)
            rows[kind]["DOM"].append((dom - started) * 1000)
            rows[kind]["frame"].append((frame - started) * 1000)
        browser.page.goto("about:blank")
        watcher.response.close()
        watcher.conn.close()
        chromium = browser.page.context.browser.version if browser.page.context.browser else "chromium"
    print(describe(f"Chromium {chromium} headless"))
    print(f"screen reaction, ms from controller change (median / p95 / max over {args.changes} changes)")
    print(f"{'change':<14} {'n':>3}  {'stream':>20}  {'DOM':>20}  {'frame':>20}")
    everything: list[float] = []
    for kind in KINDS:
        cells = []
        for col in ("stream", "DOM", "frame"):
            v = rows[kind][col]
            cells.append(f"{statistics.median(v):6.1f} /{p95(v):6.1f} /{max(v):6.1f}")
        everything += rows[kind]["frame"]
        print(f"{kind:<14} {len(rows[kind]['DOM']):>3}  " + "  ".join(f"{c:>20}" for c in cells))
    verdict = "meets" if p95(everything) <= 200 else "MISSES"
    print(f"all changes to painted frame: p95 {p95(everything):.1f} ms ({verdict} the 200 ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
