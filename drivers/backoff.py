"""Reconnect delays for everything that reconnects: cameras and the MQTT publisher.

Exponential growth with full jitter. When a broker restarts or a site's switch loses
power, every device (or every camera behind it) loses its connection at the same
instant; with a plain doubling back-off they all come back at the same instants and
hit the broker or the recorder in waves. Drawing each delay uniformly from the whole
current range spreads them out. paho's built-in reconnect has no jitter, which is one
reason the publisher owns its reconnect loop.

One class for both, because the two copies drifted: the camera's raised
OverflowError once an outage had lasted about a thousand attempts, killing the
capture thread, while the publisher's capped the exponent."""

from __future__ import annotations

import random

MAX_DOUBLINGS = 64  # 2**64 times any sane minimum is past every maximum; the float never overflows


class Backoff:
    """Delay before reconnect attempt n (0-based): uniform in [min_s, min(max_s, min_s * 2**(n+1))].

    The lower bound keeps a device from hammering a peer that refuses it; the upper
    bound grows until `max_s` and stays there however long the outage lasts."""

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if not 0 < min_s <= max_s < float("inf"):
            raise ValueError(f"need 0 < min_s <= max_s < inf, got {min_s}, {max_s}")
        self.min_s = min_s
        self.max_s = max_s
        self._rng = rng or random.Random()
        self.attempt = 0

    def ceiling(self) -> float:
        """Upper bound of the range the next delay is drawn from."""
        return min(self.max_s, self.min_s * 2.0 ** min(self.attempt + 1, MAX_DOUBLINGS))

    def next_delay(self) -> float:
        delay = self._rng.uniform(self.min_s, self.ceiling())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Called after a healthy connection: the next outage starts small again."""
        self.attempt = 0
