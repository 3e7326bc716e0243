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


def _log_lines(fmt: str, emit) -> str:
    stream = io.StringIO()
    configure_logging(LoggingConfig(level="info", format=fmt), stream=stream)
    try:
        emit(logging.getLogger("edge.test"))
    finally:
        logging.getLogger().handlers.clear()
    return stream.getvalue()


def _failing_read(log: logging.Logger) -> None:
    try:
        raise ValueError("no record for 079203001234")
    except ValueError as exc:
        log.error("outbox access failed; retrying", extra={"error": str(exc), "row": 123456789})
        log.exception("card read failed")


def test_extra_fields_and_tracebacks_are_masked_too():
    out = _log_lines("json", _failing_read)
    assert "079203001234" not in out and "123456789" not in out
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["error"] == "no record for 07**********" and first["row"] == "12*******"
    assert "ValueError: no record for 07**********" in second["exc"]


def test_plain_text_logs_mask_the_traceback():
    out = _log_lines("text", _failing_read)
    assert "079203001234" not in out and "07**********" in out


def test_spaced_and_dashed_personal_numbers_are_masked():
    for written in ("079 203 001 234", "079-203-001-234", "0792.0300.1234", "123 456 789"):
        assert not any(ch.isdigit() for ch in mask_personal_numbers(f"id {written} read")[5:]), written
    assert mask_personal_numbers("phone 0912 345 678, at 2026-01-01T08:00:00") == (
        "phone 0912 345 678, at 2026-01-01T08:00:00"
    )
