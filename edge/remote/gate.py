"""The second authorisation layer (the broker ACL is the first): a command is obeyed
only when it is small enough, well-formed, signed by the pinned central command key,
meant for this device, not expired, not valid for suspiciously long, and its nonce
was never seen. Every check that fails raises `Refusal` with the reason the reply
carries; nothing is changed on the device before all of them passed."""

from __future__ import annotations

import time
from collections.abc import Callable

from edge.remote.nonces import NonceJournal
from edge.remote.wire import CommandBody, Refusal, parse_signed, public_key_from_b64
from firmware_config.remote import RemoteConfig


class CommandGate:
    def __init__(
        self,
        config: RemoteConfig,
        device_id: str,
        journal: NonceJournal,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._device_id = device_id
        self._journal = journal
        self._clock = clock
        self._key = public_key_from_b64(config.command_key)

    def admit(self, payload: bytes, known: Callable[[str], bool]) -> CommandBody:
        """The verified command body; raises Refusal. `known(name)` tells whether the
        device has such a command. The nonce is recorded last, only for a command that
        passed every other check, and before it runs."""
        cfg = self._config
        if len(payload) > cfg.max_command_bytes:
            raise Refusal("oversized", f"{len(payload)} bytes, the limit is {cfg.max_command_bytes}")
        body = parse_signed(payload, self._key).body
        if body.device != self._device_id:
            raise Refusal("wrong_device", f"addressed to {body.device!r}, this is {self._device_id!r}")
        now = self._clock()
        if body.expires_at < now - cfg.clock_skew_s:
            raise Refusal("expired", f"expired {now - body.expires_at:.0f} s ago")
        if body.expires_at > now + cfg.max_validity_s + cfg.clock_skew_s:
            raise Refusal(
                "too_long", f"expires in {body.expires_at - now:.0f} s, more than {cfg.max_validity_s} s"
            )
        if not known(body.command):
            raise Refusal("unknown_command", f"no command {body.command!r} on this device")
        if not self._journal.claim(body.nonce, body.expires_at + cfg.clock_skew_s, now):
            raise Refusal("replay", f"nonce {body.nonce} was already used")
        return body
