"""Decoding EF.SOD (tag 77): CMS SignedData around the LDS security object.

Only decoding lives here; deciding whether to trust it is
:mod:`kiosk.cccd.passive_auth`.  Everything the chip sends is untrusted, so any
structural surprise becomes :class:`~kiosk.cccd.errors.SodError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import cms
from cryptography import x509

from kiosk.cccd.errors import SodError, TlvError
from kiosk.cccd.lds_security import LDS_SECURITY_OBJECT_OID, SOD_TAG, LdsSecurityObject
from kiosk.cccd.tlv import unwrap

SUPPORTED_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")


@dataclass(frozen=True)
class Sod:
    hash_algorithm: str
    #: Data-group number → hash stored in the security object.
    dg_hashes: dict[int, bytes]
    #: DER of the LDSSecurityObject exactly as signed (the eContent).
    content: bytes
    signer_info: cms.SignerInfo
    #: Certificates embedded in the SignedData (normally the Document Signer).
    certificates: tuple[x509.Certificate, ...]


def _signer_certs(signed_data: cms.SignedData) -> tuple[x509.Certificate, ...]:
    certs = []
    for choice in signed_data["certificates"] or ():
        if choice.name != "certificate":
            continue
        try:
            cert = x509.load_der_x509_certificate(choice.chosen.dump())
            # cryptography decodes fields lazily; touch every one used later so a
            # damaged certificate is reported here, as a malformed SOD.
            _ = (cert.issuer, cert.subject, cert.serial_number, cert.extensions)
            _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
        except Exception as exc:  # lazy decoding of untrusted bytes raises assorted types
            raise SodError(f"EF.SOD embeds an unreadable certificate: {exc.__class__.__name__}") from None
        certs.append(cert)
    return tuple(certs)


def _parse(data: bytes) -> Sod:
    info = cms.ContentInfo.load(unwrap(data, SOD_TAG, "EF.SOD").value, strict=True)
    if info["content_type"].native != "signed_data":
        raise SodError(f"EF.SOD content type is {info['content_type'].dotted}, not SignedData")
    signed_data = info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
        raise SodError(f"EF.SOD signs {encap['content_type'].dotted}, not an LDS security object")
    if encap["content"].native is None:
        raise SodError("EF.SOD has no encapsulated LDS security object")
    content = encap["content"].contents
    lso = LdsSecurityObject.load(content, strict=True)
    algorithm = lso["hash_algorithm"]["algorithm"].native
    if algorithm not in SUPPORTED_DIGESTS:
        raise SodError(f"EF.SOD hash algorithm {lso['hash_algorithm']['algorithm'].dotted} unsupported")
    hashes: dict[int, bytes] = {}
    for entry in lso["data_group_hash_values"]:
        number = entry["data_group_number"].native
        if not 1 <= number <= 16 or number in hashes:
            raise SodError(f"EF.SOD lists data group {number} out of range or twice")
        hashes[number] = entry["data_group_hash_value"].native
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise SodError(f"EF.SOD has {len(signer_infos)} signer infos; ICAO requires exactly one")
    signer_info = signer_infos[0]
    signer_info.native  # noqa: B018 - force full decoding now so later access cannot fail
    return Sod(
        hash_algorithm=algorithm,
        dg_hashes=hashes,
        content=content,
        signer_info=signer_info,
        certificates=_signer_certs(signed_data),
    )


def parse_sod(data: bytes) -> Sod:
    """Decode EF.SOD; raises :class:`SodError` for anything malformed."""
    try:
        return _parse(data)
    except SodError:
        raise
    except TlvError as exc:
        raise SodError(str(exc)) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # asn1crypto decodes lazily and reports damage with these built-ins.
        raise SodError(f"EF.SOD is malformed: {exc.__class__.__name__}: {exc}") from None
    except RecursionError:
        # asn1crypto decodes nested values recursively; a forged attribute nested a few
        # thousand levels deep would otherwise escape as RecursionError.
        raise SodError("EF.SOD is malformed: values nested too deeply") from None
