"""The kiosk screen's Chromium unit: kiosk mode on the daemon's loopback page, as its own
user, a fresh profile, no background networking; systemd's verifier accepts it; the port
agrees with the kiosk config's default and the Chromium policy's allow-list."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware_config.kiosk import ScreenConfig

SYSTEMD = Path(__file__).resolve().parent.parent / "systemd"
UNIT = SYSTEMD / "vn-edge-kiosk-screen.service"


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            found.setdefault(m.group(1), []).append(m.group(2))
    return found


def test_chromium_runs_in_kiosk_mode_on_the_loopback_page_as_the_kiosk_user():
    d = directives(UNIT.read_text())
    assert d["User"] == ["vn-kiosk"] and d["PAMName"] == ["vn-kiosk"]
    command = d["ExecStart"][0].split()
    assert command[:3] == ["/usr/bin/cage", "-d", "--"] and command[3] == "/usr/bin/chromium"
    for flag in (
        "--kiosk",
        "--app=http://127.0.0.1:${SCREEN_PORT}/",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--user-data-dir=${RUNTIME_DIRECTORY}/profile",
    ):
        assert flag in command, flag
    assert "--no-sandbox" not in command
    assert d["RuntimeDirectory"] == ["vn-kiosk"] and d["Restart"] == ["always"]
    assert d["NoNewPrivileges"] == ["yes"] and d["ProtectSystem"] == ["strict"]


def test_the_port_agrees_with_the_kiosk_config_and_the_chromium_policy():
    env = " ".join(directives(UNIT.read_text())["Environment"])
    port = ScreenConfig().port
    assert f"SCREEN_PORT={port}" in env.split()
    policy = json.loads((SYSTEMD / "chromium-kiosk-policy.json").read_text())
    assert policy["URLBlocklist"] == ["*"] and policy["URLAllowlist"] == [f"http://127.0.0.1:{port}"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit(tmp_path):
    true = shutil.which("true")
    assert true
    text = UNIT.read_text().replace("/usr/bin/cage", true).replace("/usr/bin/chromium", true)
    unit = tmp_path / UNIT.name
    unit.write_text(text)
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    problems = [ln for ln in verify.stderr.splitlines() if UNIT.name in ln]
    assert problems == []
