"""Publisher against a real Mosquitto: what reaches the broker, with which topics and
MQTT v5 properties, retained status and stats, and a pipelined in-flight window."""

from __future__ import annotations

import json
import random
import time

import pytest

from drivers.backoff import Backoff
from edge.events import Attachment, EventDraft, Priority
from edge.outbox import Outbox
from edge.publisher import CommandChannel, DeviceTopics, Publisher
from edge.publisher.poison import PoisonWatch
from firmware_config.storage import StorageConfig
from tests.broker import Broker, Subscriber, wait_until

DEVICE = "hcm-q1-cam-0007"


@pytest.fixture
def outbox(outbox_factory) -> Outbox:
    return outbox_factory(DEVICE)


@pytest.fixture
def running(plain_broker: Broker, outbox: Outbox, start_publisher):
    """start(**mqtt_overrides) -> a started publisher on the plain broker."""
    return lambda **overrides: start_publisher(plain_broker.mqtt_config(**overrides), DEVICE, outbox)


def _selftest(n: int, **kw) -> EventDraft:
    return EventDraft(type="selftest", body={"run_id": "t", "n": n}, **kw)


def test_events_and_attachments_reach_the_broker_with_v5_properties(
    plain_broker, outbox, running, subscriber_factory
):
    sub: Subscriber = subscriber_factory(plain_broker, f"devices/{DEVICE}/+/#")
    crop = Attachment(content_type="image/jpeg", data=b"\xff\xd8fake-jpeg\xff\xd9")
    stored = [outbox.append(_selftest(0)), outbox.append(_selftest(1, attachments=(crop,)))]
    pub = running()
    pub.notify()
    assert wait_until(lambda: len([m for m in sub.received() if "/status" not in m[0]]) >= 3, 10)
    assert wait_until(lambda: outbox.stats().depth == 0, 5)

    msgs = {m.topic: m for m in sub.raw() if "/status" not in m.topic and "/stats" not in m.topic}
    ev_topic = f"devices/{DEVICE}/events/selftest"
    events = [m for m in sub.raw() if m.topic == ev_topic]
    assert [json.loads(m.payload)["seq"] for m in events] == [s.seq for s in stored]
    first = events[0]
    assert first.payload == stored[0].to_json()
    assert first.properties.ContentType == "application/json"
    assert dict(first.properties.UserProperty) == {"event_id": stored[0].event_id, "seq": str(stored[0].seq)}
    # Message expiry comes from the event's TTL on the device (default 7 days).
    assert 7 * 86400 - 60 < first.properties.MessageExpiryInterval <= 7 * 86400
    att = msgs[f"devices/{DEVICE}/attachments/{crop.id}"]
    assert att.payload == crop.data
    assert att.properties.ContentType == "image/jpeg"
    # An attachment names its event: the event's event_id and seq, and its TTL.
    assert dict(att.properties.UserProperty) == {"event_id": stored[1].event_id, "seq": str(stored[1].seq)}
    assert 7 * 86400 - 60 < att.properties.MessageExpiryInterval <= 7 * 86400
    assert pub.snapshot()["acked"] == 3


def test_events_bigger_than_the_announced_packet_size_are_still_published(
    plain_broker, outbox, subscriber_factory
):
    """The Maximum Packet Size a device with remote commands announces limits only
    what the broker sends it: its own events and attachments are as big as before."""
    sub: Subscriber = subscriber_factory(plain_broker, f"devices/{DEVICE}/attachments/#")
    channel = CommandChannel(DeviceTopics("devices", DEVICE), lambda _m: None, max_packet=8192)
    crop = Attachment(content_type="image/jpeg", data=random.randbytes(300_000))
    outbox.append(_selftest(0, attachments=(crop,)))
    pub = Publisher(plain_broker.mqtt_config(), DEVICE, outbox, commands=channel)
    pub.start()
    try:
        assert wait_until(lambda: outbox.stats().depth == 0, 10), pub.snapshot()
        assert wait_until(lambda: any(m.payload == crop.data for m in sub.raw()), 5)
        assert channel.connected
    finally:
        pub.stop()


def test_status_is_retained_online_then_offline_after_clean_stop(plain_broker, outbox, subscriber_factory):
    pub = Publisher(plain_broker.mqtt_config(), DEVICE, outbox)
    pub.start()
    status = f"devices/{DEVICE}/status"
    assert wait_until(lambda: pub.snapshot()["state"] == "connected", 10)
    late = subscriber_factory(plain_broker, status, client_id="late-1")  # joins after: sees retained
    assert wait_until(lambda: [(m[1], m[3]) for m in late.received()] == [(b"online", True)], 5)
    pub.stop(flush_timeout_s=2.0)
    assert wait_until(lambda: [m[1] for m in late.received()] == [b"online", b"offline"], 5)
    later = subscriber_factory(plain_broker, status, client_id="late-2")
    assert wait_until(lambda: [(m[1], m[3]) for m in later.received()] == [(b"offline", True)], 5)
    assert pub.snapshot()["state"] == "stopped"
    assert not pub.healthy()


