"""`edge selftest publish --config FILE --count N`: commissioning check of the whole
delivery path. N `selftest` events go through the real outbox and the real publisher
to the configured broker; the command waits for their PUBACKs and reports how many
were acknowledged, how many the broker refused, and the rate.

It runs its own publisher with the device's client id, so stop the daemon first
(`systemctl stop vn-edge`): two connections with one client id take over from each
other. Events already waiting in the outbox are published too (they come first)."""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid

from edge.commands.config_arg import load_or_report
from edge.exit_codes import ExitCode

BATCH = 500


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="commissioning self-tests")
    tests = p.add_subparsers(dest="selftest", metavar="TEST", required=True)
    pub = tests.add_parser("publish", help="send N test events through the outbox to the broker")
    pub.add_argument("--config", required=True, help="YAML configuration file")
    pub.add_argument("--count", type=int, default=100, help="number of events (default 100)")
    pub.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for all acknowledgements (default 60)"
    )
    pub.set_defaults(func=run_publish)


class _AckCounter:
    """Counts acknowledgements of this run's rows (called from the publisher thread)."""

    def __init__(self, row_ids: set[int]) -> None:
        self._mine = row_ids
        self._lock = threading.Lock()
        self.acked = 0
        self.last_at = 0.0
        self.done = threading.Event()

    def __call__(self, batch: list[int]) -> None:
        with self._lock:
            hits = sum(1 for r in batch if r in self._mine)
            if hits:
                self.acked += hits
                self.last_at = time.monotonic()
            if self.acked >= len(self._mine):
                self.done.set()


def run_publish(args: argparse.Namespace) -> int:
    if args.count < 1:
        print("--count must be at least 1", file=sys.stderr)
        return ExitCode.USAGE
    cfg = load_or_report(args.config)
    if cfg is None:
        return ExitCode.CONFIG

    from edge.events import EventDraft, Priority
    from edge.outbox import Outbox, OutboxError
    from edge.publisher import Publisher, PublisherError

    run_id = str(uuid.uuid4())
    try:
        outbox = Outbox(cfg.storage, cfg.device.id)
    except (OutboxError, OSError) as exc:
        print(f"cannot open outbox {cfg.storage.path}: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    try:
        mine: set[int] = set()
        for start in range(0, args.count, BATCH):
            drafts = [
                EventDraft(type="selftest", priority=Priority.LOW, body={"run_id": run_id, "n": n})
                for n in range(start, min(args.count, start + BATCH))
            ]
            mine.update(s.row_id for s in outbox.append_many(drafts))
        counter = _AckCounter(mine)
        try:
            publisher = Publisher(cfg.mqtt, cfg.device.id, outbox, on_acked=counter)
        except PublisherError as exc:
            print(f"cannot set up the MQTT publisher: {exc}", file=sys.stderr)
            return ExitCode.UNAVAILABLE
        started = time.monotonic()
        publisher.start()
        counter.done.wait(args.timeout)
        publisher.stop(flush_timeout_s=2.0)
        snap = publisher.snapshot()
    finally:
        outbox.close()
    elapsed = (counter.last_at or time.monotonic()) - started
    rate = counter.acked / elapsed if elapsed > 0 and counter.acked else 0.0
    print(
        f"selftest publish {run_id}: {counter.acked}/{args.count} acknowledged, "
        f"{snap['rejected']} rejected, {elapsed:.2f} s, {rate:.0f} events/s "
        f"(broker {cfg.mqtt.host}:{cfg.mqtt.port}, device {cfg.device.id}, "
        f"connects {snap['connects']}, connect failures {snap['connect_failures']})"
    )
    if counter.acked < args.count:
        print(
            f"FAILED: {args.count - counter.acked} event(s) not acknowledged within {args.timeout:g} s; "
            f"last error: {snap['last_error'] or 'none'} (unsent events stay in the outbox)",
            file=sys.stderr,
        )
        return ExitCode.CHECK_FAILED
    return ExitCode.OK
