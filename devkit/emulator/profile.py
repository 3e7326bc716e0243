"""What an emulated card holds: its files, its access data and its abilities.

A profile directory holds one `<FID>.bin` per elementary file (e.g. `011E.bin`
for EF.COM, `0101.bin` for DG1) and `access.json` with the access data
(`document_number`, `birth`, `expiry` as YYMMDD, `can`) plus optional switches
(`pace`, `bac`, `extended_length`). EF.CardAccess is generated from the PACE
switch unless the directory brings its own `011C.bin`; `aa_key.pem` / `ca_key.pem`
(EC private keys) enable Active / Chip Authentication."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from devkit.cccd.lds_build import build_card_access, pace_info
from kiosk.cccd.mrz import BacKeyInfo

CARD_ACCESS_FID = 0x011C
EMRTD_AID = bytes.fromhex("A0000002471001")


class ProfileError(ValueError):
    """A card profile directory is incomplete or inconsistent."""


def build_atr(extended_length: bool) -> bytes:
    """A contactless-style ATR (T=1) whose historical bytes carry the card
    capabilities object, announcing extended length when the card has it."""
    historical = bytes([0x80, 0x73, 0x00, 0x00, 0xC0 if extended_length else 0x80])
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


@dataclass(frozen=True)
class CardProfile:
    files: dict[int, bytes]
    document_number: str
    birth: str
    expiry: str
    can: str
    pace: bool = True
    bac: bool = True
    extended_length: bool = True
    pace_parameter_id: int = 13  # brainpoolP256r1, as on European and CCCD-class chips
    aa_key_pem: bytes | None = None
    """EC private key (PEM) for Active Authentication; its public half belongs in DG15."""
    ca_key_pem: bytes | None = None
    """EC private key (PEM) for Chip Authentication; its public half belongs in DG14."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def mrz_info(self) -> str:
        return BacKeyInfo(self.document_number, self.birth, self.expiry).mrz_information()

    @property
    def atr(self) -> bytes:
        return build_atr(self.extended_length)

    def card_files(self) -> dict[int, bytes]:
        """Files as the chip exposes them, EF.CardAccess included when PACE is on."""
        files = dict(self.files)
        if self.pace and CARD_ACCESS_FID not in files:
            files[CARD_ACCESS_FID] = build_card_access([pace_info(self.pace_parameter_id)])
        if not self.pace:
            files.pop(CARD_ACCESS_FID, None)
        return files

    def with_files(self, **changes: object) -> CardProfile:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path) -> CardProfile:
        access_path = directory / "access.json"
        if not access_path.is_file():
            raise ProfileError(f"{directory}: access.json missing")
        try:
            access = json.loads(access_path.read_text(encoding="utf-8"))
            files = {int(p.stem, 16): p.read_bytes() for p in sorted(directory.glob("*.bin"))}
            aa_path = directory / "aa_key.pem"
            ca_path = directory / "ca_key.pem"
            return cls(
                files=files,
                document_number=str(access["document_number"]),
                birth=str(access["birth"]),
                expiry=str(access["expiry"]),
                can=str(access["can"]),
                pace=bool(access.get("pace", True)),
                bac=bool(access.get("bac", True)),
                extended_length=bool(access.get("extended_length", True)),
                aa_key_pem=aa_path.read_bytes() if aa_path.is_file() else None,
                ca_key_pem=ca_path.read_bytes() if ca_path.is_file() else None,
            )
        except (KeyError, ValueError) as exc:
            raise ProfileError(f"{directory}: {exc}") from None

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for fid, content in self.files.items():
            (directory / f"{fid:04X}.bin").write_bytes(content)
        access = {
            "document_number": self.document_number,
            "birth": self.birth,
            "expiry": self.expiry,
            "can": self.can,
            "pace": self.pace,
            "bac": self.bac,
            "extended_length": self.extended_length,
        }
        if self.aa_key_pem is not None:
            (directory / "aa_key.pem").write_bytes(self.aa_key_pem)
        if self.ca_key_pem is not None:
            (directory / "ca_key.pem").write_bytes(self.ca_key_pem)
        (directory / "access.json").write_text(json.dumps(access, indent=2), encoding="utf-8")
