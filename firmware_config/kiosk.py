"""Kiosk and card-reader settings (owned by the card work; extended there)."""

from pathlib import Path
from typing import Literal

from pydantic import Field

from firmware_config.base import Section


class KioskConfig(Section):
    reader: str | None = Field(
        default=None, description="PC/SC reader name (or a unique substring); first reader when omitted."
    )
    csca_dir: Path | None = Field(
        default=None,
        description="Folder of trusted CSCA certificates (DER or PEM) for passive authentication.",
    )
    reader_wait_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long to wait for the reader to be plugged in (hot-plug) before reporting 'no reader'.",
    )
    card_wait_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long to wait for a citizen to place the card on the reader before giving up.",
    )
    read_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description=(
            "Upper bound for one whole chip read (authentication and all files); checked between APDUs, "
            "so a read ends at most one APDU later."
        ),
    )
    extended_length: Literal["auto", "on", "off"] = Field(
        default="auto",
        description=(
            "Extended-length READ BINARY: 'auto' uses it when the card's ATR announces it, 'on' forces it, "
            "'off' keeps 223-byte short reads (for readers that break on long frames)."
        ),
    )
    read_photo: bool = Field(
        default=True,
        description="Read DG2 (face image, ~15 KB). Off saves about 70 APDUs on short-length readers.",
    )
    require_passive_auth: bool = Field(
        default=True,
        description=(
            "Treat a chip whose passive authentication did not pass (hash, signature or chain) as not genuine."
        ),
    )
