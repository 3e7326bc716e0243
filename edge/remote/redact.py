"""The configuration as the central server may see it: secrets are never in the file
(only references to systemd credentials or files), and passwords written into camera
URLs (rtsp://user:password@host/...) are masked."""

from __future__ import annotations

import re
from typing import Any

from firmware_config import EdgeConfig

_URL_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^@/]+)@")


def mask_url(value: str) -> str:
    return _URL_USERINFO.sub(lambda m: f"{m['scheme']}***@", value)


def redacted_config(cfg: EdgeConfig) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            return mask_url(node)
        return node

    return walk(cfg.model_dump(mode="json"))
