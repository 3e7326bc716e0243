"""Typed errors of the eMRTD protocol layer.

Every way a card conversation can fail maps to one class here, so callers (the
kiosk workflow, `edge card read`) can react precisely: ask for the key again on
`AccessDeniedError`, ask the citizen to hold the card still on a transport
error, flag the card as suspicious on `SecureMessagingError`. Status-word errors
carry the status word; messages never carry personal data or key material."""

from __future__ import annotations

from drivers.pcsc.errors import CardRemovedError, ReaderError, ReaderTimeoutError

__all__ = [
    "AccessDeniedError",
    "CardRemovedError",
    "ClaNotSupportedError",
    "ConditionsNotSatisfiedError",
    "EmrtdError",
    "FileNotFoundOnCardError",
    "IncorrectP1P2Error",
    "InsNotSupportedError",
    "MalformedResponseError",
    "ProtocolError",
    "ReaderError",
    "ReaderTimeoutError",
    "SecureMessagingError",
    "SecurityStatusError",
    "SmObjectsIncorrectError",
    "StatusWordError",
    "WrongDataError",
    "WrongLengthError",
    "WrongParametersError",
    "error_for_status",
]


class EmrtdError(Exception):
    """Base of the protocol-layer errors (transport errors are `ReaderError`)."""


class MalformedResponseError(EmrtdError):
    """The card answered with bytes that do not form a valid response."""


class SecureMessagingError(EmrtdError):
    """A secure-messaging response failed verification (bad MAC, missing or
    malformed data objects, bad padding). The session must not be trusted."""


class ProtocolError(EmrtdError):
    """The card's data or behaviour does not fit the protocol (e.g. malformed
    EF.CardAccess, a PACE step answered with unexpected objects)."""


class AccessDeniedError(EmrtdError):
    """The access key (MRZ data or CAN) was refused: BAC/PACE authentication
    failed. Usually a typo in the key, or the wrong card."""


class StatusWordError(EmrtdError):
    """The card answered with a non-success status word."""

    meaning = "unexpected status word"

    def __init__(self, sw: int, command: str = "") -> None:
        self.sw = sw
        self.command = command
        where = f" to {command}" if command else ""
        super().__init__(f"card answered {sw:04X}{where}: {self.meaning}")


class WrongLengthError(StatusWordError):
    meaning = "wrong length (6700)"


class SecurityStatusError(StatusWordError):
    meaning = "security status not satisfied (6982): access control not established"


class ConditionsNotSatisfiedError(StatusWordError):
    meaning = "conditions of use not satisfied (6985)"


class SmObjectsIncorrectError(StatusWordError):
    meaning = "secure-messaging data objects incorrect (6988): session keys do not match"


class WrongDataError(StatusWordError):
    meaning = "incorrect data field (6A80)"


class FileNotFoundOnCardError(StatusWordError):
    meaning = "file or application not found (6A82)"


class IncorrectP1P2Error(StatusWordError):
    meaning = "incorrect parameters P1-P2 (6A86)"


class WrongParametersError(StatusWordError):
    meaning = "wrong parameters, offset outside the file (6B00)"


class InsNotSupportedError(StatusWordError):
    meaning = "instruction not supported (6D00)"


class ClaNotSupportedError(StatusWordError):
    meaning = "class not supported (6E00)"


class AuthenticationFailedError(StatusWordError, AccessDeniedError):
    meaning = "authentication failed (63xx)"


_BY_SW: dict[int, type[StatusWordError]] = {
    0x6700: WrongLengthError,
    0x6982: SecurityStatusError,
    0x6985: ConditionsNotSatisfiedError,
    0x6988: SmObjectsIncorrectError,
    0x6A80: WrongDataError,
    0x6A82: FileNotFoundOnCardError,
    0x6A86: IncorrectP1P2Error,
    0x6B00: WrongParametersError,
    0x6D00: InsNotSupportedError,
    0x6E00: ClaNotSupportedError,
}


def error_for_status(sw: int, command: str = "") -> StatusWordError:
    """The typed error for a failing status word (unknown ones get the base class)."""
    if sw in _BY_SW:
        return _BY_SW[sw](sw, command)
    if sw & 0xFF00 == 0x6300:
        return AuthenticationFailedError(sw, command)
    return StatusWordError(sw, command)
