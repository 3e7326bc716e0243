"""Chaos: 10,000 events, nothing lost.

A producer process appends events to the device's outbox file at a steady rate and
records each event_id (fsync'd) once `append` returned. Meanwhile the broker (mutual
TLS + ACL, persistence on) is killed (SIGKILL), frozen (SIGSTOP/SIGCONT) and restarted
(SIGTERM + start) at random, at least 20 times, and the real daemon (`edge run --config
FILE`) is SIGKILLed and restarted at least 5 times. An independent subscriber with a
persistent session must receive every recorded event_id at least once; duplicates may
only repeat an event_id already received, with the same payload.

One precaution keeps the test about the device and not about Mosquitto: a PUBACK only
means the broker holds the message in RAM, and a SIGKILLed Mosquitto loses whatever it
had acknowledged but not yet delivered (its persistence file is written every second
at best). So before a broker SIGKILL the daemon is paused (SIGSTOP) until the
subscriber has received what the broker acknowledged, then the broker is killed and
the daemon resumed; the daemon still finds its connection dead mid-stream with
publishes in flight. Freezes, restarts and daemon SIGKILLs happen at any instant."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.broker import CENTRAL, Broker, wait_until, write_device_config

REPO = Path(__file__).resolve().parent.parent
DEVICE = "hcm-q5-pawn-0099"
N_EVENTS = int(os.environ.get("CHAOS_EVENTS", "10000"))  # smaller only for local runs
RATE_PER_S = 110
MIN_BROKER_FAULTS = 20
MIN_DAEMON_KILLS = 5

PRODUCER = """
import os, sys, time
from edge.events import EventDraft
from edge.outbox import Outbox
from firmware_config.storage import StorageConfig
db, device, ledger_path, n, rate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
box = Outbox(StorageConfig(path=db), device)
ledger = open(ledger_path, "a")
t0 = time.monotonic()
for i in range(n):
    stored = box.append(EventDraft(type="selftest", body={"run_id": "chaos", "n": i}))
    ledger.write(f"{stored.event_id} {time.time():.3f}\\n")
    ledger.flush()
    os.fsync(ledger.fileno())
    delay = t0 + (i + 1) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