def test_stats_topic_is_retained_json_with_outbox_and_connection_figures(
    plain_broker, outbox, running, subscriber_factory
):
    for i in range(5):
        outbox.append(_selftest(i))
    running(stats_interval_s=0.2)
    assert wait_until(lambda: outbox.stats().depth == 0, 10)
    sub = subscriber_factory(plain_broker, f"devices/{DEVICE}/stats")

    def latest() -> dict:
        got = sub.received()
        return json.loads(got[-1][1]) if got else {}

    assert wait_until(lambda: latest().get("connection", {}).get("acked") == 5, 5)
    stats = latest()
    assert stats["device_id"] == DEVICE
    assert stats["connection"]["state"] == "connected"
    assert stats["outbox"]["depth"] == 0
    assert stats["outbox"]["acked_total"] == 5
    assert {"publish_rate_per_s", "reconnects", "rejected", "last_error"} <= stats["connection"].keys()
    assert sub.received()[0][3] is True  # the first one a new subscriber gets is the retained copy


def _fill_window_while_frozen(broker: Broker, outbox: Outbox, pub: Publisher, n: int) -> dict:
    """Append `n` events with the broker frozen; the publisher's counters once its
    window is full and has had time to (wrongly) grow. The broker is thawed after and
    everything is delivered."""
    assert wait_until(lambda: pub.snapshot()["state"] == "connected", 10)
    window = pub.snapshot()["inflight_window"]
    broker.freeze()
    try:
        outbox.append_many([_selftest(i) for i in range(n)])
        pub.notify()
        assert wait_until(lambda: pub.snapshot()["inflight"] == window, 5)
        time.sleep(0.5)
        snap = pub.snapshot()
    finally:
        broker.thaw()
    assert wait_until(lambda: outbox.stats().depth == 0, 10)
    return snap


def test_window_keeps_many_publishes_in_flight_and_never_more(plain_broker, outbox, running):
    """Pipelined, not stop-and-wait: with the broker frozen, exactly `inflight_window`
    publishes are outstanding; paho's queue holds nothing beyond that."""
    pub = running(inflight_window=10, keepalive_s=30)
    snap = _fill_window_while_frozen(plain_broker, outbox, pub, 50)
    assert (snap["inflight_window"], snap["inflight"], snap["published"], snap["acked"]) == (10, 10, 10, 0)
    assert pub.snapshot()["acked"] == 50


def test_window_is_capped_below_the_brokers_receive_maximum(broker_factory, outbox, start_publisher):
    """Mosquitto advertises `max_inflight_messages` as Receive Maximum in CONNACK; one
    slot is kept for the retained status publish, so the broker never gets more QoS 1
    publishes at once than it allowed, whatever `inflight_window` says."""
    broker = broker_factory(extra=["max_inflight_messages 5"])
    pub = start_publisher(broker.mqtt_config(inflight_window=50, keepalive_s=30), DEVICE, outbox)
    snap = _fill_window_while_frozen(broker, outbox, pub, 20)
    assert (snap["inflight_window"], snap["inflight"], snap["published"]) == (4, 4, 4)


def test_appends_from_another_process_are_seen_without_notify(plain_broker, outbox, running, tmp_path):
    pub = running(poll_interval_s=0.1)
    assert wait_until(lambda: pub.snapshot()["state"] == "connected", 10)
    other = Outbox(StorageConfig(path=tmp_path / "outbox.db"), DEVICE)  # a second handle, no notify
    try:
        other.append(_selftest(0, priority=Priority.HIGH))
    finally:
        other.close()
    assert wait_until(lambda: pub.snapshot()["acked"] == 1, 5)


