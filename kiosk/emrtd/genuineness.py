"""The one genuineness policy: is the chip just read an original, unaltered card?

Used by the kiosk workflow and by `edge card read` alike, so a technician's tool
and the product never disagree about a card. The verdict is never a bare
boolean: every check keeps its own value and the reasons say which failed.

Rules:
- a chip that fails Active Authentication (a clone) or Chip Authentication is
  never genuine;
- with ``require_passive_auth``, the structure, every read data group's hash and
  the Document Signer's signature must pass;
- the chain to a CSCA must pass too, unless the policy says explicitly that no
  trust store is used (``accept_without_csca``): without a trust store anyone
  can sign a forged EF.SOD with a home-made certificate, so that is a setting
  for commissioning, never a silent default.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.cccd.pa_result import ChainVerdict, PassiveAuthResult
from kiosk.emrtd.active_auth import AaVerdict, ActiveAuthResult


@dataclass(frozen=True)
class GenuinenessPolicy:
    require_passive_auth: bool = True
    accept_without_csca: bool = False
    """True only when the configuration says so: the chain is then not required."""


@dataclass(frozen=True)
class GenuinenessVerdict:
    genuine: bool
    reasons: tuple[str, ...]
    """Why the chip is not genuine (empty when it is); no personal data."""

    def to_json_dict(self) -> dict[str, object]:
        return {"genuine": self.genuine, "reasons": list(self.reasons)}


def judge(
    policy: GenuinenessPolicy,
    passive: PassiveAuthResult,
    active: ActiveAuthResult,
    chip_auth: str,
) -> GenuinenessVerdict:
    """Apply the policy to one read's verdicts (`chip_auth` as in RawCardRead)."""
    reasons: list[str] = []
    if active.verdict is AaVerdict.FAILED:
        reasons.append("active_authentication_failed")
    if chip_auth == "failed":
        reasons.append("chip_authentication_failed")
    if policy.require_passive_auth:
        if passive.structure.value != "ok":
            reasons.append("sod_malformed")
        if passive.hashes.value != "ok":
            reasons.append(f"hashes_{passive.hashes.value}")
        if passive.signature.value != "ok":
            reasons.append(f"signature_{passive.signature.value}")
        chain_ok = passive.chain is ChainVerdict.OK or (
            policy.accept_without_csca
            and passive.chain in (ChainVerdict.UNKNOWN_CSCA, ChainVerdict.NOT_CHECKED)
        )
        if not chain_ok:
            reasons.append(f"chain_{passive.chain.value}")
    return GenuinenessVerdict(not reasons, tuple(reasons))
