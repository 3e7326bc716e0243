"""The signed command format, shared by the device (verify) and the central side (sign).

On the wire a command is one JSON object `{"signed": TEXT, "sig": BASE64}`. TEXT is
itself JSON: `{"command", "device", "expires_at", "nonce", "params"}`. The Ed25519
signature covers the exact UTF-8 bytes of TEXT (after a fixed context prefix), so no
canonical-JSON rules have to agree between two implementations, and it binds the
command, its parameters, the target device, the expiry and the nonce together."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONTEXT = b"vn-edge command v1\n"  # a signature made for anything else never verifies here
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class Refusal(Exception):
    """The command is not obeyed; `reason` goes into the reply. `code` is a short
    machine-readable word (garbled, unsigned, bad_signature, ...)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class CommandEnvelope(BaseModel):
    """What goes on the wire: the signed text and its Ed25519 signature (base64)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    signed: str = Field(min_length=2, description="JSON text of the command body, exactly as signed.")
    sig: str = Field(
        min_length=1, max_length=200, description="base64 Ed25519 signature over CONTEXT + signed."
    )


class CommandBody(BaseModel):
    """What the central server signs."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    command: str = Field(pattern=r"^[a-z_]{1,32}$", description="Command name.")
    device: str = Field(min_length=1, max_length=64, description="Target device id.")
    expires_at: int = Field(ge=0, description="Unix time (s) after which the command is refused.")
    nonce: str = Field(pattern=NONCE_PATTERN, description="Unique per command; replays are refused.")
    params: dict[str, Any] = Field(default_factory=dict, description="Command-specific parameters.")


@dataclass(frozen=True)
class SignedCommand:
    body: CommandBody
    text: str


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("garbled", "sig is not base64") from None


def parse_signed(payload: bytes, key: Ed25519PublicKey) -> SignedCommand:
    """Check the envelope and the signature, then parse the signed body. Raises Refusal."""
    try:
        outer_data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal("garbled", f"not UTF-8 JSON: {exc}") from None
    if isinstance(outer_data, dict) and "sig" not in outer_data:
        raise Refusal("unsigned", "the command carries no signature ('sig')")
    try:
        outer = CommandEnvelope.model_validate(outer_data)
    except ValidationError as exc:
        raise Refusal("garbled", f"envelope must be {{signed, sig}}: {_first_error(exc)}") from None
    try:
        key.verify(_b64(outer.sig), CONTEXT + outer.signed.encode("utf-8"))
    except InvalidSignature:
        raise Refusal("bad_signature", "not signed by the pinned central command key") from None
    try:
        body = CommandBody.model_validate(json.loads(outer.signed))
    except (json.JSONDecodeError, ValidationError) as exc:
        detail = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise Refusal("garbled", f"signed body: {detail}") from None
    return SignedCommand(body, outer.signed)


def encode_signed(body: CommandBody, key: Ed25519PrivateKey) -> bytes:
    """The wire form of `body` signed with `key` (the central side; devkit and tests)."""
    text = body.model_dump_json()
    sig = key.sign(CONTEXT + text.encode("utf-8"))
    return json.dumps({"signed": text, "sig": base64.b64encode(sig).decode()}).encode()


def public_key_from_b64(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(value, validate=True))


def public_key_b64(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "<top level>"
    return f"{where}: {err['msg']}"
