"""Structured logs keep personal numbers out; sd_notify speaks the real datagram protocol."""

from __future__ import annotations

import io
import json
import logging
import socket

from edge.logs import configure_logging, mask_personal_numbers
from edge.sdnotify import SystemdNotifier
from firmware_config.log_output import LoggingConfig


def test_json_logs_mask_id_numbers_and_keep_extras():
    stream = io.StringIO()
    configure_logging(LoggingConfig(level="info", format="json"), stream=stream)
    try:
        logging.getLogger("edge.test").info("card read for %s failed", "079203001234", extra={"apdus": 12})
        logging.getLogger("edge.test").debug("hidden")
    finally:
        logging.getLogger().handlers.clear()
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["msg"] == "card read for 07********** failed"
    assert entry["apdus"] == 12 and entry["level"] == "info" and entry["ts"].endswith("Z")


def test_mask_leaves_other_numbers_alone():
    assert mask_personal_numbers("seq 1234567 old id 123456789") == "seq 1234567 old id 12*******"
    assert mask_personal_numbers("plate 51F-123.45") == "plate 51F-123.45"


def test_notifier_sends_datagrams(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    notifier = SystemdNotifier(path)
    assert notifier.enabled and notifier.watchdog_interval_s == 30.0
    notifier.ready("up")
    notifier.watchdog()
    assert server.recv(100) == b"READY=1\nSTATUS=up"
    assert server.recv(100) == b"WATCHDOG=1"
    server.close()


def test_notifier_is_silent_outside_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SystemdNotifier()
    assert not notifier.enabled
    notifier.ready()  # must not raise
