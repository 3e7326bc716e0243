"""Log output of the daemon."""

from typing import Literal

from pydantic import Field

from firmware_config.base import Section


class LoggingConfig(Section):
    level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Minimum level.")
    format: Literal["json", "text"] = Field(
        default="json", description="'json' (one object per line, for journald) or human 'text'."
    )
