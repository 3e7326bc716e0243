"""Structured logging for journald/stdout.

One JSON object per line (or plain text for a technician's terminal). Personal data
must never reach the logs: code logs ids and counts, not payloads; as a second line
of defence the formatters mask anything shaped like a CCCD personal number (12
digits) or an old ID (9 digits) that slipped into what is written: message, extra
fields and tracebacks alike."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from firmware_config.log_output import LoggingConfig

# A CCCD personal number (12 digits) or an old ID (9 digits), also written in groups
# with single spaces, dashes or dots ("079 203 001 234", "079-203-001-234"). The
# look-arounds keep a longer number (or a longer grouped one) from being cut into one.
_SEP = r"[ .-]"
_ID_LIKE = re.compile(rf"(?<!\d)(?<!\d{_SEP})(\d(?:{_SEP}?\d){{11}}|\d(?:{_SEP}?\d){{8}})(?!{_SEP}?\d)")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def mask_personal_numbers(text: str) -> str:
    """Keep the first two digits (the province code says little), star the rest."""

    def star(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        return digits[:2] + "*" * (len(digits) - 2)

    return _ID_LIKE.sub(star, text)


def _masked(value: Any) -> str | int | float | bool | None:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        text = str(value)
        return value if mask_personal_numbers(text) == text else mask_personal_numbers(text)
    return mask_personal_numbers(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per record. Every part that can carry text is masked: the
    message, each `extra` field (an exception's text often quotes what it choked on)
    and the traceback, not only the message as the first version did."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_personal_numbers(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = _masked(value)
        if record.exc_info:
            entry["exc"] = mask_personal_numbers(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_personal_numbers(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


class MaskingTextFormatter(logging.Formatter):
    """Plain lines for a technician's terminal, masked as a whole (traceback included)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_numbers(super().format(record))


def configure_logging(config: LoggingConfig, stream: Any = None) -> None:
    """Install the root handler. Called once by the daemon's wiring, never at import."""
    handler = logging.StreamHandler(stream or sys.stdout)
    if config.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(MaskingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.level.upper())