def test_backoff_is_exponential_with_full_jitter():
    b = Backoff(0.5, 8.0, random.Random(7))
    ceilings, delays = [], []
    for _ in range(8):
        ceilings.append(b.ceiling())
        delays.append(b.next_delay())
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    assert all(0.5 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    # Jitter: a fleet of devices draws different delays for the same attempt.
    fleet = [Backoff(0.5, 8.0, random.Random(seed)) for seed in range(50)]
    for dev in fleet:
        for _ in range(3):
            dev.next_delay()
    fourth = [dev.next_delay() for dev in fleet]
    assert max(fourth) - min(fourth) > 4.0
    b.reset()
    assert b.ceiling() == 1.0


def test_poison_watch_needs_the_same_head_row_in_consecutive_drops():
    watch = PoisonWatch(threshold=3)
    assert [watch.connection_closed(row) for row in (7, 7, 8, 7, 7)] == [False] * 5  # 8 broke the run
    assert watch.connection_closed(None) is False  # nothing in flight: no evidence either way
    assert watch.connection_closed(7) is True  # third drop in a row with row 7 at the head
    assert [watch.connection_closed(7) for _ in range(3)] == [False, False, True]  # counted afresh
    assert "3 times in a row" in watch.reason("Protocol error")


def test_fast_publish_properties_encode_exactly_like_paho():
    """The publisher packs event properties itself (paho's generic encoder is slow);
    the bytes must be the ones paho would send."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from edge.publisher.properties import PublishProperties

    user = (("event_id", "0190f2a4-7c1e-7cc0-8000-000000000001"), ("seq", "42"))
    ref = Properties(PacketTypes.PUBLISH)
    ref.MessageExpiryInterval = 604800
    ref.ContentType = "application/json"
    ref.UserProperty = list(user)
    assert PublishProperties("application/json", 604800, user).pack() == ref.pack()
    only_ct = Properties(PacketTypes.PUBLISH)
    only_ct.ContentType = "image/jpeg"
    assert PublishProperties("image/jpeg", None, ()).pack() == only_ct.pack()
    # A property block of 128 bytes or more has a two-byte length; values may be non-ASCII.
    long_user = (("event_id", "ố" * 80), ("seq", "9" * 20))
    big = Properties(PacketTypes.PUBLISH)
    big.MessageExpiryInterval = 2**32 - 1
    big.UserProperty = list(long_user)
    assert PublishProperties(None, 2**32 - 1, long_user).pack() == big.pack()
    assert PublishProperties(None, None, ()).pack() == Properties(PacketTypes.PUBLISH).pack()


def test_a_burst_of_publishes_is_corked_and_all_of_it_arrives(plain_broker, subscriber_factory):
    """The feeder publishes a refill as one corked burst (fewer TCP segments); the
    socket is uncorked when the burst ends, so nothing waits for the kernel's timer."""
    import socket

    from edge.publisher.client import Acked, BrokerLink, Connected

    sub: Subscriber = subscriber_factory(plain_broker, "devices/burst/#")
    link = BrokerLink(
        plain_broker.mqtt_config(),
        "burst",
        will_topic="devices/burst/status",
        tls_context=None,
        max_messages=60,
    )
    link.open()
    try:
        assert wait_until(lambda: any(isinstance(e, Connected) for e in link.poll(0.05)), 5)
        sock = link._client.socket()
        with link.burst():
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 1
            mids = [link.publish("devices/burst/events/selftest", b"%d" % i) for i in range(50)]
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 0
        acked: set[int] = set()
        deadline = time.monotonic() + 5
        while len(acked) < 50 and time.monotonic() < deadline:
            acked |= {e.mid for e in link.poll(0.05) if isinstance(e, Acked) and e.ok}
        assert acked == set(mids)
        assert wait_until(lambda: len(sub.raw()) == 50, 5)
        assert sorted(int(m.payload) for m in sub.raw()) == list(range(50))
    finally:
        link.close()


def test_acknowledged_rows_are_deleted_in_batches_and_stay_excluded_until_then(outbox):
    """Deletes are batched on the publisher thread (by count or by age, or at once when
    nothing is in flight); rows waiting for their delete are reported as in progress so
    `pending()` never re-reads them."""
    from edge.publisher.acker import Acker
    from edge.publisher.stats import PublisherStats

    now = [100.0]
    deleted: list[list[int]] = []
    acker = Acker(
        outbox, PublisherStats(), deleted.append, max_batch=5, max_delay_s=0.02, clock=lambda: now[0]
    )
    rows = [s.row_id for s in outbox.append_many([_selftest(i) for i in range(12)])]

    acker.submit(rows[:3])  # young and few: waits
    assert deleted == [] and outbox.stats().depth == 12
    assert acker.in_progress() == rows[:3]
    assert [m.row_id for m in outbox.pending(20, exclude=acker.in_progress())] == rows[3:]
    now[0] += 0.021
    acker.submit([])  # the oldest waited long enough
    assert deleted == [rows[:3]] and outbox.stats().depth == 9
    acker.submit(rows[3:8])  # a full batch goes at once
    assert deleted[-1] == rows[3:8] and acker.in_progress() == []
    acker.submit(rows[8:10])
    assert acker.in_progress() == rows[8:10]
    acker.submit(rows[10:11], idle=True)  # nothing in flight: no reason to wait
    assert deleted[-1] == rows[8:11] and acker.in_progress() == []
    acker.submit(rows[11:])
    acker.flush()  # shutdown: everything waiting is deleted
    assert deleted[-1] == rows[11:] and outbox.stats().depth == 0
