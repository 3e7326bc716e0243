"""Verdicts of passive authentication: one per check, never a bare boolean.

A kiosk must tell a technician *why* a card failed (a tampered DG13 is a forgery;
an unknown CSCA is a configuration gap; an expired DS certificate may be an old
card), so each check has its own enum and the result keeps them apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class StructureVerdict(enum.Enum):
    OK = "ok"
    MALFORMED = "malformed"


class DgHashVerdict(enum.Enum):
    OK = "ok"
    MISMATCH = "mismatch"
    #: The data group was read but the SOD has no hash for it (possible substitution).
    NOT_IN_SOD = "not_in_sod"
    #: The SOD lists it but it was not read (e.g. DG2 skipped): informational.
    NOT_READ = "not_read"


class HashVerdict(enum.Enum):
    OK = "ok"
    MISMATCH = "mismatch"
    MISSING = "missing"
    NOT_CHECKED = "not_checked"


class SignatureVerdict(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    NO_SIGNER_CERTIFICATE = "no_signer_certificate"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    NOT_CHECKED = "not_checked"


class ChainVerdict(enum.Enum):
    OK = "ok"
    UNKNOWN_CSCA = "unknown_csca"
    FAILED = "failed"
    EXPIRED = "expired"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class PassiveAuthResult:
    structure: StructureVerdict
    hashes: HashVerdict
    signature: SignatureVerdict
    chain: ChainVerdict
    dg_hashes: dict[int, DgHashVerdict] = field(default_factory=dict)
    hash_algorithm: str | None = None
    signature_algorithm: str | None = None
    #: Subjects of the certificates involved (issuer data, not personal data).
    document_signer: str | None = None
    csca: str | None = None
    #: Human-readable reasons for every verdict that is not OK.
    details: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True only when the structure, every read DG hash, the signature and the chain are OK."""
        return (
            self.structure is StructureVerdict.OK
            and self.hashes is HashVerdict.OK
            and self.signature is SignatureVerdict.OK
            and self.chain is ChainVerdict.OK
        )

    @property
    def mismatched_data_groups(self) -> tuple[int, ...]:
        return tuple(n for n, v in sorted(self.dg_hashes.items()) if v is DgHashVerdict.MISMATCH)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "structure": self.structure.value,
            "hashes": self.hashes.value,
            "data_groups": {str(n): v.value for n, v in sorted(self.dg_hashes.items())},
            "signature": self.signature.value,
            "chain": self.chain.value,
            "hash_algorithm": self.hash_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "document_signer": self.document_signer,
            "csca": self.csca,
            "details": list(self.details),
        }
