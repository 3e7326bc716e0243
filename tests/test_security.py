"""Mutual TLS and per-device ACLs against a real Mosquitto
(`require_certificate true`, `use_identity_as_username true`, `pattern write devices/%u/#`)."""

from __future__ import annotations

import ssl
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devkit.pki import DevPki
from edge.events import EventDraft
from edge.outbox import Outbox
from edge.publisher import Publisher, TlsSetupError
from tests.broker import CENTRAL, Broker, wait_until

DEV_A = "hcm-q1-cam-0001"
DEV_B = "hcm-q1-cam-0002"


@pytest.fixture
def outbox(outbox_factory) -> Outbox:
    return outbox_factory(DEV_A)


def _raw_connect(broker: Broker, ctx: ssl.SSLContext) -> tuple[list[str], BaseException | None]:
    """Try an MQTT v5 connection with `ctx`; returns the CONNACK/disconnect events seen
    and the exception raised while connecting, if any."""
    seen: list[str] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder", protocol=MQTTProtocolVersion.MQTTv5)
    c.tls_set_context(ctx)
    c.on_connect = lambda _c, _u, _f, rc, _p: seen.append(f"connack:{rc.getName()}")
    c.on_disconnect = lambda *_a: seen.append("disconnect")
    error: BaseException | None = None
    try:
        c.connect(broker.host, broker.port, keepalive=5)
        for _ in range(40):
            if c.loop(0.05) != mqtt.MQTT_ERR_SUCCESS:
                break
    except (OSError, ssl.SSLError) as exc:
        error = exc
    finally:
        sock = c.socket()
        if sock is not None:
            sock.close()
    return seen, error


def test_connection_without_client_certificate_is_refused(tls_broker):
    seen, error = _raw_connect(tls_broker, tls_broker.client_tls(None))
    assert "connack:Success" not in seen
    assert error is not None or "disconnect" in seen
    assert "certificate" in tls_broker.log_text().lower()  # the broker says why


def test_certificate_from_another_ca_is_refused(tls_broker, tmp_path):
    rogue = DevPki(tmp_path / "rogue")  # same CA name, different key
    creds = rogue.issue(DEV_A)  # right CN, wrong issuer
    ctx = ssl.create_default_context(cafile=str(tls_broker.pki.ca.cert))
    ctx.load_cert_chain(str(creds.cert), str(creds.key))
    seen, error = _raw_connect(tls_broker, ctx)
    assert "connack:Success" not in seen
    assert error is not None or "disconnect" in seen


def test_device_delivers_over_mutual_tls_with_encrypted_key(
    tls_broker, test_pki, outbox_factory, start_publisher, subscriber_factory, tmp_path
):
    device = "hcm-q1-cam-0004"
    creds = test_pki.issue(device, passphrase=b"correct horse battery")
    secret = tmp_path / "key.passphrase"  # what LoadCredential= or a 0600 file provides
    secret.write_bytes(b"correct horse battery\n")
    central = subscriber_factory(tls_broker, "devices/#", creds=test_pki.issue(CENTRAL))
    box = outbox_factory(device, "enc.db")
    stored = box.append(EventDraft(type="selftest", body={"run_id": "tls", "n": 0}))
    start_publisher(tls_broker.mqtt_config(creds, passphrase_file=secret), device, box)
    assert wait_until(lambda: stored.event_id in central.event_ids(), 10)
    assert wait_until(lambda: box.stats().depth == 0, 5)


def test_device_a_cannot_publish_to_device_b_topics_and_keeps_the_event(
    tls_broker, test_pki, outbox, start_publisher, subscriber_factory
):
    """A's certificate, claiming to be B (client id and topics of B): every publish gets
    PUBACK 0x87 Not authorized; the events stay in the outbox, counted and explained."""
    central = subscriber_factory(tls_broker, "devices/#", creds=test_pki.issue(CENTRAL))
    outbox.append_many([EventDraft(type="selftest", body={"run_id": "acl", "n": i}) for i in range(3)])
    pub = start_publisher(tls_broker.mqtt_config(test_pki.issue(DEV_A), rejected_retry_s=1.0), DEV_B, outbox)
    assert wait_until(lambda: outbox.stats().rejected == 3, 10)
    stats = outbox.stats()
    assert stats.depth == 3
    assert "Not authorized (0x87)" in stats.last_error
    snap = pub.snapshot()
    assert snap["acked"] == 0 and snap["rejected"] >= 3
    assert "Not authorized" in snap["last_error"]
    # Rejected rows are retried after rejected_retry_s, and refused again.
    assert wait_until(lambda: outbox.stats().rejected_total >= 6, 10)
    assert outbox.stats().depth == 3
    assert central.event_ids() == []
    assert not [m for m in central.received() if m[0].startswith(f"devices/{DEV_B}/")]


