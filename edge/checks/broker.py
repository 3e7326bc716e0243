"""The broker as the daemon would see it: the TCP port answers, the TLS handshake
succeeds against the pinned CA with the device's certificate, and a test publish on
the device's own event topic is accepted (a PUBACK without a failure code: the ACL
lets this certificate write there).

The test publish goes through the real outbox and publisher (a `selftest` event):
with the daemon running the daemon sends it (no second connection with the same
client id, which would take the daemon's session over); otherwise the doctor runs its
own publisher for it, as `edge selftest publish` does."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import uuid

from edge.checks.findings import Finding, fail, ok, skipped
from firmware_config import EdgeConfig

NETWORK = "check the network and mqtt.host/port; `edge outbox status` shows the last error"


def reachable(cfg: EdgeConfig, timeout_s: float) -> Finding:
    try:
        socket.create_connection((cfg.mqtt.host, cfg.mqtt.port), timeout=timeout_s).close()
    except OSError as exc:
        return fail("broker.reachable", f"{cfg.mqtt.host}:{cfg.mqtt.port}: {exc.strerror or exc}", NETWORK)
    return ok("broker.reachable", f"{cfg.mqtt.host}:{cfg.mqtt.port} answers")


def tls_handshake(cfg: EdgeConfig, timeout_s: float, credentials_dir: str | None) -> Finding:
    from edge.publisher import TlsSetupError
    from edge.publisher.tls import build_tls_context

    if cfg.mqtt.tls is None:
        return skipped("broker.tls", "plain connection configured")
    try:
        ctx = build_tls_context(cfg.mqtt.tls, credentials_dir)
        name = cfg.mqtt.tls.server_hostname or cfg.mqtt.host
        raw = socket.create_connection((cfg.mqtt.host, cfg.mqtt.port), timeout=timeout_s)
        with ctx.wrap_socket(raw, server_hostname=name) as tls_sock:
            version = tls_sock.version()
            # With TLS 1.3 the broker judges the client certificate after the client's
            # side of the handshake is done: its refusal arrives as an alert on the first
            # read. Silence (no MQTT CONNECT sent) means it was accepted.
            tls_sock.settimeout(min(timeout_s, 1.0))
            with contextlib.suppress(TimeoutError):
                tls_sock.recv(1)
    except TlsSetupError as exc:
        return fail("broker.tls", str(exc), "fix the file named (edge provision repairs modes and owners)")
    except ssl.SSLError as exc:
        return fail(
            "broker.tls",
            f"handshake refused: {exc.reason or exc}",
            "is mqtt.tls.ca_file the CA that signed the broker, and the device certificate one the broker's CA issued?",
        )
    except OSError as exc:
        return fail("broker.tls", f"connection: {exc.strerror or exc}", NETWORK)
    return ok("broker.tls", f"{version} handshake with the pinned CA and the device certificate")


def test_publish(
    cfg: EdgeConfig, *, daemon_running: bool, timeout_s: float, credentials_dir: str | None
) -> Finding:
    from edge.events import EventDraft, Priority
    from edge.outbox import Outbox, OutboxError
    from edge.publisher import Publisher, PublisherError

    try:
        outbox = Outbox(cfg.storage, cfg.device.id)
    except (OutboxError, OSError) as exc:
        return fail("broker.publish", f"outbox: {exc}", "edge doctor's storage checks say more")
    publisher = None
    try:
        stored = outbox.append(
            EventDraft(type="selftest", priority=Priority.LOW, body={"doctor": str(uuid.uuid4())})
        )
        if not daemon_running:
            publisher = Publisher(cfg.mqtt, cfg.device.id, outbox, credentials_dir=credentials_dir)
            publisher.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and outbox.unsent([stored.event_id]):
            time.sleep(0.05)
        unsent = bool(outbox.unsent([stored.event_id]))
        last_error = outbox.stats().last_error
    except PublisherError as exc:
        return fail("broker.publish", str(exc), "see broker.tls")
    finally:
        if publisher is not None:
            publisher.stop(flush_timeout_s=1.0)
        outbox.close()
    topic = f"{cfg.mqtt.topic_prefix}/{cfg.device.id}/events/selftest"
    if unsent:
        return fail(
            "broker.publish",
            f"test event on {topic} not acknowledged in {timeout_s:g} s (last error: {last_error or 'none'})",
            "if 'Not authorized': the broker ACL must let CN = device.id write PREFIX/DEV/events/# (docs/mqtt.md)",
        )
    return ok("broker.publish", f"test event accepted on {topic}")
