"""The device's command channel on the one broker connection: the subscription to
`PREFIX/DEV/commands/#` and the replies going back.

Received commands are handed on at once (`deliver` must not block: the daemon's
remote service queues them and works on its own thread); replies are queued here by
any thread and published by the publisher thread on its next turn, QoS 1, with the
request's correlation data. Replies are not kept across a lost connection: the
central server asks again with a new nonce."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from edge.publisher.topics import DeviceTopics
from edge.publisher.wakeup import Wakeup
from edge.remote.messages import Incoming, Reply

MAX_QUEUED_REPLIES = 64


class CommandChannel:
    def __init__(
        self, topics: DeviceTopics, deliver: Callable[[Incoming], None], *, max_packet: int | None = None
    ) -> None:
        """`max_packet` is announced to the broker as the connection's MQTT v5 Maximum
        Packet Size: the broker then drops a bigger message for this device rather than
        deliver it, so a huge command is never read into memory. It limits only what
        the broker sends the device (commands, acknowledgements), never the events the
        device publishes."""
        self.topic_filter = f"{topics.root}/commands/#"
        self.max_packet = max_packet
        self._deliver = deliver
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque(maxlen=MAX_QUEUED_REPLIES)
        self._wake: Wakeup | None = None
        self.connected = False
        self.received = 0
        self.replied = 0

    def attach(self, wake: Wakeup) -> None:
        """Called by the publisher: replies wake its loop."""
        self._wake = wake

    def received_message(self, message: Incoming) -> None:
        """Publisher thread: a message arrived on the command topic."""
        self.received += 1
        self._deliver(message)

    def reply(self, reply: Reply) -> None:
        """Any thread: queue a reply (the oldest is dropped beyond MAX_QUEUED_REPLIES)."""
        with self._lock:
            self._replies.append(reply)
        if self._wake is not None:
            self._wake.set()

    def take_replies(self) -> list[Reply]:
        with self._lock:
            out = list(self._replies)
            self._replies.clear()
        return out
