"""Commands the device must refuse, each with its reason in the reply, and nothing
changed (configuration file, restarts): another signing key, a replayed nonce (also
after a restart), expired, too long valid, another device, unsigned, garbled,
oversized, unknown, bad parameters; fuzzed payloads (hypothesis) only ever get a
refusal. And the broker ACL: a device cannot write any command topic."""

from __future__ import annotations

import base64
import json

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devkit.central import CentralCommander, new_command_key, signed_command
from edge.remote.wire import CONTEXT
from tests.broker import CENTRAL, wait_until

pytestmark = pytest.mark.broker

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def device(remote_device_factory):
    dev = remote_device_factory(max_command_bytes=4096)
    dev.unchanged = (dev.config.read_bytes(), dev.supervisor.starts)  # type: ignore[attr-defined]
    yield dev
    assert (dev.config.read_bytes(), dev.supervisor.starts) == dev.unchanged  # type: ignore[attr-defined]


def refused(dev, payload: bytes) -> dict:
    reply = dev.central.wait_reply(dev.central.publish_raw(dev.device_id, payload))
    assert reply["status"] == "refused", reply
    return reply


def test_each_kind_of_bad_command_is_refused_with_its_reason(device, tls_acl_broker, test_pki):
    d, key = device.device_id, device.key
    stranger = new_command_key()
    assert refused(device, signed_command(stranger, d, "ping"))["code"] == "bad_signature"
    assert refused(device, signed_command(key, d, "ping", expires_in=-120))["code"] == "expired"
    assert refused(device, signed_command(key, d, "ping", expires_in=7200))["code"] == "too_long"
    wrong = refused(device, signed_command(key, "hcm-q5-pawn-0999", "ping"))
    assert wrong["code"] == "wrong_device" and "hcm-q5-pawn-0999" in wrong["reason"]
    text = json.loads(signed_command(key, d, "ping"))["signed"]
    assert refused(device, json.dumps({"signed": text}).encode())["code"] == "unsigned"
    assert refused(device, b"\xff\xfe not json")["code"] == "garbled"
    assert refused(device, b"x" * 5000)["code"] == "oversized"
    assert refused(device, signed_command(key, d, "format_disk"))["code"] == "unknown_command"
    assert refused(device, signed_command(key, d, "ping", {"extra": 1}))["code"] == "bad_params"
    # a refused command's nonce is free, an obeyed one is spent
    once = signed_command(key, d, "ping")
    assert device.central.wait_reply(device.central.publish_raw(d, once))["status"] == "ok"
    assert refused(device, once)["code"] == "replay"


def test_a_replayed_command_is_refused_after_a_restart_too(remote_device_factory):
    dev = remote_device_factory()
    once = signed_command(dev.key, dev.device_id, "ping")
    assert dev.central.wait_reply(dev.central.publish_raw(dev.device_id, once))["status"] == "ok"
    starts = dev.supervisor.starts
    assert dev.request("restart")["status"] == "accepted"
    assert dev.supervisor.wait_starts(starts + 1, 20)
    dev.wait_online()
    assert refused(dev, once)["code"] == "replay"


@SETTINGS
@given(payload=st.binary(max_size=3000))
def test_fuzzed_bytes_are_refused(device, payload):
    refused(device, payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(envelope=st.dictionaries(st.sampled_from(["signed", "sig", "x"]), json_values, max_size=3))
def test_fuzzed_envelopes_are_refused(device, envelope):
    refused(device, json.dumps(envelope).encode())


@SETTINGS
@given(body=json_values)
def test_fuzzed_bodies_with_a_valid_signature_are_refused(device, body):
    """Only the central key could make these; the device still refuses what it cannot parse."""
    text = json.dumps(body)
    sig = device.key.sign(CONTEXT + text.encode())
    refused(device, json.dumps({"signed": text, "sig": base64.b64encode(sig).decode()}).encode())


@SETTINGS
@given(
    command=st.sampled_from(["set_config", "update_model", "snapshot", "restart", "rotate_cert"]),
    params=st.dictionaries(st.text(max_size=12), json_values, min_size=1, max_size=4),
)
def test_signed_commands_with_fuzzed_parameters_change_nothing(device, command, params):
    reply = device.central.request(device.device_id, command, params)
    assert reply["status"] in {"refused", "failed"}, reply


def _publish_as(broker, creds, topic: str) -> int:
    """PUBACK reason code of one QoS 1 publish made with `creds`."""
    codes: list[int] = []
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"probe-{creds.cert.stem}", protocol=MQTTProtocolVersion.MQTTv5
    )
    c.tls_set_context(broker.client_tls(creds))
    c.on_publish = lambda _c, _u, _m, rc, _p: codes.append(rc.value)
    c.connect(broker.host, broker.port, keepalive=5)
    c.loop_start()
    try:
        assert wait_until(c.is_connected, 5)
        c.publish(topic, b"{}", qos=1)
        assert wait_until(lambda: bool(codes), 5)
    finally:
        c.disconnect()
        c.loop_stop()
    return codes[0]


