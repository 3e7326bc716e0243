"""Typed reader-level errors.

They sit below the eMRTD protocol layer: the protocol code only knows "the card
went away" or "the reader timed out", never a PC/SC return code, so the same
protocol code runs against any transport that raises these."""

from __future__ import annotations


class ReaderError(Exception):
    """Base for everything that goes wrong between us and the card itself."""


class PcscUnavailableError(ReaderError):
    """The PC/SC service (pcscd) is not running or refused the context."""


class NoReaderError(ReaderError):
    """No reader is attached, or none matches the configured name."""


class NoCardError(ReaderError):
    """No card was presented within the allowed time."""


class ReaderBusyError(ReaderError):
    """Another process holds the reader exclusively (sharing violation)."""


class CardRemovedError(ReaderError):
    """The card left the field (or was reset) while we were talking to it."""


class ReaderTimeoutError(ReaderError):
    """The card or reader did not answer within the configured time."""


class TransmitError(ReaderError):
    """Any other failure to exchange an APDU (driver error, protocol mismatch)."""
