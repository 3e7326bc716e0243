"""Passive authentication verdicts on test cards issued under our own test CSCA."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import cms, core
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devkit.cccd.sod_builder import lds_security_object
from devkit.cccd.testcard import (
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG15,
    FID_SOD,
    TestPerson,
    TestPki,
    build_card_files,
)
from kiosk.cccd import build_identity, parse_dg1, parse_dg13
from kiosk.cccd.errors import TrustStoreError
from kiosk.cccd.lds_security import SOD_TAG
from kiosk.cccd.passive_auth import (
    ChainVerdict,
    DgHashVerdict,
    HashVerdict,
    SignatureVerdict,
    StructureVerdict,
    verify,
)
from kiosk.cccd.tlv import encode_tlv, unwrap
from kiosk.cccd.trust_store import TrustStore

PERSON = TestPerson.default()


@pytest.fixture(scope="module")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestPki]:
    base = tmp_path_factory.mktemp("pki")
    return {kind: TestPki.generate(base / kind, key_type=kind) for kind in ("ec", "rsa", "rsa-pss")}


@pytest.fixture(scope="module")
def pki(pkis: dict[str, TestPki]) -> TestPki:
    return pkis["ec"]


@pytest.fixture(scope="module")
def trust(pki: TestPki) -> TrustStore:
    return TrustStore.from_directory(pki.trust_dir)


def _groups(files: dict[int, bytes], *numbers: int) -> dict[int, bytes]:
    fids = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13, 15: FID_DG15}
    return {n: files[fids[n]] for n in numbers or (1, 2, 13)}


@pytest.mark.parametrize("kind", ["ec", "rsa", "rsa-pss"])
def test_genuine_card_passes_every_check(pkis: dict[str, TestPki], kind: str) -> None:
    pki = pkis[kind]
    files = build_card_files(PERSON, pki)
    result = verify(files[FID_SOD], _groups(files), TrustStore.from_directory(pki.trust_dir))
    assert result.passed
    assert (result.structure, result.hashes, result.signature, result.chain) == (
        StructureVerdict.OK,
        HashVerdict.OK,
        SignatureVerdict.OK,
        ChainVerdict.OK,
    )
    assert result.dg_hashes == {1: DgHashVerdict.OK, 2: DgHashVerdict.OK, 13: DgHashVerdict.OK}
    assert (
        result.signature_algorithm
        == {
            "ec": "ecdsa-sha256",
            "rsa": "rsassa-pkcs1v15-sha256",
            "rsa-pss": "rsassa-pss-sha256",
        }[kind]
    )
    assert result.details == () and "Test CSCA" in (result.csca or "")
    assert result.to_json_dict()["data_groups"] == {"1": "ok", "2": "ok", "13": "ok"}


@pytest.mark.parametrize("dg", [1, 2, 13])
def test_tampered_data_group_is_named_in_the_hash_verdict(pki: TestPki, trust: TrustStore, dg: int) -> None:
    files = build_card_files(PERSON, pki, tamper=[dg])
    result = verify(files[FID_SOD], _groups(files), trust)
    assert not result.passed
    assert result.hashes is HashVerdict.MISMATCH and result.mismatched_data_groups == (dg,)
    assert result.signature is SignatureVerdict.OK and result.chain is ChainVerdict.OK
    assert f"DG{dg} hash does not match EF.SOD" in result.details
    # The tampered files still parse: only passive authentication can catch this.
    parse_dg13(files[FID_DG13])
    parse_dg1(files[FID_DG1])


def test_re_hashed_sod_after_tampering_breaks_the_signature(pki: TestPki, trust: TrustStore) -> None:
    """A forger who also patches the hashes in EF.SOD cannot re-sign them."""
    files = build_card_files(PERSON, pki, tamper=[13])
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    forged = lds_security_object(_groups(files))
    info["content"]["encap_content_info"]["content"] = cms.ParsableOctetString(forged)
    result = verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust)
    assert result.hashes is HashVerdict.OK
    assert result.signature is SignatureVerdict.FAILED and not result.passed
    assert any("message-digest" in d for d in result.details)


def test_corrupted_sod_signature(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki, corrupt_sod_signature=True)
    result = verify(files[FID_SOD], _groups(files), trust)
    assert result.signature is SignatureVerdict.FAILED and result.hashes is HashVerdict.OK
    assert result.chain is ChainVerdict.OK and not result.passed


def test_unknown_csca(pki: TestPki, tmp_path: Path) -> None:
    other = TestPki.generate(tmp_path / "other", csca_name="Some Other CSCA")
    files = build_card_files(PERSON, pki)
    result = verify(files[FID_SOD], _groups(files), TrustStore.from_directory(other.trust_dir))
    assert result.chain is ChainVerdict.UNKNOWN_CSCA and result.signature is SignatureVerdict.OK
    assert not result.passed and result.csca is None


def test_impostor_csca_with_the_same_name_fails_the_chain(pki: TestPki, tmp_path: Path) -> None:
    impostor = TestPki.generate(tmp_path / "impostor")  # same subject name, different key
    files = build_card_files(PERSON, pki)
    result = verify(files[FID_SOD], _groups(files), TrustStore.from_directory(impostor.trust_dir))
    assert result.chain is ChainVerdict.FAILED and not result.passed


def test_card_signed_by_the_impostor_fails_against_the_real_trust_store(
    trust: TrustStore, tmp_path: Path
) -> None:
    impostor = TestPki.generate(tmp_path / "impostor")
    files = build_card_files(PERSON, impostor)
    result = verify(files[FID_SOD], _groups(files), trust)
    assert result.signature is SignatureVerdict.OK  # self-consistent forgery...
    assert result.chain is ChainVerdict.FAILED  # ...that does not chain to our CSCA


def test_expired_and_not_yet_valid_certificates(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    files = build_card_files(PERSON, pki)
    sod, groups = files[FID_SOD], _groups(files)
    assert (
        verify(sod, groups, trust, at=datetime(2100, 1, 1, tzinfo=timezone.utc)).chain is ChainVerdict.EXPIRED
    )
    assert verify(sod, groups, trust, at=datetime(2000, 1, 1)).chain is ChainVerdict.EXPIRED
    old = TestPki.generate(
        tmp_path / "old", ds_valid_from=datetime.now(timezone.utc) - timedelta(days=30), ds_valid_days=10
    )
    old_files = build_card_files(PERSON, old)
    result = verify(old_files[FID_SOD], _groups(old_files), TrustStore.from_directory(old.trust_dir))
    assert result.chain is ChainVerdict.EXPIRED and "DS certificate" in " ".join(result.details)


def test_data_group_read_but_absent_from_sod_and_dg_listed_but_not_read(
    pki: TestPki, trust: TrustStore
) -> None:
    files = build_card_files(PERSON, pki)
    result = verify(files[FID_SOD], {**_groups(files), 14: b"\x6e\x00"}, trust)
    assert result.hashes is HashVerdict.MISSING and result.dg_hashes[14] is DgHashVerdict.NOT_IN_SOD
    skipped_photo = verify(files[FID_SOD], _groups(files, 1, 13), trust)
    assert skipped_photo.passed and skipped_photo.dg_hashes[2] is DgHashVerdict.NOT_READ
    nothing = verify(files[FID_SOD], {}, trust)
    assert nothing.hashes is HashVerdict.NOT_CHECKED and not nothing.passed


def test_dg15_is_covered_by_the_sod(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki, aa_key=pki.ds_key, tamper=[15])
    result = verify(files[FID_SOD], _groups(files, 1, 2, 13, 15), trust)
    assert result.mismatched_data_groups == (15,)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sod: b"",
        lambda sod: b"\x77\x03abc",
        lambda sod: sod[: len(sod) // 2],
        lambda sod: encode_tlv(0x30, sod),
        lambda sod: encode_tlv(SOD_TAG, cms.ContentInfo({"content_type": "data", "content": b"x"}).dump()),
    ],
)
def test_malformed_sod_gives_a_verdict_not_an_exception(pki: TestPki, trust: TrustStore, mangle) -> None:
    files = build_card_files(PERSON, pki)
    result = verify(mangle(files[FID_SOD]), _groups(files), trust)
    assert result.structure is StructureVerdict.MALFORMED and not result.passed
    assert result.signature is SignatureVerdict.NOT_CHECKED and result.details


def test_omitted_dg13_fields_still_authenticate_but_flag_a_partial_identity(
    pki: TestPki, trust: TrustStore
) -> None:
    files = build_card_files(PERSON, pki, omit_dg13_fields=["religion", 9, "mother_name"])
    assert verify(files[FID_SOD], _groups(files), trust).passed
    identity = build_identity(parse_dg1(files[FID_DG1]), parse_dg13(files[FID_DG13]))
    assert identity.partial
    assert identity.missing_fields == ("religion", "place_of_residence", "mother_name")


def test_trust_store_loading(pki: TestPki, tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    other = TestPki.generate(tmp_path / "other", csca_name="Link CSCA")
    bundle = pki.csca_cert.public_bytes(serialization.Encoding.PEM) + other.csca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    (folder / "bundle.pem").write_bytes(bundle)
    (folder / "single.der").write_bytes(other.csca_cert.public_bytes(serialization.Encoding.DER))
    (folder / "notes.txt").write_text("ignored: not a certificate suffix")
    store = TrustStore.from_directory(folder)
    assert len(store) == 3 and store.issuers_of(pki.ds_cert) == [pki.csca_cert]
    (folder / "broken.cer").write_bytes(b"not a certificate")
    with pytest.raises(TrustStoreError, match=r"broken\.cer"):
        TrustStore.from_directory(folder)
    with pytest.raises(TrustStoreError, match=r"csca_key\.pem: not an X\.509"):
        TrustStore.from_directory(tmp_path / "other" / "private")  # keys are not certificates
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrustStoreError, match="no certificate"):
        TrustStore.from_directory(tmp_path / "empty")
    with pytest.raises(TrustStoreError, match="does not exist"):
        TrustStore.from_directory(tmp_path / "missing")


def test_pki_reloads_from_disk(pki: TestPki, trust: TrustStore) -> None:
    again = TestPki.load(pki.directory)
    assert again.ds_cert == pki.ds_cert and again.csca_cert == pki.csca_cert
    files = build_card_files(PERSON, again)
    assert verify(files[FID_SOD], _groups(files), trust).passed


def test_bsi_plain_ecdsa_signature_is_accepted(pki: TestPki, trust: TrustStore) -> None:
    """Several states sign with ecdsa-plain-SHA256 (r||s); rewrite our DER signature that way."""
    files = build_card_files(PERSON, pki)
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    signer = info["content"]["signer_infos"][0]
    r, s = decode_dss_signature(signer["signature"].native)
    signer["signature_algorithm"] = {"algorithm": "0.4.0.127.0.7.1.1.4.1.3"}
    signer["signature"] = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    result = verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust)
    assert result.passed and result.signature_algorithm == "ecdsa-plain-sha256"


def test_unknown_signature_algorithm_is_reported_as_unsupported(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki)
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    info["content"]["signer_infos"][0]["signature_algorithm"] = {"algorithm": "1.2.3.4.5"}
    result = verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust)
    assert result.signature is SignatureVerdict.UNSUPPORTED_ALGORITHM and not result.passed


def test_signer_identified_by_subject_key_identifier(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki)
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    signer = info["content"]["signer_infos"][0]
    ski = pki.ds_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    signer["sid"] = cms.SignerIdentifier({"subject_key_identifier": ski})
    signer["version"] = "v3"
    assert verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust).passed
    signer["sid"] = cms.SignerIdentifier({"subject_key_identifier": b"\x01" * 20})
    result = verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust)
    assert result.signature is SignatureVerdict.NO_SIGNER_CERTIFICATE and not result.passed


def test_sod_without_embedded_certificates(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki)
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    info["content"]["certificates"] = []
    result = verify(encode_tlv(SOD_TAG, info.dump(force=True)), _groups(files), trust)
    assert result.signature is SignatureVerdict.NO_SIGNER_CERTIFICATE
    assert result.chain is ChainVerdict.NOT_CHECKED and result.hashes is HashVerdict.OK


def test_rollover_store_with_two_cscas_of_the_same_name(pki: TestPki, tmp_path: Path) -> None:
    """After a CSCA key rollover both keys share a name; the right one must be found."""
    impostor = TestPki.generate(tmp_path / "old-key")
    store = TrustStore([impostor.csca_cert, pki.csca_cert])
    files = build_card_files(PERSON, pki)
    result = verify(files[FID_SOD], _groups(files), store)
    assert result.passed and len(store.issuers_of(pki.ds_cert)) == 2


def _resigned(files: dict[int, bytes], edit) -> bytes:
    info = cms.ContentInfo.load(unwrap(files[FID_SOD], SOD_TAG, "EF.SOD").value)
    edit(info["content"]["signer_infos"][0])
    return encode_tlv(SOD_TAG, info.dump(force=True))


def test_deeply_nested_attribute_gives_a_malformed_verdict(pki: TestPki, trust: TrustStore) -> None:
    files = build_card_files(PERSON, pki)
    nested = core.Null().dump()
    for _ in range(3000):
        nested = encode_tlv(0x30, nested)

    def add_attribute(signer: cms.SignerInfo) -> None:
        signer["signed_attrs"].append(
            cms.CMSAttribute({"type": "1.2.3.4", "values": [core.Any.load(nested)]})
        )

    result = verify(_resigned(files, add_attribute), _groups(files), trust)
    assert result.structure is StructureVerdict.MALFORMED and "nested too deeply" in result.details[0]


def test_rsa_pss_without_parameters_is_unsupported_not_a_crash(pkis: dict[str, TestPki]) -> None:
    pki = pkis["rsa-pss"]
    files = build_card_files(PERSON, pki)

    def drop_parameters(signer: cms.SignerInfo) -> None:
        signer["signature_algorithm"] = {"algorithm": "rsassa_pss"}

    result = verify(
        _resigned(files, drop_parameters), _groups(files), TrustStore.from_directory(pki.trust_dir)
    )
    assert result.signature is SignatureVerdict.UNSUPPORTED_ALGORITHM and not result.passed


def test_rsa_pss_with_a_huge_salt_length_fails_the_signature(pkis: dict[str, TestPki]) -> None:
    pki = pkis["rsa-pss"]
    files = build_card_files(PERSON, pki)

    def huge_salt(signer: cms.SignerInfo) -> None:
        params = signer["signature_algorithm"]["parameters"]
        signer["signature_algorithm"] = {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": params["hash_algorithm"],
                "mask_gen_algorithm": params["mask_gen_algorithm"],
                "salt_length": 2**70,
            },
        }

    result = verify(_resigned(files, huge_salt), _groups(files), TrustStore.from_directory(pki.trust_dir))
    assert result.signature is SignatureVerdict.FAILED and not result.passed