def test_a_device_cannot_publish_on_a_command_topic(tls_acl_broker, test_pki):
    a, b = test_pki.issue("hcm-q1-cam-0201"), "hcm-q1-cam-0202"
    assert _publish_as(tls_acl_broker, a, f"devices/{b}/commands/ping") == 0x87  # Not authorized
    assert _publish_as(tls_acl_broker, a, "devices/hcm-q1-cam-0201/commands/ping") == 0x87
    assert _publish_as(tls_acl_broker, a, "devices/hcm-q1-cam-0201/events/selftest") < 0x80
    assert _publish_as(tls_acl_broker, a, f"devices/{b}/replies/central") == 0x87
    assert _publish_as(tls_acl_broker, test_pki.issue(CENTRAL), f"devices/{b}/commands/ping") < 0x80


def test_a_command_from_a_device_identity_never_reaches_the_target(
    remote_device_factory, tls_acl_broker, test_pki
):
    target = remote_device_factory()
    intruder = CentralCommander.for_broker(
        tls_acl_broker, target.key, test_pki.issue("hcm-q5-pawn-0666"), client_id="intruder"
    ).start()
    try:
        corr = intruder.send(target.device_id, "restart")  # even signed with the right key
        with pytest.raises(TimeoutError):
            target.central.wait_reply(corr, 3)
    finally:
        intruder.stop()
    assert target.supervisor.starts == 1


def test_a_huge_command_is_dropped_by_the_broker_and_never_reaches_the_device(
    remote_device_factory, tls_acl_broker
):
    """The daemon announces a Maximum Packet Size (twice max_command_bytes by default):
    the broker drops a bigger publish for it instead of delivering it, so 8 MB on the
    command topic is never read into the daemon's memory; the daemon carries on."""
    dev = remote_device_factory()
    starts = dev.supervisor.starts
    corr = dev.central.publish_raw(dev.device_id, b"x" * 8_000_000)
    with pytest.raises(TimeoutError):  # without the announced size: refused "oversized"
        dev.central.wait_reply(corr, timeout_s=4.0)
    assert "too large" in tls_acl_broker.log_text().lower(), tls_acl_broker.log_text()[-2000:]
    pong = dev.request("ping")
    assert pong["status"] == "ok" and pong["result"]["healthy"], pong
    assert dev.supervisor.starts == starts


def test_a_moderately_oversized_command_still_gets_a_refusal_with_the_reason(remote_device_factory):
    dev = remote_device_factory(max_command_bytes=4096, max_packet_bytes=65536)
    reply = refused(dev, b"x" * 30_000)  # above the command limit, below the packet limit
    assert reply["code"] == "oversized" and "30000 bytes" in reply["reason"] and "4096" in reply["reason"]


def test_the_largest_command_the_limit_admits_still_fits_the_announced_packet_size(remote_device_factory):
    """A set_config padded to exactly max_command_bytes, with a long response topic and
    correlation data, reaches the device and is judged on its content (here: the
    configuration it expects is not the one on the device), not dropped or oversized."""
    dev = remote_device_factory(max_command_bytes=4096)  # packet size: the default, 8192
    text = dev.config.read_text()
    pad = 4096 - len(
        signed_command(dev.key, dev.device_id, "set_config", {"config_yaml": text, "if_sha256": "0" * 64})
    )
    payload = signed_command(
        dev.key, dev.device_id, "set_config", {"config_yaml": text + "#" * pad, "if_sha256": "0" * 64}
    )
    assert len(payload) == 4096
    central = dev.central
    corr = central.publish_raw(
        dev.device_id,
        payload,
        command="set_config",
        response_topic=f"{central.prefix}/{dev.device_id}/replies/" + "r" * 200,
    )
    reply = central.wait_reply(corr)
    assert reply["status"] != "refused" or reply["code"] not in ("oversized", "garbled"), reply
    assert reply["command"] == "set_config", reply
