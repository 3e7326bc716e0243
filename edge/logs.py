"""Structured logging for journald/stdout.

One JSON object per line (or plain text for a technician's terminal). Personal data
must never reach the logs: code logs ids and counts, not payloads; as a second line
of defence a filter masks anything shaped like a CCCD personal number (12 digits)
or an old ID (9 digits) that slipped into a message."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from firmware_config.log_output import LoggingConfig

_ID_LIKE = re.compile(r"(?<!\d)(\d{9}|\d{12})(?!\d)")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def mask_personal_numbers(text: str) -> str:
    return _ID_LIKE.sub(lambda m: m.group(1)[:2] + "*" * (len(m.group(1)) - 2), text)


class PersonalDataFilter(logging.Filter):
    """Masks ID-shaped numbers in the rendered message (args included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask_personal_numbers(msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(config: LoggingConfig, stream: Any = None) -> None:
    """Install the root handler. Called once by the daemon's wiring, never at import."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(PersonalDataFilter())
    if config.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.level.upper())
