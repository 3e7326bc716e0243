"""Kiosk and card-reader settings (owned by the card work; extended there)."""

from pathlib import Path

from pydantic import Field

from firmware_config.base import Section


class KioskConfig(Section):
    reader: str | None = Field(
        default=None, description="PC/SC reader name (or a unique substring); first reader when omitted."
    )
    csca_dir: Path | None = Field(
        default=None, description="Folder of trusted CSCA certificates (DER or PEM) for passive authentication."
    )
