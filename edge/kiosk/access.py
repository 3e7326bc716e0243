"""From what the kiosk has (the card's QR, a typed ID, CAN or MRZ) to the chip's access key.

CCCD: CAN = last 6 digits of the 12-digit ID, so the QR on the card front or the
ID typed by staff opens the chip with PACE. Chips without PACE need BAC with the
MRZ data (document number, birth, expiry), typed from the back of the card (TD1,
3 lines) or from a passport's data page (TD3, 2 lines). Errors are message keys
for the screen and never echo the value typed."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.cccd.errors import MrzError, QrError
from kiosk.cccd.mrz import BacKeyInfo, can_from_personal_number, parse_td1
from kiosk.cccd.mrz_td3 import parse_td3
from kiosk.cccd.qr import parse_qr
from kiosk.emrtd.session import AccessKey


class AccessKeyError(ValueError):
    """A typed or scanned key that cannot be used; `str()` is a screen message key."""


@dataclass(frozen=True)
class ResolvedKey:
    key: AccessKey
    method: str
    """How the key was obtained: "qr", "id12", "can" or "mrz" (goes into the event)."""

    def __repr__(self) -> str:  # the key is personal data
        return f"ResolvedKey(method={self.method})"


def from_qr(text: str) -> ResolvedKey:
    try:
        identity = parse_qr(text)
    except QrError:
        raise AccessKeyError("access_key.qr_unreadable") from None
    assert identity.personal_number is not None  # parse_qr checks the 12 digits
    return ResolvedKey(AccessKey(can=can_from_personal_number(identity.personal_number)), "qr")


def from_typed(kind: str, value: str) -> ResolvedKey:
    text = "".join(value.split()) if kind != "mrz" else value.strip()
    if kind == "id12":
        if not (len(text) == 12 and text.isascii() and text.isdigit()):
            raise AccessKeyError("access_key.id12_invalid")
        return ResolvedKey(AccessKey(can=text[-6:]), "id12")
    if kind == "can":
        if not (len(text) == 6 and text.isascii() and text.isdigit()):
            raise AccessKeyError("access_key.can_invalid")
        return ResolvedKey(AccessKey(can=text), "can")
    if kind == "mrz":
        return ResolvedKey(AccessKey(mrz=_mrz_key(text)), "mrz")
    raise AccessKeyError("access_key.kind_unknown")


def _mrz_key(text: str) -> BacKeyInfo:
    lines = [line.strip().upper() for line in text.replace("\r", "").split("\n") if line.strip()]
    if len(lines) == 1:  # typed on one line: split by length
        flat = lines[0].replace(" ", "")
        lines = [flat[i : i + 30] for i in range(0, 90, 30)] if len(flat) == 90 else [flat[:44], flat[44:]]
    try:
        if len(lines) == 3:
            return parse_td1("\n".join(lines)).bac_key_info()
        if len(lines) == 2:
            return parse_td3("\n".join(lines)).bac_key_info()
    except MrzError:
        raise AccessKeyError("access_key.mrz_invalid") from None
    raise AccessKeyError("access_key.mrz_invalid")
