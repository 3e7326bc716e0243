"""The publisher's own publishes beside the outbox's events: command replies (QoS 1,
with the request's correlation data) and the retained stats topic (QoS 0).

Neither may hold up events: a reply or a stats payload the broker's packet size
refuses is counted in the stats as the last error, never raised into the loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.publisher.client import BrokerLink
from edge.publisher.commands import CommandChannel
from edge.publisher.errors import PublishRefused
from edge.publisher.ports import OutboxPort
from edge.publisher.stats import PublisherStats, stats_payload
from edge.publisher.topics import DeviceTopics
from edge.publisher.window import InFlight


def send_replies(
    link: BrokerLink, commands: CommandChannel, window: InFlight[Any], stats: PublisherStats
) -> None:
    """Publish the replies queued since the last turn; each takes a slot in the window
    (no outbox row: its PUBACK only counts as progress)."""
    for reply in commands.take_replies():
        try:
            mid = link.publish_reply(reply.topic, reply.payload, reply.correlation)
        except PublishRefused as exc:
            stats.error(f"command reply not sent: {exc}")
            continue
        if mid is not None:
            window.add(mid, None, None)
            commands.replied += 1


def publish_stats(
    link: BrokerLink,
    topics: DeviceTopics,
    stats: PublisherStats,
    window_size: int,
    outbox: OutboxPort,
    extra: Mapping[str, Any] | None,
) -> None:
    """The retained stats payload: connection figures, the outbox's, and `extra`."""
    connection = {**stats.snapshot(), "inflight_window": window_size}
    payload = stats_payload(topics.device_id, connection, outbox.stats().as_dict(), extra)
    try:
        link.publish(topics.stats, payload, qos=0, retain=True)
    except PublishRefused as exc:  # stats are best effort; events must keep flowing
        stats.error(f"stats not published: {exc}")
