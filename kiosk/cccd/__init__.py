"""CCCD (Vietnamese citizen ID, ICAO 9303 eMRTD) data formats.

Parsers for the LDS files read from the chip (EF.COM, DG1, DG2, DG13, DG14, DG15),
the QR code printed on the card, passive authentication of EF.SOD, and the typed
:class:`~kiosk.cccd.identity.CitizenIdentity` result.  The card protocol (BAC,
PACE, secure messaging) lives elsewhere and hands raw file bytes to these parsers.
"""

from kiosk.cccd.com import Com, parse_com
from kiosk.cccd.dg1 import Dg1, parse_dg1
from kiosk.cccd.dg2 import FaceImage, ImageFormat, parse_dg2
from kiosk.cccd.dg13 import Dg13, parse_dg13
from kiosk.cccd.dg14 import SecurityInfos, parse_dg14, parse_security_infos
from kiosk.cccd.dg15 import AaPublicKey, parse_dg15
from kiosk.cccd.errors import LdsError
from kiosk.cccd.identity import CitizenIdentity, IdentitySource, build_identity
from kiosk.cccd.qr import parse_qr
from kiosk.cccd.values import Gender

__all__ = [
    "AaPublicKey",
    "CitizenIdentity",
    "Com",
    "Dg1",
    "Dg13",
    "FaceImage",
    "Gender",
    "IdentitySource",
    "ImageFormat",
    "LdsError",
    "SecurityInfos",
    "build_identity",
    "parse_com",
    "parse_dg1",
    "parse_dg2",
    "parse_dg13",
    "parse_dg14",
    "parse_dg15",
    "parse_qr",
    "parse_security_infos",
]
