"""The kiosk screen's action API from a script (tests, the demo, the benchmark):
POST /action with JSON and the screen's own Origin, exactly as the page sends it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from kiosk.screen.protocol import ActionResult


def post_action(screen_url: str, action: dict[str, Any], timeout_s: float = 10.0) -> ActionResult:
    base = screen_url.rstrip("/")
    request = urllib.request.Request(
        base + "/action",
        data=json.dumps(action).encode("utf-8"),
        headers={"Content-Type": "application/json", "Origin": base},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as exc:  # refusals come with a JSON answer too
        body = json.loads(exc.read())
    return ActionResult(body["ok"], body.get("error"), body.get("field_errors") or {})
