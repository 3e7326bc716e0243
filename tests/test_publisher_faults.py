"""Publisher under real broker faults: killed, frozen (SIGSTOP) before and after the
connection, oversize publishes refused with a v5 reason code, and the Last Will when
the publishing process itself is SIGKILLed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.events import EventDraft
from edge.outbox import Outbox
from edge.publisher import Publisher
from tests.broker import wait_until

DEVICE = "dev-faults-01"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def outbox(outbox_factory) -> Outbox:
    return outbox_factory(DEVICE)


@pytest.fixture
def publisher_on(outbox: Outbox, start_publisher) -> Callable[..., Publisher]:
    """publisher_on(broker, **mqtt_overrides) -> a started publisher of DEVICE on `broker`."""
    return lambda broker, **overrides: start_publisher(broker.mqtt_config(**overrides), DEVICE, outbox)


def _drafts(n: int, start: int = 0) -> list[EventDraft]:
    return [EventDraft(type="selftest", body={"run_id": "f", "n": i}) for i in range(start, start + n)]


def test_broker_killed_and_restarted_nothing_lost(broker_factory, outbox, publisher_on, subscriber_factory):
    broker = broker_factory(persistence=True)  # keeps the subscriber's session across the kill
    sub = subscriber_factory(broker, f"devices/{DEVICE}/events/#")
    subscribed = time.time()  # the subscriber's start() waited for its SUBACK
    broker.wait_saved(since=subscribed)  # the subscription survives a broker SIGKILL
    pub = publisher_on(broker, reconnect_min_s=0.2, reconnect_max_s=0.5)
    ids = [s.event_id for s in outbox.append_many(_drafts(200))]
    pub.notify()
    assert wait_until(lambda: pub.snapshot()["acked"] >= 50, 10)
    broker.kill()
    ids += [s.event_id for s in outbox.append_many(_drafts(100, 200))]  # produced while the broker is dead
    assert wait_until(lambda: pub.snapshot()["state"] != "connected", 5)
    time.sleep(1.0)
    assert pub.snapshot()["connect_failures"] >= 1  # it kept trying, with back-off
    broker.start()
    assert wait_until(lambda: outbox.stats().depth == 0, 20)
    snap = pub.snapshot()
    assert snap["reconnects"] >= 1 and snap["acked"] >= 300
    # Everything produced while the broker was down reached the independent subscriber.
    assert wait_until(lambda: set(ids[200:]) <= set(sub.event_ids()), 10)
    assert pub.healthy()
    assert pub.snapshot()["poisoned"] == 0  # one drop is not evidence against a message


def test_frozen_broker_is_detected_and_delivery_resumes(plain_broker, outbox, publisher_on):
    pub = publisher_on(plain_broker, keepalive_s=2, connect_timeout_s=1.0, reconnect_max_s=0.5)
    assert wait_until(lambda: pub.snapshot()["state"] == "connected", 10)
    plain_broker.freeze()
    try:
        outbox.append_many(_drafts(20))
        pub.notify()
        frozen_at = time.monotonic()
        assert wait_until(lambda: pub.snapshot()["disconnects"] >= 1, 10)
        detected_after = time.monotonic() - frozen_at
        assert detected_after < 2 * 2 + 1.5, detected_after  # ~1.5 x keepalive, never forever
        assert (
            "stalled" in pub.snapshot()["last_error"] or "keepalive" in pub.snapshot()["last_error"].lower()
        )
        time.sleep(2.5)  # reconnect attempts against a frozen broker time out, the loop keeps turning
        assert pub.snapshot()["connect_failures"] >= 1
        assert pub.healthy()
        assert outbox.stats().depth == 20
    finally:
        plain_broker.thaw()
    assert wait_until(lambda: outbox.stats().depth == 0, 15)
    assert pub.snapshot()["poisoned"] == 0  # a silent broker says nothing about the message


def test_connack_timeout_when_broker_frozen_before_connect(plain_broker, outbox, publisher_on):
    plain_broker.freeze()  # TCP handshakes still complete in the kernel; CONNACK never comes
    try:
        pub = publisher_on(plain_broker, connect_timeout_s=0.5, reconnect_max_s=0.3)
        assert wait_until(lambda: pub.snapshot()["connect_failures"] >= 2, 10)
        assert "no CONNACK within 0.5s" in pub.snapshot()["last_error"]
        assert pub.snapshot()["state"] in ("disconnected", "connecting")
    finally:
        plain_broker.thaw()
    assert wait_until(lambda: pub.snapshot()["state"] == "connected", 10)


def test_packet_beyond_broker_maximum_is_rejected_and_kept_without_dropping_the_connection(
    broker_factory, outbox, publisher_on
):
    """Mosquitto disconnects a client that sends a packet beyond `max_packet_size` (it
    advertises the limit in CONNACK); sending it anyway would drop the connection on
    every retry and block everything queued behind it."""
    broker = broker_factory(extra=["max_packet_size 1500"])
    big = EventDraft(type="selftest", body={"run_id": "big", "n": 0, "pad": "x" * 3000})
    kept = outbox.append(big)
    outbox.append_many(_drafts(3))
    pub = publisher_on(broker, rejected_retry_s=3600)
    assert wait_until(lambda: pub.snapshot()["acked"] == 3, 10)
    snap = pub.snapshot()
    assert (snap["rejected"], snap["disconnects"], snap["published"]) == (1, 0, 3)
    assert wait_until(lambda: outbox.stats().depth == 1, 5)  # acks are deleted in batches
    stats = outbox.stats()
    assert stats.rejected == 1
    assert "Packet too large" in stats.last_error and "maximum packet size is 1500" in stats.last_error
    assert outbox.pending(10) == []  # held back until rejected_retry_s, not retried in a loop
    assert outbox.stats().depth_by_type == {"selftest": 1}
    assert kept.row_id not in {m.row_id for m in outbox.pending(10)}


def test_message_the_broker_drops_the_connection_over_is_set_aside_and_the_rest_flows(
    broker_factory, outbox, publisher_on, subscriber_factory
):
    """Mosquitto 2.0.11's `message_size_limit` is not advertised in CONNACK; the broker
    answers an oversized publish with PUBACK 0x95, which MQTT v5 does not allow on a
    PUBACK, so paho closes the connection as a protocol error. Re-sent first after every
    reconnect, that one row would block everything behind it: after `poison_drops` (3)
    drops in a row with it at the head of the window it is set aside, kept, and
    retried after `rejected_retry_s`."""
    broker = broker_factory(extra=["message_size_limit 2000", "log_type debug"])
    sub = subscriber_factory(broker, f"devices/{DEVICE}/events/#")
    good = outbox.append_many(_drafts(5))
    poison = outbox.append(EventDraft(type="selftest", body={"run_id": "big", "n": 0, "pad": "x" * 5000}))
    good += outbox.append_many(_drafts(20, 5))
    pub = publisher_on(broker, rejected_retry_s=3.0, reconnect_min_s=0.05, reconnect_max_s=0.2)
    # Everything else is acknowledged and deleted (the subscriber may have had some of it
    # before: the broker delivered what followed the poison row before the drop).
    assert wait_until(lambda: outbox.stats().depth == 1, 20)
    assert {s.event_id for s in good} <= set(sub.event_ids())
    snap = pub.snapshot()
    assert (snap["poisoned"], snap["rejected"], snap["disconnects"]) == (1, 1, 3), snap
    assert "set aside" in snap["last_error"] and "Protocol error" in snap["last_error"]
    log = broker.log_text()  # the broker's side of the story: refused with 0x95 (149)
    assert "Dropped too large PUBLISH" in log and "rc149)" in log
    stats = outbox.stats()  # the poison row is kept, not dropped
    assert stats.rejected == 1 and stats.depth_by_type == {"selftest": 1}
    assert "dropped 3 times in a row" in stats.last_error
    assert outbox.pending(10) == []  # held back until rejected_retry_s
    # Events produced meanwhile flow; after rejected_retry_s the row is tried again
    # (and set aside again: the broker's limit has not changed), never lost.
    later = outbox.append_many(_drafts(5, 25))
    pub.notify()
    assert wait_until(lambda: {s.event_id for s in later} <= set(sub.event_ids()), 10)
    assert wait_until(lambda: pub.snapshot()["poisoned"] == 2, 15)
    assert pub.snapshot()["disconnects"] == 6
    assert outbox.stats().rejected_total == 2 and outbox.stats().depth == 1
    assert poison.event_id not in sub.event_ids()


def test_last_will_offline_when_the_publishing_process_is_killed(plain_broker, subscriber_factory, tmp_path):
    status = f"devices/{DEVICE}/status"
    sub = subscriber_factory(plain_broker, status)
    cfg = plain_broker.mqtt_config().model_dump_json()
    script = (
        "import sys, time\n"
        "from edge.outbox import Outbox\nfrom edge.publisher import Publisher\n"
        "from firmware_config.mqtt import MqttConfig\nfrom firmware_config.storage import StorageConfig\n"
        f"box = Outbox(StorageConfig(path={str(tmp_path / 'o.db')!r}), {DEVICE!r})\n"
        f"Publisher(MqttConfig.model_validate_json(sys.argv[1]), {DEVICE!r}, box).start()\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, cfg], cwd=REPO)
    try:
        assert wait_until(lambda: [m[1] for m in sub.received()] == [b"online"], 15)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        assert wait_until(lambda: [m[1] for m in sub.received()] == [b"online", b"offline"], 5)
        assert sub.received()[-1][3] is False  # live delivery; the broker also keeps it retained
    finally:
        proc.kill()
        proc.wait()


def test_connection_refused_by_connack_is_surfaced_and_retried_with_backoff(
    broker_factory, outbox, publisher_on
):
    broker = broker_factory(extra=["allow_anonymous false"])  # CONNACK 0x87 for us
    outbox.append_many(_drafts(2))
    pub = publisher_on(broker, reconnect_min_s=0.2, reconnect_max_s=0.4)
    time.sleep(2.0)
    snap = pub.snapshot()
    assert snap["connects"] == 0
    # Full jitter between 0.2 and 0.4 s: 2 s allow 5..10 attempts, never a tight loop.
    assert 3 <= snap["connect_failures"] <= 11, snap
    assert "refused the connection: Not authorized (0x87)" in snap["last_error"]
    stats = outbox.stats()
    assert stats.depth == 2
    assert "Not authorized" in stats.last_error  # what `edge outbox status` shows a technician
