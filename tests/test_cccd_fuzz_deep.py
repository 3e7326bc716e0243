"""Long fuzz campaign (slow set): every card parser and passive authentication meet
deeply nested, oversized and many-sibling structures, and passive authentication
meets every signature algorithm with valid, forged and nonsensical parameters.

Only the project's own typed errors may escape a parser (`LdsError` in kiosk.cccd,
`EmrtdError` in kiosk.emrtd); passive authentication may raise nothing at all, it
returns verdicts. Anything else (RecursionError, OverflowError, TypeError, MemoryError
from a claimed length) would crash `edge card read` or the kiosk's read loop on a
forged chip. CCCD_FUZZ_DEEP_EXAMPLES scales the campaign (default: a few minutes on
two shared cores); runs are derandomized so CI is repeatable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from functools import cache

import pytest
from asn1crypto import algos, cms, core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.cccd import testcard as card
from devkit.cccd.sod_builder import build_sod
from kiosk.cccd import parse_com, parse_dg1, parse_dg2, parse_dg13
from kiosk.cccd.dg14 import parse_dg14, parse_security_infos
from kiosk.cccd.dg15 import parse_dg15
from kiosk.cccd.errors import LdsError
from kiosk.cccd.lds_security import SOD_TAG
from kiosk.cccd.pa_result import PassiveAuthResult
from kiosk.cccd.passive_auth import verify
from kiosk.cccd.sod import parse_sod
from kiosk.cccd.tlv import encode_tlv, parse_all, unwrap
from kiosk.cccd.trust_store import TrustStore
from kiosk.emrtd.apdu import Response
from kiosk.emrtd.cardaccess import parse_card_access
from kiosk.emrtd.chip_auth import load_chip_key
from kiosk.emrtd.errors import EmrtdError
from kiosk.emrtd.tlv import iter_tlv

pytestmark = pytest.mark.slow

N = int(os.environ.get("CCCD_FUZZ_DEEP_EXAMPLES", "750"))
DEEP = settings(
    derandomize=True,
    deadline=None,
    max_examples=N,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
TYPED = (LdsError, EmrtdError)
PERSON = card.TestPerson.default()
DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")


@cache
def _pkis(directory: str) -> dict[str, tuple[card.TestPki, TrustStore]]:
    out = {}
    for kind in ("ec", "rsa", "rsa-pss"):
        pki = card.TestPki.generate(os.path.join(directory, kind), key_type=kind)
        out[kind] = (pki, TrustStore.from_directory(pki.trust_dir))
    return out


@pytest.fixture(scope="module")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[card.TestPki, TrustStore]]:
    return _pkis(str(tmp_path_factory.mktemp("deep-fuzz-pki")))


@pytest.fixture(scope="module")
def files(pkis) -> dict[int, bytes]:
    pki, _ = pkis["ec"]
    return card.build_card_files(PERSON, pki, aa_key=pki.ds_key)


# (name, parser, outer tag its input carries, file id of a valid sample)
PARSERS: list[tuple[str, Callable[[bytes], object], int | None, int | None]] = [
    ("parse_all", parse_all, None, card.FID_DG13),
    ("parse_com", parse_com, 0x60, card.FID_COM),
    ("parse_dg1", parse_dg1, 0x61, card.FID_DG1),
    ("parse_dg2", parse_dg2, 0x75, card.FID_DG2),
    ("parse_dg13", parse_dg13, 0x6D, card.FID_DG13),
    ("parse_dg14", parse_dg14, 0x6E, None),
    ("parse_dg15", parse_dg15, 0x6F, card.FID_DG15),
    ("parse_security_infos", parse_security_infos, 0x31, card.FID_CARD_ACCESS),
    ("parse_card_access", parse_card_access, 0x31, card.FID_CARD_ACCESS),
    ("parse_sod", parse_sod, SOD_TAG, card.FID_SOD),
    ("load_chip_key", load_chip_key, 0x30, None),
    ("iter_tlv", lambda data: list(iter_tlv(data)), None, card.FID_DG1),
    ("response", Response.decode, None, None),
]
IDS = [name for name, *_ in PARSERS]


def _run(parser: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(*TYPED):
        parser(data)


# -- structure generators ------------------------------------------------------------

CONSTRUCTED_TAGS = st.sampled_from([0x30, 0x31, 0xA0, 0xA1, 0x61, 0x7F61, 0x7F60, 0x5F1F])
LEAF = st.one_of(
    st.just(core.Null().dump()),
    st.binary(max_size=16).map(lambda b: encode_tlv(0x04, b)),
    st.integers(-(2**200), 2**200).map(lambda n: core.Integer(n).dump()),
    st.just(core.ObjectIdentifier("0.4.0.127.0.7.2.2.4.2.2").dump()),
)


@st.composite
def nested(draw) -> bytes:
    """One leaf inside a chain of constructed tags, from shallow to thousands deep."""
    depth = draw(st.one_of(st.integers(1, 64), st.integers(500, 6000)))
    tags = draw(st.lists(CONSTRUCTED_TAGS, min_size=1, max_size=4))
    data = draw(LEAF)
    for i in range(depth):
        data = encode_tlv(tags[i % len(tags)], data)
    return data


@st.composite
def claimed_lengths(draw) -> bytes:
    """A header claiming far more than follows: long-form lengths up to 2^64 - 1."""
    tag = draw(st.sampled_from([0x30, 0x31, 0x04, 0x02, 0x5F1F, 0x7F61]))
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    n = draw(st.integers(1, 9))
    claimed = draw(st.integers(0, 2 ** (8 * n) - 1))
    body = draw(st.binary(max_size=64))
    return tag_bytes + bytes([0x80 | n]) + claimed.to_bytes(n, "big") + body


@st.composite
def wide(draw) -> bytes:
    """Many siblings, or one value of tens of kilobytes."""
    if draw(st.booleans()):
        count = draw(st.integers(1000, 20000))
        item = draw(LEAF)
        return encode_tlv(draw(CONSTRUCTED_TAGS), item * count)
    size = draw(st.integers(20000, 200000))
    return encode_tlv(
        draw(st.sampled_from([0x04, 0x5F2E, 0x7F2E])), bytes([draw(st.integers(0, 255))]) * size
    )


HOSTILE = st.one_of(nested(), claimed_lengths(), wide())


@pytest.mark.parametrize(("name", "parser", "outer", "fid"), PARSERS, ids=IDS)
def test_hostile_structures_raise_only_typed_errors(name, parser, outer, fid) -> None:
    @DEEP
    @given(HOSTILE, st.booleans())
    def run(inner: bytes, wrap: bool) -> None:
        _run(parser, encode_tlv(outer, inner) if wrap and outer is not None else inner)

    run()


WITH_SAMPLE = [p for p in PARSERS if p[3] is not None]


@pytest.mark.parametrize(("name", "parser", "outer", "fid"), WITH_SAMPLE, ids=[p[0] for p in WITH_SAMPLE])
def test_hostile_structures_spliced_into_valid_files(name, parser, outer, fid, files) -> None:
    sample = files[fid]

    @DEEP
    @given(HOSTILE, st.integers(0, 1 << 16))
    def run(inner: bytes, at: int) -> None:
        cut = at % (len(sample) + 1)
        _run(parser, sample[:cut] + inner + sample[cut:])

    run()


# -- passive authentication: every signature algorithm --------------------------------


def _sod_info(sod: bytes) -> cms.ContentInfo:
    return cms.ContentInfo.load(unwrap(sod, SOD_TAG, "EF.SOD").value)


def _groups(files: dict[int, bytes]) -> dict[int, bytes]:
    return {1: files[card.FID_DG1], 13: files[card.FID_DG13]}


@pytest.mark.parametrize("digest", DIGESTS)
@pytest.mark.parametrize("kind", ["ec", "rsa", "rsa-pss"])
def test_every_signature_algorithm_verifies_when_genuine(pkis, files, kind, digest) -> None:
    pki, trust = pkis[kind]
    sod = build_sod(_groups(files), pki.ds_key, pki.ds_cert, digest=digest, rsa_pss=kind == "rsa-pss")
    result = verify(sod, _groups(files), trust)
    assert result.passed, result.details


SIGNATURE_OIDS = [
    *(f"{d}_rsa" for d in DIGESTS),
    *(f"{d}_ecdsa" for d in DIGESTS),
    *(f"0.4.0.127.0.7.1.1.4.1.{i}" for i in range(1, 7)),  # BSI plain ECDSA (6 is beyond the table)
    "rsassa_pss",
    "rsassa_pkcs1v15",
    "ecdsa",
    "ed25519",
    "ed448",
    "sha256_dsa",
    "1.2.3.4.5",
]
HASH_NAMES = [*DIGESTS, "md5", "sha512_224", "sha3_256", "1.2.3.4"]


@st.composite
def pss_parameters(draw) -> dict | None:
    if draw(st.integers(0, 5)) == 0:
        return None
    mgf_params = draw(st.one_of(st.none(), st.sampled_from(HASH_NAMES).map(lambda h: {"algorithm": h})))
    params = {
        "hash_algorithm": {"algorithm": draw(st.sampled_from(HASH_NAMES))},
        "mask_gen_algorithm": {
            "algorithm": draw(st.sampled_from(["mgf1", "1.2.840.113549.1.1.9"])),
            "parameters": mgf_params,
        },
        "salt_length": draw(st.one_of(st.integers(0, 600), st.integers(-(2**70), 2**80))),
        "trailer_field": draw(st.sampled_from(["trailer_field_bc", 2])),
    }
    if draw(st.booleans()):
        del params["trailer_field"]
    return params


@st.composite
def signer_edits(draw) -> dict:
    oid = draw(st.sampled_from(SIGNATURE_OIDS))
    edit: dict = {"signature_algorithm": {"algorithm": oid}}
    if oid == "rsassa_pss":
        params = draw(pss_parameters())
        if params is not None:
            edit["signature_algorithm"]["parameters"] = params
    elif draw(st.booleans()):
        edit["signature_algorithm"]["parameters"] = core.Null()
    if draw(st.booleans()):
        edit["digest_algorithm"] = {"algorithm": draw(st.sampled_from(HASH_NAMES))}
    edit["signature"] = draw(
        st.sampled_from(["keep", "empty", "random", "odd", "huge"]).flatmap(
            lambda how: st.just(how) if how != "random" else st.binary(min_size=1, max_size=600)
        )
    )
    edit["nested_attribute"] = draw(st.one_of(st.none(), nested()))
    return edit


def _apply(info: cms.ContentInfo, edit: dict) -> bytes:
    signer = info["content"]["signer_infos"][0]
    signature = signer["signature"].native
    signer["signature_algorithm"] = algos.SignedDigestAlgorithm(edit["signature_algorithm"])
    if "digest_algorithm" in edit:
        signer["digest_algorithm"] = algos.DigestAlgorithm(edit["digest_algorithm"])
    how = edit["signature"]
    if isinstance(how, bytes):
        signature = how
    elif how == "empty":
        signature = b""
    elif how == "odd":
        signature = signature[:-1]
    elif how == "huge":
        signature = signature * 64
    signer["signature"] = signature
    if edit["nested_attribute"] is not None:
        attrs = signer["signed_attrs"]
        attrs.append(
            cms.CMSAttribute({"type": "1.2.3.4", "values": [core.Any.load(edit["nested_attribute"])]})
        )
    return encode_tlv(SOD_TAG, info.dump(force=True))


@pytest.mark.parametrize("kind", ["ec", "rsa", "rsa-pss"])
def test_passive_authentication_returns_verdicts_for_any_algorithm_and_parameters(pkis, files, kind) -> None:
    pki, trust = pkis[kind]
    genuine = build_sod(_groups(files), pki.ds_key, pki.ds_cert, rsa_pss=kind == "rsa-pss")

    @DEEP
    @given(signer_edits())
    def run(edit: dict) -> None:
        try:
            forged = _apply(_sod_info(genuine), edit)
        except (ValueError, TypeError, OverflowError):
            return  # asn1crypto would not even encode it; a card cannot send it this way
        result = verify(forged, _groups(files), trust)
        assert isinstance(result, PassiveAuthResult)
        if result.passed:  # only an untouched algorithm and signature may pass
            assert edit["signature"] == "keep" and edit["nested_attribute"] is None

    run()


def test_passive_authentication_on_hostile_sod_bytes(pkis, files) -> None:
    _, trust = pkis["ec"]

    @DEEP
    @given(HOSTILE, st.booleans())
    def run(inner: bytes, wrap: bool) -> None:
        result = verify(encode_tlv(SOD_TAG, inner) if wrap else inner, _groups(files), trust)
        assert isinstance(result, PassiveAuthResult) and not result.passed

    run()
