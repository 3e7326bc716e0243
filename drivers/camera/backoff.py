"""Exponential reconnect backoff with full jitter.

Jitter matters on a site with many cameras behind one switch: after a power blip they
would otherwise all retry in lock-step and hammer the recorder or the network again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before the n-th consecutive reconnect attempt: a uniform random value in
    [initial/2, min(max, initial * factor**n)]. `reset()` after a healthy stream."""

    initial_s: float = 0.5
    max_s: float = 30.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.max_s, self.initial_s * self.factor**self.attempts)
        self.attempts += 1
        return self.rng.uniform(min(self.initial_s / 2, ceiling), ceiling)

    def reset(self) -> None:
        self.attempts = 0