def test_broker_with_a_certificate_from_another_ca_is_not_trusted(
    tls_broker, test_pki, outbox, start_publisher, tmp_path
):
    """The CA is pinned: a device configured with a different CA never completes the handshake."""
    rogue = DevPki(tmp_path / "rogue")
    creds = test_pki.issue(DEV_A)
    cfg = tls_broker.mqtt_config(creds)
    cfg = cfg.model_copy(update={"tls": cfg.tls.model_copy(update={"ca_file": rogue.ca.cert})})
    outbox.append(EventDraft(type="selftest", body={"run_id": "pin", "n": 0}))
    pub = start_publisher(cfg, DEV_A, outbox)
    assert wait_until(lambda: pub.snapshot()["connect_failures"] >= 2, 10)
    assert "CERTIFICATE_VERIFY_FAILED" in pub.snapshot()["last_error"]
    assert pub.snapshot()["connects"] == 0
    assert outbox.stats().depth == 1


def test_wrong_key_passphrase_stops_start_up_with_a_clear_error(tls_broker, test_pki, outbox, tmp_path):
    creds = test_pki.issue("hcm-q1-cam-0003", passphrase=b"right")
    wrong = tmp_path / "wrong.passphrase"
    wrong.write_bytes(b"wrong\n")
    cfg = tls_broker.mqtt_config(creds, passphrase_file=wrong)
    with pytest.raises(TlsSetupError, match=r"hcm-q1-cam-0003\.key"):
        Publisher(cfg, "hcm-q1-cam-0003", outbox)


# The broker line docs/mqtt.md prescribes beside use_identity_as_username.
CLIENT_ID_FROM_CERTIFICATE = "use_username_as_clientid true"


def _hold_connection(broker: Broker, creds, client_id: str, seconds: float) -> list[str]:
    """Connect with `creds` under `client_id` and keep the connection for `seconds`."""
    seen: list[str] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    ctx = ssl.create_default_context(cafile=str(broker.pki.ca.cert))
    ctx.load_cert_chain(str(creds.cert), str(creds.key))
    c.tls_set_context(ctx)
    c.on_connect = lambda _c, _u, _f, rc, _p: seen.append(f"connack:{rc.getName()}")
    c.connect(broker.host, broker.port, keepalive=5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and c.loop(0.05) == mqtt.MQTT_ERR_SUCCESS:
        pass
    c.disconnect()
    return seen


@pytest.mark.parametrize("client_id_from_certificate", [True, False], ids=["prescribed", "without"])
def test_a_stolen_certificate_cannot_take_over_another_devices_session(
    broker_factory, test_pki, outbox_factory, start_publisher, subscriber_factory, client_id_from_certificate
):
    """A's certificate connecting with B's client id: with the prescribed broker line the
    broker replaces the client id by A's certificate name, so B keeps its connection and
    its session, and B's Last Will ('offline') is not fired."""
    extra = [CLIENT_ID_FROM_CERTIFICATE] if client_id_from_certificate else []
    broker = broker_factory(pki=test_pki, acl=True, extra=extra)
    central = subscriber_factory(broker, f"devices/{DEV_B}/status", creds=test_pki.issue(CENTRAL))
    pub = start_publisher(broker.mqtt_config(test_pki.issue(DEV_B)), DEV_B, outbox_factory(DEV_B))
    assert wait_until(lambda: pub.snapshot()["connects"] == 1 and central.received(), 10)
    seen = _hold_connection(broker, test_pki.issue(DEV_A), DEV_B, 2.0)
    time.sleep(1.0)
    statuses = [m.payload for m in central.received()]
    if client_id_from_certificate:
        assert seen == ["connack:Success"]  # A is let in, as A
        assert b"offline" not in statuses and pub.snapshot()["connects"] == 1
    else:  # what the line prevents: B is thrown out and its Last Will tells everyone it is offline
        assert b"offline" in statuses or pub.snapshot()["connects"] > 1


def test_the_mqtt_guide_prescribes_the_client_id_line() -> None:
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "mqtt.md").read_text(encoding="utf-8")
    assert CLIENT_ID_FROM_CERTIFICATE in guide
