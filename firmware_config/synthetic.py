"""A synthetic event source for demos, soak tests and commissioning: it exercises the
outbox and the broker path before cameras or card readers are attached."""

from typing import Literal

from pydantic import Field

from firmware_config.base import Section


class SyntheticSourceConfig(Section):
    rate_per_s: float = Field(default=1.0, gt=0, le=10000, description="Events produced per second.")
    count: int | None = Field(
        default=None, ge=1, le=10**9, description="Stop after this many events (unbounded when omitted)."
    )
    priority: Literal["low", "normal", "high", "critical"] = Field(
        default="low", description="Priority of the synthetic events (for eviction tests)."
    )
    payload_bytes: int = Field(
        default=200, ge=0, le=262144, description="Size of the padding field in each event body."
    )
