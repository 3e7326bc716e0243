"""Secrets are never written inline in the config file. The config names where a
secret lives (a systemd credential or a file); the daemon reads it explicitly at
start-up with `read_secret`, never at import time."""

import os
from pathlib import Path

from pydantic import Field, model_validator

from firmware_config.base import Section


class SecretError(Exception):
    """A secret named by the config could not be read."""


class SecretRef(Section):
    credential: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Name of a systemd credential (LoadCredential=NAME:PATH); read from "
        "$CREDENTIALS_DIRECTORY/NAME.",
    )
    file: Path | None = Field(default=None, description="Path of a file holding the secret (mode 0600).")

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValueError(
                "secrets must not be written inline; use {credential: NAME} (systemd LoadCredential) "
                "or {file: PATH}"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one_source(self) -> "SecretRef":
        if (self.credential is None) == (self.file is None):
            raise ValueError("give exactly one of 'credential' or 'file'")
        return self


def read_secret(ref: SecretRef, credentials_dir: str | None = None) -> bytes:
    """Return the secret bytes with a trailing newline stripped."""
    if ref.credential is not None:
        base = credentials_dir or os.environ.get("CREDENTIALS_DIRECTORY")
        if not base:
            raise SecretError(
                f"credential {ref.credential!r} requested but $CREDENTIALS_DIRECTORY is not set "
                "(run under systemd with LoadCredential=, or use 'file:')"
            )
        path = Path(base) / ref.credential
    else:
        assert ref.file is not None
        path = ref.file
    try:
        return path.read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise SecretError(f"cannot read secret from {path}: {exc.strerror}") from exc
