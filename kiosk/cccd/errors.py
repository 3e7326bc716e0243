"""One typed error hierarchy for everything that reads card data.

Card content is attacker-controlled input (a cloned or damaged chip, a forged QR
code, a mistyped MRZ).  Every parser in this package raises only subclasses of
:class:`LdsError`, so callers can tell "the data is bad" apart from programming
errors with a single ``except`` and report *which* structure was bad.
"""

from __future__ import annotations


class LdsError(Exception):
    """Base class: card or document data could not be decoded."""


class TlvError(LdsError):
    """A BER-TLV / DER structure is truncated, over-long or has the wrong tag."""


class MrzError(LdsError):
    """An MRZ string has the wrong shape or a character outside the MRZ alphabet."""


class MrzCheckDigitError(MrzError):
    """An MRZ check digit does not match its field (typo or damaged data)."""

    def __init__(self, field: str, expected: str, found: str) -> None:
        super().__init__(f"MRZ check digit for {field} is {found!r}, expected {expected!r}")
        self.field = field
        self.expected = expected
        self.found = found


class ComError(LdsError):
    """EF.COM is malformed."""


class Dg1Error(LdsError):
    """DG1 (MRZ data group) is malformed."""


class Dg2Error(LdsError):
    """DG2 (face biometric template) is malformed or holds no recognisable image."""


class Dg13Error(LdsError):
    """DG13 (Vietnamese personal data) is malformed."""


class SecurityInfoError(LdsError):
    """DG14 / EF.CardAccess SecurityInfos or the DG15 public key is malformed."""


class QrError(LdsError):
    """The CCCD QR code text does not match any known layout."""


class SodError(LdsError):
    """EF.SOD is not a CMS SignedData carrying an LDS security object."""


class TrustStoreError(LdsError):
    """A CSCA trust-store file could not be read as an X.509 certificate."""
