"""Camera faults against a real HTTP MJPEG server on 127.0.0.1 started by the test:
disconnects, stalls, corrupt parts and a camera that is down at start-up are all
survived, counted in stats and followed by a reconnect."""

from __future__ import annotations

import http.server
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import cv2
import numpy as np
import pytest

from drivers.camera import Backoff, Camera, open_source

BOUNDARY = b"frameboundary"


def jpeg(value: int) -> bytes:
    image = np.full((120, 160, 3), value % 256, np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


class ScriptedMjpegServer:
    """Serves one scripted plan per connection (the last plan repeats). Plan steps:
    ("good", n), ("truncated", n), ("garbage", n), ("nolength", n), ("stall", seconds)."""

    def __init__(self, plans: list[list[tuple[str, float]]], port: int = 0) -> None:
        self.plans = plans
        self.connections = 0
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                plan = outer.plans[min(outer.connections, len(outer.plans) - 1)]
                outer.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    outer.play(self.wfile, plan)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="mjpeg-server", daemon=True)

    def play(self, out, plan: list[tuple[str, float]]) -> None:
        n = 0
        for step, amount in plan:
            if step == "stall":
                self.stop.wait(amount)
                continue
            for _ in range(int(amount)):
                if self.stop.is_set():
                    return
                n += 1
                data = jpeg(n * 10)
                if step == "truncated":
                    data = data[: len(data) // 2]
                elif step == "garbage":
                    data = b"\x00garbage" * 40
                head = b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                if step != "nolength":
                    head += b"Content-Length: %d\r\n" % len(data)
                out.write(head + b"\r\n" + data + b"\r\n")
                out.flush()
                time.sleep(0.01)

    def __enter__(self) -> ScriptedMjpegServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def make_camera(port: int, **kw) -> Camera:
    url = f"http://127.0.0.1:{port}/video"
    return Camera(
        "gate",
        # a long open timeout: only the read timeout may detect a stall
        lambda: open_source("mjpeg", url, open_timeout_s=10.0, read_timeout_s=0.5),
        queue_size=kw.pop("queue_size", 64),
        backoff=Backoff(0.05, 0.2),
        **kw,
    )


@contextmanager
def running(camera: Camera) -> Iterator[Camera]:
    camera.start()
    try:
        yield camera
    finally:
        camera.stop()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def drain(camera: Camera) -> list:
    frames = []
    while (f := camera.get(timeout=0)) is not None:
        frames.append(f)
    return frames


def test_corrupt_parts_are_counted_and_skipped_without_reconnecting() -> None:
    plans = [[("good", 5), ("truncated", 3), ("garbage", 2), ("nolength", 4), ("good", 5), ("stall", 30)]]
    with ScriptedMjpegServer(plans) as server, running(make_camera(server.port)) as cam:
        wait_for(lambda: cam.stats().frames_captured >= 14)
        stats = cam.stats()
        assert stats.corrupt_frames == 5
        assert stats.frames_captured == 14
        assert stats.reconnects == 0
        assert "corrupt frame" in (stats.last_error or "")
        frames = drain(cam)
        assert [f.seq for f in frames] == list(range(1, 15))
        assert all(a.captured_at <= b.captured_at for a, b in itertools.pairwise(frames))
        assert all(f.image.shape == (120, 160, 3) for f in frames)
        assert cam.healthy()


def test_disconnect_and_stall_are_reconnected_and_reported() -> None:
    plans = [
        [("good", 5)],  # then the server closes the connection
        [("good", 5), ("stall", 3)],  # then silence longer than the read timeout
        [("good", 1000)],
    ]
    with ScriptedMjpegServer(plans) as server, running(make_camera(server.port)) as cam:
        wait_for(lambda: cam.stats().reconnects >= 2 and cam.stats().state == "streaming", timeout=15)
        wait_for(lambda: cam.stats().frames_captured >= 20)
        stats = cam.stats()
        assert stats.disconnects >= 1
        assert stats.stalls >= 1
        assert server.connections >= 3
        assert cam.healthy()
        assert stats.last_frame_age_s is not None and stats.last_frame_age_s < 1.0


def test_camera_down_at_start_keeps_retrying_until_it_appears() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with running(make_camera(port)) as cam:
        wait_for(lambda: cam.stats().open_failures >= 2)
        assert cam.healthy()
        assert cam.stats().frames_captured == 0
        with ScriptedMjpegServer([[("good", 1000)]], port=port):
            wait_for(lambda: cam.stats().frames_captured >= 5)
    assert cam.stats().state == "stopped"


def test_slow_consumer_drops_oldest_frames_and_counts_them() -> None:
    server = ScriptedMjpegServer([[("good", 40), ("stall", 30)]])
    with server, running(make_camera(server.port, queue_size=3)) as cam:
        wait_for(lambda: cam.stats().frames_captured >= 40)
        stats = cam.stats()
        frames = drain(cam)
    assert stats.frames_dropped == 37
    assert [f.seq for f in frames] == [38, 39, 40]


@pytest.mark.parametrize("content_type", ["text/html", "image/jpeg"])
def test_non_mjpeg_endpoint_is_an_open_failure(content_type: str) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with running(make_camera(httpd.server_address[1])) as cam:
            wait_for(lambda: cam.stats().open_failures >= 2)
            assert "not a multipart MJPEG stream" in (cam.stats().last_error or "")
            assert cam.healthy()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_backoff_stays_bounded_after_hours_of_retries() -> None:
    # A camera unreachable for some hours retries a few thousand times; the delay
    # must stay a float below the maximum (it raised OverflowError past ~1000).
    backoff = Backoff(0.5, 30.0)
    delays = [backoff.next_delay() for _ in range(5000)]
    assert all(0.5 <= d <= 30.0 for d in delays)


def test_camera_survives_more_than_a_thousand_failed_opens() -> None:
    def never_opens():
        raise OSError("host unreachable")

    camera = Camera("down", never_opens, backoff=Backoff(1e-6, 1e-5))
    camera.start()
    try:
        deadline = time.monotonic() + 120
        while camera.stats().open_failures < 1200 and camera.healthy() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert camera.stats().open_failures >= 1200
        assert camera.healthy()
    finally:
        camera.stop()