box.close()
"""


class Daemon:
    """The real `edge run` process, restartable; logs kept per run for post-mortems."""

    def __init__(self, config: Path, logs: Path) -> None:
        self.config, self.logs = config, logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        out = open(self.logs / f"daemon-{self.runs}.log", "wb")  # noqa: SIM115 (owned by the child)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--config", str(self.config)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self) -> str:
        return (self.logs / f"daemon-{self.runs}.log").read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


def _broker_fault(broker: Broker, kind: str, rng: random.Random, daemon: Daemon, sub) -> None:
    if kind == "kill":
        daemon.pause()
        try:
            _wait_quiet(sub)
            broker.kill()
        finally:
            daemon.resume()
        time.sleep(rng.uniform(0.2, 2.0))
        broker.start()
    elif kind == "freeze":
        broker.freeze()
        time.sleep(rng.uniform(0.5, 5.0))  # beyond 1.5 x keepalive (3 s) about half the time
        broker.thaw()
    else:
        broker.restart()


def _wait_quiet(sub, quiet_s: float = 0.4, limit_s: float = 10.0) -> None:
    """Until the subscriber has received nothing for `quiet_s`: the broker has
    delivered everything it acknowledged (the device being paused)."""
    deadline = time.monotonic() + limit_s
    seen, since = len(sub.raw()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = len(sub.raw())
        if n != seen:
            seen, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


def _explain_missing(missing: set[str], ledger: dict[str, float], timeline: list[tuple[float, str]]) -> str:
    """Which events are missing, when they were produced, and the faults around then."""
    base = min(ledger.values())  # seconds since production started
    times = sorted(ledger[e] - base for e in missing)
    near = [f"{t - base:.1f}:{k}" for t, k in timeline if times[0] - 5 <= t - base <= times[-1] + 5]
    return f"{len(missing)} event(s) never arrived, produced at {times[0]:.1f}..{times[-1]:.1f} s; faults then: {near}"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_chaos_every_event_arrives(broker_factory, test_pki, subscriber_factory, tmp_path):
    rng = random.Random(20261122)
    broker = broker_factory(pki=test_pki, acl=True, persistence=True)
    sub = subscriber_factory(broker, f"devices/{DEVICE}/events/#", creds=test_pki.issue(CENTRAL))
    subscribed = time.time()  # the subscriber's start() waited for its SUBACK
    broker.wait_saved(since=subscribed)  # the subscription survives a broker SIGKILL
    outbox_db = tmp_path / "outbox.db"
    config = write_device_config(
        tmp_path / "device.yaml",
        broker,
        DEVICE,
        outbox_db,
        test_pki.issue(DEVICE),
        keepalive_s=2,
        connect_timeout_s=2.0,
        reconnect_min_s=0.2,
        reconnect_max_s=2.0,
        stats_interval_s=5.0,
    )
    daemon = Daemon(config, tmp_path)
    daemon.start()
    ledger = tmp_path / "produced.txt"
    producer = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(outbox_db), DEVICE, str(ledger), str(N_EVENTS), str(RATE_PER_S)],
        cwd=REPO,
    )
    faults: Counter[str] = Counter()
    timeline: list[tuple[float, str]] = []
    started = time.monotonic()
    try:
        step = 0
        while (
            producer.poll() is None
            or faults.total() - faults["daemon_kill"] < MIN_BROKER_FAULTS
            or (faults["daemon_kill"] < MIN_DAEMON_KILLS)
        ):
            time.sleep(rng.uniform(0.8, 2.5))
            wait_until(sub.is_connected, 15)
            assert daemon.alive(), f"daemon died on its own:\n{daemon.log_tail()}"
            step += 1
            kind = "daemon_kill" if step % 5 == 0 else f"broker_{rng.choice(['kill', 'freeze', 'restart'])}"
            timeline.append((time.time(), kind))
            if kind == "daemon_kill":
                daemon.kill()
                time.sleep(rng.uniform(0.2, 2.0))
                daemon.start()
            else:
                _broker_fault(broker, kind.removeprefix("broker_"), rng, daemon, sub)
            faults[kind] += 1
            assert time.monotonic() - started < 600, f"chaos phase overran: {dict(faults)}"
        assert producer.wait(60) == 0, "producer failed"
        produced_at = {line.split()[0]: float(line.split()[1]) for line in ledger.read_text().splitlines()}
        produced = list(produced_at)
        assert len(produced) == N_EVENTS

        def all_received() -> bool:
            return set(produced) <= set(sub.event_ids())

        if not wait_until(all_received, 120, interval=0.5):
            pytest.fail(_explain_missing(set(produced) - set(sub.event_ids()), produced_at, timeline))
        assert daemon.terminate() == 0  # clean SIGTERM after all that
    finally:
        if producer.poll() is None:
            producer.kill()
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
    received = sub.received()
    ids = [json.loads(m[1])["event_id"] for m in received]
    counts = Counter(ids)
    duplicates = len(ids) - len(counts)
    # A duplicate only ever repeats an event the device produced, byte for byte.
    assert set(counts) == set(produced)
    payloads: dict[str, bytes] = {}
    for _topic, payload, props, _retained in received:
        event_id = json.loads(payload)["event_id"]
        assert payloads.setdefault(event_id, payload) == payload
        assert props["event_id"] == event_id
    print(
        f"\nchaos: produced {len(produced)}, received {len(ids)} messages, {len(counts)} unique event_ids, "
        f"{duplicates} duplicates, missing {len(set(produced) - set(counts))}; "
        f"faults {dict(sorted(faults.items()))} "
        f"(broker {faults.total() - faults['daemon_kill']}, daemon SIGKILL {faults['daemon_kill']}); "
        f"{time.monotonic() - started:.0f} s"
    )
    assert faults.total() - faults["daemon_kill"] >= MIN_BROKER_FAULTS
    assert faults["daemon_kill"] >= MIN_DAEMON_KILLS
