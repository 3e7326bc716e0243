"""`edge selftest publish` as a technician runs it: a real process, a real config
file, a real broker; the exit code and the report line are the interface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edge.exit_codes import ExitCode
from tests.broker import Broker, wait_until, write_device_config

REPO = Path(__file__).resolve().parent.parent
DEVICE = "hcm-q5-pawn-0001"
EDGE = [sys.executable, "-m", "edge.cli"]


def _selftest(config: Path, count: int, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *EDGE,
            "selftest",
            "publish",
            "--config",
            str(config),
            "--count",
            str(count),
            "--timeout",
            str(timeout),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout + 30,
    )


def test_selftest_publish_reports_all_acknowledged(plain_broker: Broker, subscriber_factory, tmp_path):
    sub = subscriber_factory(plain_broker, f"devices/{DEVICE}/events/selftest")
    cfg = write_device_config(tmp_path / "device.yaml", plain_broker, DEVICE, tmp_path / "outbox.db")
    done = _selftest(cfg, 300)
    assert done.returncode == 0, done.stderr
    assert "300/300 acknowledged, 0 rejected" in done.stdout
    assert "events/s" in done.stdout
    run_id = done.stdout.split()[2].rstrip(":")

    def mine() -> list[int]:  # the subscriber may still be receiving after the last PUBACK
        bodies = [json.loads(m[1])["body"] for m in sub.received()]
        return sorted(b["n"] for b in bodies if b["run_id"] == run_id)

    assert wait_until(lambda: mine() == list(range(300)), 10), mine()[-5:]


def test_selftest_publish_fails_when_the_broker_refuses(tls_broker: Broker, test_pki, tmp_path):
    # The certificate says hcm-q5-pawn-0002, the config claims another device: ACL refusal.
    creds = test_pki.issue("hcm-q5-pawn-0002")
    cfg = write_device_config(tmp_path / "device.yaml", tls_broker, DEVICE, tmp_path / "outbox.db", creds)
    done = _selftest(cfg, 5, timeout=3.0)
    assert done.returncode == ExitCode.CHECK_FAILED
    assert "0/5 acknowledged, 5 rejected" in done.stdout
    assert "Not authorized" in done.stderr


def test_selftest_publish_fails_when_no_broker_answers(plain_broker: Broker, tmp_path):
    cfg = write_device_config(tmp_path / "device.yaml", plain_broker, DEVICE, tmp_path / "outbox.db")
    plain_broker.kill()
    done = _selftest(cfg, 5, timeout=2.0)
    assert done.returncode == ExitCode.CHECK_FAILED
    assert "0/5 acknowledged" in done.stdout
    assert "Connection refused" in done.stderr or "ConnectionRefusedError" in done.stderr
