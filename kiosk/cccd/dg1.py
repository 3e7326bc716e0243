"""DG1: the MRZ as stored on the chip (tag 61 / 5F1F)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.cccd.errors import Dg1Error, MrzError, TlvError
from kiosk.cccd.mrz import TD1_LINE, Td1Mrz, parse_td1
from kiosk.cccd.mrz_td3 import TD3_LINE, Td3Mrz, parse_td3
from kiosk.cccd.tlv import unwrap

DG1_TAG = 0x61
_MRZ_TAG = 0x5F1F


@dataclass(frozen=True)
class Dg1:
    mrz: Td1Mrz | Td3Mrz


def parse_dg1(data: bytes) -> Dg1:
    """Decode DG1 and verify every MRZ check digit (a mismatch raises :class:`Dg1Error`)."""
    try:
        mrz_bytes = unwrap(data, DG1_TAG, "DG1").child(_MRZ_TAG).value
    except TlvError as exc:
        raise Dg1Error(str(exc)) from None
    if len(mrz_bytes) not in (3 * TD1_LINE, 2 * TD3_LINE):
        raise Dg1Error(f"DG1 MRZ has {len(mrz_bytes)} characters; expected TD1 (90) or TD3 (88)")
    try:
        text = mrz_bytes.decode("ascii")
        if len(text) == 2 * TD3_LINE:  # a passport (foreign guest): same chip code, other MRZ
            return Dg1(mrz=parse_td3(text))
        return Dg1(mrz=parse_td1(text))
    except UnicodeDecodeError:
        raise Dg1Error("DG1 MRZ is not ASCII") from None
    except MrzError as exc:
        raise Dg1Error(f"DG1 MRZ invalid: {exc}") from None
