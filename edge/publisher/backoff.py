"""Reconnect delays: exponential growth with full jitter.

When a broker restarts, every device of a fleet loses its connection at the same
instant. With a plain doubling back-off they all come back at the same instants too
and hit the broker in waves; drawing each delay uniformly from the whole current range
("full jitter") spreads them out. paho's built-in reconnect has no jitter, which is one
reason the publisher owns its reconnect loop."""

from __future__ import annotations

import random


class Backoff:
    """Delay before reconnect attempt n (0-based): uniform in [min_s, min(max_s, min_s * 2**(n+1))].

    The lower bound keeps a device from hammering a broker that refuses it; the upper
    bound grows until `max_s` and stays there."""

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if min_s <= 0 or max_s < min_s:
            raise ValueError(f"need 0 < min_s <= max_s, got {min_s}, {max_s}")
        self.min_s = min_s
        self.max_s = max_s
        self._rng = rng or random.Random()
        self.attempt = 0

    def ceiling(self) -> float:
        """Upper bound of the range the next delay is drawn from."""
        # Cap the exponent so a long outage cannot overflow the float.
        return min(self.max_s, self.min_s * 2.0 ** min(self.attempt + 1, 64))

    def next_delay(self) -> float:
        delay = self._rng.uniform(self.min_s, self.ceiling())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Called after a successful CONNACK: the next outage starts small again."""
        self.attempt = 0
