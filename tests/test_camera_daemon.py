"""Camera faults seen from the daemon: `edge run` with an HTTP MJPEG camera that sends
corrupt frames, drops the connection and stalls. The daemon keeps running, keeps
pinging the systemd watchdog, logs each fault and the reconnects, and stops cleanly."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.broker import wait_until
from tests.daemon_process import supervised_daemon
from tests.test_camera_faults import ScriptedMjpegServer

pytestmark = pytest.mark.broker


def test_daemon_survives_a_flaky_camera(tmp_path: Path, plain_broker) -> None:
    plans = [
        [("good", 10), ("truncated", 3), ("garbage", 3), ("good", 5)],  # then disconnect
        [("good", 10), ("stall", 3)],  # then silence
        [("good", 100000)],
    ]
    server = ScriptedMjpegServer(plans)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
device: {{id: cam-flaky-01, role: intersection_camera}}
mqtt: {{host: {plain_broker.host}, port: {plain_broker.port}, allow_insecure: true, keepalive_s: 5}}
storage: {{path: {tmp_path / "outbox.db"}}}
cameras:
  - id: gate
    kind: mjpeg
    url: "http://127.0.0.1:{server.port}/video"
    detect: [faces]
    read_timeout_s: 0.5
    reconnect_initial_s: 0.05
    reconnect_max_s: 0.2
vision: {{faces: {{type: blazeface}}}}
logging: {{level: info, format: json}}
"""
    )
    with server, supervised_daemon(config, tmp_path, watchdog_usec=2_000_000) as daemon:
        assert daemon.next_state().startswith(b"READY=1")
        assert wait_until(lambda: server.connections >= 3, 30), "camera did not reconnect twice"
        time.sleep(1.0)
        # the watchdog is still being fed after the faults: the daemon is healthy
        assert daemon.watchdog_pings(2, timeout_s=10) == 2
        assert daemon.proc.poll() is None
        returncode = daemon.terminate()
    out = daemon.output
    assert returncode == 0, out[-3000:]
    messages = []
    for line in out.splitlines():
        try:
            messages.append(json.loads(line).get("msg", ""))
        except json.JSONDecodeError:
            messages.append(line)
    text = "\n".join(messages)
    assert "camera gate: stream ended" in text
    assert "camera gate: stalled" in text
    assert "camera gate: reconnected" in text
    assert str(server.port) in text and "video" in text
