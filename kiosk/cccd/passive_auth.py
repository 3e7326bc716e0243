"""Passive authentication (ICAO 9303-11 §5.1): is this chip's data what the state signed?

Three independent checks, each with its own verdict:

1. every data group read hashes to the value in EF.SOD's LDS security object;
2. the Document Signer's signature over that object is valid;
3. the DS certificate chains to a CSCA in the configured trust store and both
   were valid at the time of the check.

Card data is untrusted: a malformed EF.SOD yields a result with
``structure=MALFORMED``, never an exception, so the caller always gets verdicts.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from kiosk.cccd.errors import SodError
from kiosk.cccd.pa_result import (
    ChainVerdict,
    DgHashVerdict,
    HashVerdict,
    PassiveAuthResult,
    SignatureVerdict,
    StructureVerdict,
)
from kiosk.cccd.sod import Sod, parse_sod
from kiosk.cccd.sod_signature import find_signer_certificate, verify_sod_signature
from kiosk.cccd.trust_store import TrustStore, is_ca

__all__ = [
    "ChainVerdict",
    "DgHashVerdict",
    "HashVerdict",
    "PassiveAuthResult",
    "SignatureVerdict",
    "StructureVerdict",
    "verify",
]


def _check_hashes(
    sod: Sod, data_groups: dict[int, bytes]
) -> tuple[HashVerdict, dict[int, DgHashVerdict], list[str]]:
    verdicts: dict[int, DgHashVerdict] = {}
    for number in sorted(set(sod.dg_hashes) | set(data_groups)):
        if number not in data_groups:
            verdicts[number] = DgHashVerdict.NOT_READ
        elif number not in sod.dg_hashes:
            verdicts[number] = DgHashVerdict.NOT_IN_SOD
        else:
            actual = hashlib.new(sod.hash_algorithm, data_groups[number]).digest()
            same = hmac.compare_digest(actual, sod.dg_hashes[number])
            verdicts[number] = DgHashVerdict.OK if same else DgHashVerdict.MISMATCH
    details = [
        f"DG{n} hash does not match EF.SOD" for n, v in verdicts.items() if v is DgHashVerdict.MISMATCH
    ]
    details += [
        f"DG{n} was read but EF.SOD has no hash for it"
        for n, v in verdicts.items()
        if v is DgHashVerdict.NOT_IN_SOD
    ]
    if any(v is DgHashVerdict.MISMATCH for v in verdicts.values()):
        overall = HashVerdict.MISMATCH
    elif any(v is DgHashVerdict.NOT_IN_SOD for v in verdicts.values()):
        overall = HashVerdict.MISSING
    elif not data_groups:
        overall, details = HashVerdict.NOT_CHECKED, ["no data groups were given to check"]
    else:
        overall = HashVerdict.OK
    return overall, verdicts, details


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _check_chain(
    ds: x509.Certificate, trust_store: TrustStore, at: datetime
) -> tuple[ChainVerdict, x509.Certificate | None, str | None]:
    candidates = trust_store.issuers_of(ds)
    if not candidates:
        return (
            ChainVerdict.UNKNOWN_CSCA,
            None,
            f"no CSCA in the trust store is named {ds.issuer.rfc4514_string()}",
        )
    problem = "DS certificate signature does not verify with any matching CSCA"
    for csca in candidates:
        try:
            ds.verify_directly_issued_by(csca)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            problem = f"DS certificate not signed by the matching CSCA: {exc.__class__.__name__}"
            continue
        if not is_ca(csca):
            return ChainVerdict.FAILED, csca, "trust-store certificate is not a CA (basicConstraints)"
        if not _valid_at(ds, at):
            return ChainVerdict.EXPIRED, csca, "DS certificate is not valid at the check time"
        if not _valid_at(csca, at):
            return ChainVerdict.EXPIRED, csca, "CSCA certificate is not valid at the check time"
        return ChainVerdict.OK, csca, None
    return ChainVerdict.FAILED, None, problem


def verify(
    sod: bytes,
    data_groups: dict[int, bytes],
    trust_store: TrustStore,
    *,
    at: datetime | None = None,
) -> PassiveAuthResult:
    """Run passive authentication.

    ``data_groups`` maps data-group *number* (1, 2, 13, 14, 15) to the file bytes
    exactly as read; ``at`` is the time certificate validity is judged at (now by
    default; pass the read time when re-verifying a stored read).
    """
    when = at or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        parsed = parse_sod(sod)
    except SodError as exc:
        return PassiveAuthResult(
            structure=StructureVerdict.MALFORMED,
            hashes=HashVerdict.NOT_CHECKED,
            signature=SignatureVerdict.NOT_CHECKED,
            chain=ChainVerdict.NOT_CHECKED,
            details=(str(exc),),
        )
    hash_verdict, dg_verdicts, details = _check_hashes(parsed, data_groups)
    signer = find_signer_certificate(parsed)
    if signer is None:
        details.append("EF.SOD embeds no Document Signer certificate matching its SignerInfo")
        return PassiveAuthResult(
            structure=StructureVerdict.OK,
            hashes=hash_verdict,
            signature=SignatureVerdict.NO_SIGNER_CERTIFICATE,
            chain=ChainVerdict.NOT_CHECKED,
            dg_hashes=dg_verdicts,
            hash_algorithm=parsed.hash_algorithm,
            details=tuple(details),
        )
    signature = verify_sod_signature(parsed, signer)
    if signature.detail:
        details.append(signature.detail)
    chain, csca, chain_problem = _check_chain(signer, trust_store, when)
    if chain_problem:
        details.append(chain_problem)
    return PassiveAuthResult(
        structure=StructureVerdict.OK,
        hashes=hash_verdict,
        signature=signature.verdict,
        chain=chain,
        dg_hashes=dg_verdicts,
        hash_algorithm=parsed.hash_algorithm,
        signature_algorithm=signature.algorithm,
        document_signer=signer.subject.rfc4514_string(),
        csca=csca.subject.rfc4514_string() if csca is not None else None,
        details=tuple(details),
    )
