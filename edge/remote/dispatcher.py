"""From a received message to a reply: the gate (edge.remote.gate) first, then the
command's parameters, then its handler. Whatever goes wrong becomes a reply with a
reason, never an exception out of here: a garbled or hostile command must not stop
the daemon, and must not change anything."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from edge.remote.gate import CommandGate
from edge.remote.handlers.base import CommandFailed, Handler, Outcome, Request
from edge.remote.messages import Incoming, Reply
from edge.remote.wire import CommandBody, Refusal

log = logging.getLogger(__name__)


def reply_body(
    device_id: str,
    body: CommandBody | tuple[str, str] | None,
    status: str,
    *,
    reason: str | None = None,
    code: str | None = None,
    result: Mapping[str, Any] | None = None,
    at: float | None = None,
) -> bytes:
    """The JSON of every reply (docs/schemas/command_reply.schema.json); `body` is the
    verified command, or (command, nonce) of a change on trial reported after a restart."""
    command, nonce = (body.command, body.nonce) if isinstance(body, CommandBody) else (body or (None, None))
    return json.dumps(
        {
            "device": device_id,
            "command": command,
            "nonce": nonce,
            "status": status,
            "code": code,
            "reason": reason,
            "result": dict(result or {}),
            "at": round(time.time() if at is None else at, 3),
        },
        separators=(",", ":"),
    ).encode()


class CommandDispatcher:
    def __init__(
        self,
        gate: CommandGate,
        handlers: Mapping[str, Handler],
        *,
        device_id: str,
        device_root: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._gate = gate
        self._handlers = dict(handlers)
        self._device_id = device_id
        self._replies_root = f"{device_root}/replies"
        self._clock = clock

    def reply_topic(self, requested: str | None) -> str:
        """The request's Response Topic when it lies in this device's replies subtree
        (the only place the broker lets the device write replies), else the default."""
        root = self._replies_root
        inside = bool(requested) and (requested == root or requested.startswith(root + "/"))
        if inside and not any(c in requested for c in "+#\0"):
            return requested  # type: ignore[return-value]
        return root

    def handle(self, incoming: Incoming) -> tuple[Reply, Outcome | None, Request | None]:
        topic = self.reply_topic(incoming.response_topic)
        body: CommandBody | None = None
        try:
            body = self._gate.admit(incoming.payload, lambda name: name in self._handlers)
            handler = self._handlers[body.command]
            try:
                params = handler.params.model_validate(body.params)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "params"
                raise Refusal("bad_params", f"{where}: {err['msg']}") from None
            request = Request(body, topic, incoming.correlation)
            outcome = handler.run(params, request)
        except Refusal as exc:
            log.warning("command refused", extra={"code": exc.code, "reason": exc.reason})
            payload = reply_body(self._device_id, body, "refused", reason=exc.reason, code=exc.code)
            return Reply(topic, payload, incoming.correlation), None, None
        except CommandFailed as exc:
            log.warning(
                "command failed", extra={"command": body.command if body else None, "reason": str(exc)}
            )
            payload = reply_body(self._device_id, body, "failed", reason=str(exc))
            return Reply(topic, payload, incoming.correlation), None, None
        except Exception as exc:  # a handler bug must not take the daemon down
            log.exception("command handler crashed", extra={"command": body.command if body else None})
            payload = reply_body(
                self._device_id, body, "failed", reason=f"internal error: {type(exc).__name__}"
            )
            return Reply(topic, payload, incoming.correlation), None, None
        log.info("command done", extra={"command": body.command, "status": outcome.status})
        payload = reply_body(
            self._device_id, body, outcome.status, reason=outcome.reason, result=outcome.result
        )
        return Reply(topic, payload, incoming.correlation), outcome, request
