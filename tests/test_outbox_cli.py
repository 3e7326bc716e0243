"""`edge outbox status` through the real console command, against a real outbox file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli import main
from edge.events import Attachment, EventDraft, Priority
from edge.exit_codes import ExitCode
from edge.outbox import Outbox
from firmware_config.storage import StorageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp_path: Path, db: Path) -> Path:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "device:\n  id: hcm-q3-inn-0001\n  role: guesthouse_kiosk\n"
        "mqtt:\n  host: 127.0.0.1\n  port: 1883\n  allow_insecure: true\n"
        f"storage:\n  path: {db}\n  quota: 64MB\n  ttl_s:\n    checkin: 2592000\n"
        "kiosk:\n  csca_dir: /etc/vn-edge/csca\n",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    db = tmp_path / "outbox.db"
    with Outbox(StorageConfig(path=db, quota="64MB"), "hcm-q3-inn-0001") as ob:
        ob.append(EventDraft("checkin", {"room": "12"}, Priority.CRITICAL))
        ob.append(
            EventDraft("plate", {"t": 1}, Priority.LOW, attachments=(Attachment("image/jpeg", b"j" * 500),))
        )
        ack = ob.append(EventDraft("plate", {"t": 2}, Priority.NORMAL))
        ob.ack([ack.row_id])
        rejected = ob.append(EventDraft("face", {"t": 3}, Priority.HIGH))
        ob.reject(rejected.row_id, "not authorised (0x87)", retry_at=0)
    return write_config(tmp_path, db)


def test_status_json_through_the_console_command(populated: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "edge.cli", "outbox", "status", "--config", str(populated), "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["depth"] == 4
    assert data["depth_by_type"] == {"attachment": 1, "checkin": 1, "face": 1, "plate": 1}
    assert data["depth_by_priority"] == {"critical": 1, "high": 1, "low": 2, "normal": 0}
    assert data["rejected"] == 1 and "not authorised (0x87)" in data["last_error"]
    assert data["appended_total"] == 5 and data["acked_total"] == 1
    assert data["evicted_by_priority"] == {"low": 0, "normal": 0, "high": 0, "critical": 0}
    assert data["expired_total"] == 0 and data["quota_bytes"] == 64 * 10**6
    assert data["bytes"] > 500 and data["oldest_age_s"] >= 0


def test_status_table_is_human_readable(populated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox", "status", "--config", str(populated)]) == 0
    out = capsys.readouterr().out
    assert "waiting       4 messages" in out
    assert "not authorised (0x87)" in out
    assert "1 held now, 1 rejections in total" in out
    assert "evicted       0 (low 0, normal 0, high 0, critical 0)" in out
    assert re.search(r"attachment\s+1\s+critical\s+1\n", out)
    assert re.search(r"plate\s+1\s+low\s+2\n", out)
    assert "oldest" in out and "ago" in out


def test_status_does_not_modify_or_create_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "missing" / "outbox.db"
    cfg = write_config(tmp_path, db)
    assert main(["outbox", "status", "--config", str(cfg)]) == ExitCode.UNAVAILABLE
    assert "no outbox at" in capsys.readouterr().err
    assert not db.parent.exists()


def test_status_with_a_bad_config_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("device:\n  id: X\n", encoding="utf-8")
    assert main(["outbox", "status", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "invalid configuration" in err and "device.id" in err
