"""Vision pipeline settings (owned by the vision work; extended there)."""

from pydantic import Field

from firmware_config.base import Section


class VisionConfig(Section):
    enabled: bool = Field(default=True, description="Run the vision pipeline on the configured cameras.")
