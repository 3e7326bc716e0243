"""File and folder replay: corrupt files are counted and skipped, replays finish or
loop, real-time pacing follows the recorded rate, and the drop-oldest queue and the
jittered backoff behave as documented."""

from __future__ import annotations

import itertools
import random
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera import Backoff, Camera, FrameQueue, SourceUnavailable, open_source
from drivers.camera.source_base import describe_url


def write_video(path: Path, frames: int, fps: float = 20.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (160, 120))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((120, 160, 3), (i * 9) % 256, np.uint8))
    writer.release()


def collect(cam: Camera, timeout: float = 20.0) -> list:
    frames = []
    deadline = time.monotonic() + timeout
    cam.start()
    try:
        while time.monotonic() < deadline:
            frame = cam.get(timeout=0.2)
            if frame is not None:
                frames.append(frame)
            elif cam.finished:
                break
    finally:
        cam.stop()
    return frames


def test_image_folder_with_corrupt_files(tmp_path: Path) -> None:
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), np.full((90, 120, 3), i * 40, np.uint8))
    good = cv2.imencode(".jpg", np.zeros((90, 120, 3), np.uint8))[1].tobytes()
    (tmp_path / "002a.jpg").write_bytes(good[: len(good) // 3])  # truncated JPEG
    (tmp_path / "003a.jpg").write_bytes(b"not an image at all")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    src = lambda: open_source("file", str(tmp_path), fps=100, replay_speed=0)  # noqa: E731
    cam = Camera("replay", src, queue_size=2, lossless=True, finite=True)
    frames = collect(cam)
    stats = cam.stats()
    assert len(frames) == 5 and stats.frames_captured == 5
    assert stats.corrupt_frames == 2
    assert stats.frames_dropped == 0
    assert stats.state == "finished" and cam.healthy()
    assert [int(f.image.mean()) for f in frames] == [0, 40, 80, 120, 160]


def test_video_replay_as_fast_as_possible_and_in_real_time(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_video(video, 20, fps=20.0)
    fast = Camera("a", lambda: open_source("file", str(video), replay_speed=0), lossless=True, finite=True)
    started = time.monotonic()
    frames = collect(fast)
    fast_s = time.monotonic() - started
    assert len(frames) == 20
    realtime = Camera(
        "b", lambda: open_source("file", str(video), replay_speed=1.0), lossless=True, finite=True
    )
    started = time.monotonic()
    frames = collect(realtime)
    real_s = time.monotonic() - started
    assert len(frames) == 20
    # 20 frames at 20 fps: the last is due 0.95 s after the first
    assert real_s >= 0.9
    assert fast_s < real_s
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(frames)]
    assert 0.03 < float(np.median(gaps)) < 0.08


def test_looping_replay_keeps_going(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_video(video, 5)
    cam = Camera("loop", lambda: open_source("file", str(video), replay_speed=0, loop=True), lossless=True)
    cam.start()
    try:
        got = [cam.get(timeout=5) for _ in range(17)]
    finally:
        cam.stop()
    assert all(f is not None for f in got)
    assert cam.stats().state == "stopped"


def test_missing_replay_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        open_source("file", str(tmp_path / "nope.mp4"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceUnavailable):
        open_source("file", str(empty))


def test_frame_queue_drops_oldest_and_counts() -> None:
    from datetime import datetime, timezone

    from drivers.camera import Frame

    q = FrameQueue(2)
    for i in range(5):
        q.put(Frame("c", i, np.zeros((1, 1, 3), np.uint8), datetime.now(timezone.utc), float(i)))
    assert q.dropped == 3
    assert [q.get(0).seq, q.get(0).seq] == [3, 4]
    assert q.get(0) is None


def test_backoff_grows_exponentially_with_jitter_and_resets() -> None:
    b = Backoff(0.5, 8.0, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(8)]
    ceilings = [min(8.0, 0.5 * 2 ** (n + 1)) for n in range(8)]
    assert all(0.5 <= d <= c for d, c in zip(delays, ceilings, strict=False))
    assert len(set(delays)) == len(delays)  # jittered, not lock-step
    assert max(delays[5:]) > 2.0
    b.reset()
    assert b.next_delay() <= 1.0


def test_credentials_never_appear_in_descriptions() -> None:
    assert describe_url("rtsp://admin:s3cret@127.0.0.1:554/s1") == "rtsp://***@127.0.0.1:554/s1"
    assert describe_url(0) == "/dev/video0"
    # an '@' inside the password must not leave its tail in the description
    assert describe_url("rtsp://admin:p@ss@word@127.0.0.1:554/s1") == "rtsp://***@127.0.0.1:554/s1"


def test_truncated_video_plays_what_it_can_then_finishes(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_video(video, 30)
    data = video.read_bytes()
    video.write_bytes(data[: int(len(data) * 0.6)])  # recording cut off mid-file
    cam = Camera("cut", lambda: open_source("file", str(video), replay_speed=0), lossless=True, finite=True)
    frames = collect(cam)
    assert 5 <= len(frames) < 30
    assert cam.stats().state == "finished" and cam.healthy()


def test_garbage_video_file_is_an_open_failure_and_the_camera_keeps_trying(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    cam = Camera(
        "junk",
        lambda: open_source("file", str(video), replay_speed=0),
        finite=True,
        backoff=Backoff(0.02, 0.05),
    )
    cam.start()
    try:
        deadline = time.monotonic() + 10
        while cam.stats().open_failures < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        stats = cam.stats()
        assert stats.open_failures >= 3 and stats.frames_captured == 0
        assert "cannot open video" in (stats.last_error or "")
        assert cam.healthy()
    finally:
        cam.stop()


def test_decoder_reuses_released_buffers_and_never_overwrites_held_frames(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, 12)
    src = open_source("file", str(path), replay_speed=0, pool_size=3)
    held = [src.read() for _ in range(4)]  # all still referenced: no buffer may be reused
    assert len({id(f) for f in held}) == 4
    assert all(abs(f.mean() - (i * 9) % 256) < 4 for i, f in enumerate(held))
    del held
    seen = []
    for i in range(4, 12):
        frame = src.read()
        seen.append(id(frame))
        assert abs(frame.mean() - (i * 9) % 256) < 4
        del frame  # released: the next read may decode into it
    src.close()
    assert src._pool.reused >= 7 and len(set(seen)) <= 3


def test_crop_view_keeps_its_frame_out_of_the_pool(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, 6)
    src = open_source("file", str(path), replay_speed=0, pool_size=2)
    first = src.read()
    crop = first[10:40, 20:60]  # a view: keeps `first` alive and in use
    del first
    later = [src.read().mean() for _ in range(5)]
    src.close()
    assert crop.mean() < 4  # frame 0 (black) was never decoded over
    assert all(abs(m - 9 * (i + 1)) < 4 for i, m in enumerate(later))


def test_stride_passes_over_frames_without_converting_them(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, 12)
    src = lambda: open_source("file", str(path), replay_speed=0)  # noqa: E731
    cam = Camera("replay", src, queue_size=2, lossless=True, finite=True)
    cam.stride = 3
    frames = collect(cam)
    stats = cam.stats()
    assert [f.seq for f in frames] == [1, 2, 3, 4]
    assert all(abs(f.image.mean() - (i * 3 * 9) % 256) < 4 for i, f in enumerate(frames))  # frames 0, 3, 6, 9
    assert stats.frames_captured == 12 and stats.frames_skipped == 8
