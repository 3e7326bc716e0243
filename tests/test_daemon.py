"""The daemon as systemd runs it: `edge run` in its own process, a real Mosquitto
with mutual TLS and ACLs, sd_notify over a real unix socket, SIGTERM shutdown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.exit_codes import ExitCode
from tests.broker import CENTRAL, wait_until, write_device_config
from tests.daemon_process import supervised_daemon

pytestmark = pytest.mark.broker


def write_config(path: Path, broker, pki, device_id: str, *, rate: float, count: int) -> Path:
    return write_device_config(
        path,
        broker,
        device_id,
        path.parent / "outbox.db",
        pki.issue(device_id),
        stats_interval_s=1,
        sections={"synthetic": {"rate_per_s": rate, "count": count}},
    )


def test_daemon_publishes_notifies_and_stops_cleanly(tmp_path, tls_broker, test_pki, subscriber_factory):
    config = write_config(tmp_path / "config.yaml", tls_broker, test_pki, "kiosk-0001", rate=50, count=100)
    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    with supervised_daemon(config, tmp_path, watchdog_usec=3_000_000) as daemon:
        assert daemon.next_state().startswith(b"READY=1")
        assert daemon.next_state() == b"WATCHDOG=1"
        assert wait_until(lambda: len(central.unique_event_ids()) >= 100, 30), "100 events at the subscriber"
        assert wait_until(lambda: central.last_retained("/kiosk-0001/status") == b"online", 5), (
            "online status"
        )
        assert wait_until(lambda: central.last_retained("/kiosk-0001/stats") is not None, 5), "stats"
        assert wait_until(lambda: _synthetic_stats(central).get("produced") == 100, 10), "producer stats"
        returncode = daemon.terminate()
    assert returncode == 0, daemon.output[-3000:]
    assert b"STOPPING=1" in daemon.states
    events = central.events()
    assert sorted({e["seq"] for e in events}) == list(range(1, 101))
    assert {e["device_id"] for e in events} == {"kiosk-0001"}
    assert central.last_retained("/kiosk-0001/status") == b"offline"
    logs = [json.loads(line) for line in daemon.output.splitlines() if line.startswith("{")]
    assert any(entry["msg"] == "daemon stopped" for entry in logs)


def test_daemon_refuses_to_start_when_the_certificate_is_missing(tmp_path, tls_broker, test_pki):
    config = write_config(tmp_path / "config.yaml", tls_broker, test_pki, "kiosk-0002", rate=1, count=1)
    config.write_text(config.read_text().replace("kiosk-0002.key", "missing.key"))
    proc = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == ExitCode.UNAVAILABLE
    assert "refusing to start" in proc.stderr and "missing.key" in proc.stderr


def _synthetic_stats(central) -> dict:
    raw = central.last_retained("/kiosk-0001/stats")
    return json.loads(raw).get("extra", {}).get("synthetic", {}) if raw else {}
