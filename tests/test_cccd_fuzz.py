"""Fuzz tests: malformed card / QR / MRZ input only ever raises the module's typed error.

Card data is attacker-controlled.  Any other exception type escaping a parser
(IndexError, UnicodeDecodeError, asn1crypto's ValueError...) would crash the
kiosk read loop instead of producing a clear "bad card" result.  Runs are
derandomized so CI is deterministic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from functools import cache

import pytest
from asn1crypto import core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.cccd import lds_build
from devkit.cccd.testcard import (
    FID_CARD_ACCESS,
    FID_COM,
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG15,
    FID_SOD,
    TestPerson,
    TestPki,
    build_card_files,
)
from kiosk.cccd import parse_com, parse_dg1, parse_dg2, parse_dg13, parse_qr
from kiosk.cccd.dg14 import parse_dg14, parse_security_infos
from kiosk.cccd.dg15 import parse_dg15
from kiosk.cccd.errors import (
    ComError,
    Dg1Error,
    Dg2Error,
    Dg13Error,
    MrzError,
    QrError,
    SecurityInfoError,
    SodError,
    TlvError,
)
from kiosk.cccd.identity import identity_from_mrz
from kiosk.cccd.mrz import BacKeyInfo, check_digit, parse_td1
from kiosk.cccd.passive_auth import verify
from kiosk.cccd.sod import parse_sod
from kiosk.cccd.tlv import encode_tlv, parse_all
from kiosk.cccd.trust_store import TrustStore

# CCCD_FUZZ_EXAMPLES raises the budget for a longer local campaign; CI keeps 300.
FUZZ = settings(
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("CCCD_FUZZ_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PERSON = TestPerson.default()


@cache
def _card(directory: str) -> tuple[dict[int, bytes], TrustStore]:
    pki = TestPki.generate(directory)
    files = build_card_files(PERSON, pki, aa_key=pki.ds_key)
    return files, TrustStore.from_directory(pki.trust_dir)


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, bytes], TrustStore]:
    return _card(str(tmp_path_factory.mktemp("fuzz-pki")))


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) edits: flip, set, truncate, insert, delete."""
    out = bytearray(data)
    for kind, pos, value in ops:
        if not out:
            out.append(value)
            continue
        i = pos % len(out)
        if kind == 0:
            out[i] ^= 1 << (value % 8)
        elif kind == 1:
            out[i] = value
        elif kind == 2:
            del out[i:]
        elif kind == 3:
            out[i:i] = bytes([value]) * (1 + value % 4)
        else:
            del out[i : i + 1 + value % 8]
    return bytes(out)


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6
)

# (parser, the one error type it may raise, file id of a valid sample)
BYTE_PARSERS: list[tuple[Callable[[bytes], object], type[Exception], int]] = [
    (parse_all, TlvError, FID_DG13),
    (parse_com, ComError, FID_COM),
    (parse_dg1, Dg1Error, FID_DG1),
    (parse_dg2, Dg2Error, FID_DG2),
    (parse_dg13, Dg13Error, FID_DG13),
    (parse_security_infos, SecurityInfoError, FID_CARD_ACCESS),
    (parse_dg15, SecurityInfoError, FID_DG15),
    (parse_sod, SodError, FID_SOD),
]
IDS = [p.__name__ for p, _, _ in BYTE_PARSERS]


@pytest.mark.parametrize(("parser", "error", "fid"), BYTE_PARSERS, ids=IDS)
def test_random_bytes_raise_only_the_typed_error(parser, error, fid, card) -> None:
    @FUZZ
    @given(st.binary(max_size=400))
    def run(data: bytes) -> None:
        with contextlib.suppress(error):
            parser(data)

    run()


@pytest.mark.parametrize(("parser", "error", "fid"), BYTE_PARSERS, ids=IDS)
def test_mutated_valid_files_raise_only_the_typed_error(parser, error, fid, card) -> None:
    files, _ = card
    sample = files[fid]

    @FUZZ
    @given(MUTATIONS)
    def run(ops: list[tuple[int, int, int]]) -> None:
        with contextlib.suppress(error):
            parser(_mutate(sample, ops))

    run()


def test_dg14_random_bytes_inside_a_valid_wrapper() -> None:
    @FUZZ
    @given(st.binary(max_size=300))
    def run(data: bytes) -> None:
        with contextlib.suppress(SecurityInfoError):
            parse_dg14(encode_tlv(0x6E, data))

    run()


# Random DER trees, so DG13's generic walker meets deep and odd structures that are
# still well-formed TLV (random bytes rarely get past the outer tag).
_LEAVES = st.one_of(
    st.integers(-(2**70), 2**70).map(lambda n: core.Integer(n).dump()),
    st.integers(0, 40).map(lambda n: core.Integer(n).dump()),
    st.text(max_size=30).map(lambda s: core.UTF8String(s).dump()),
    st.binary(max_size=20).map(lambda b: encode_tlv(0x0C, b)),
    st.binary(max_size=20).map(lambda b: encode_tlv(0x1E, b)),
    st.binary(max_size=20).map(lambda b: encode_tlv(0x13, b)),
    st.just(core.ObjectIdentifier("1.0.10646.1.0.8").dump()),
    st.binary(max_size=8).map(lambda b: encode_tlv(0x02, b)),
    st.binary(max_size=12),
)


def _constructed(kids: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda tag, items: encode_tlv(tag, b"".join(items)),
        st.sampled_from([0x30, 0x31, 0xA0]),
        st.lists(kids, max_size=6),
    )


_TREES = st.recursive(_LEAVES, _constructed, max_leaves=40)


def test_dg13_random_der_trees() -> None:
    @FUZZ
    @given(_TREES)
    def run(tree: bytes) -> None:
        try:
            result = parse_dg13(encode_tlv(0x6D, tree))
        except Dg13Error:
            return
        assert set(result.missing_fields) <= {
            "personal_number", "full_name", "date_of_birth", "gender", "nationality", "ethnicity",
            "religion", "place_of_origin", "place_of_residence", "identifying_marks", "issue_date",
            "expiry_date", "father_name", "mother_name",
        }  # fmt: skip

    run()


def test_dg13_any_unicode_text_round_trips_exactly() -> None:
    @FUZZ
    @given(st.dictionaries(st.integers(1, 16).filter(lambda n: n not in (13, 14)), st.text(max_size=60)))
    def run(fields: dict[int, str]) -> None:
        # PrintableString fields (1, 15) only take ASCII; write everything as UTF-8 here.
        body = b"".join(
            core.Sequence(contents=core.Integer(n).dump() + core.UTF8String(v).dump()).dump()
            for n, v in fields.items()
        )
        header = core.Integer(1).dump() + core.ObjectIdentifier("1.0.10646.1.0.8").dump()
        dg13 = parse_dg13(
            encode_tlv(0x6D, core.Sequence(contents=header + core.Set(contents=body).dump()).dump())
        )
        for number, value in fields.items():
            assert dg13.raw_fields[number] == (value,)
        if fields.get(2, "").strip():
            assert dg13.full_name == fields[2].strip()

    run()


def test_sod_verification_of_mutated_sods_never_raises(card) -> None:
    files, trust = card
    groups = {1: files[FID_DG1], 13: files[FID_DG13]}

    @settings(FUZZ, max_examples=max(150, FUZZ.max_examples // 2))
    @given(MUTATIONS)
    def run(ops: list[tuple[int, int, int]]) -> None:
        mutated = _mutate(files[FID_SOD], ops)
        result = verify(mutated, groups, trust)
        if mutated != files[FID_SOD]:
            assert not result.passed or result.hashes.value == "ok"

    run()


_MRZ_ALPHABET = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<\n")


def test_mrz_parser_on_mrz_shaped_and_arbitrary_text() -> None:
    valid = PERSON.mrz_text()

    @FUZZ
    @given(
        st.one_of(
            st.text(_MRZ_ALPHABET, min_size=85, max_size=95),
            st.text(max_size=100),
            st.lists(st.tuples(st.integers(0, 92), st.characters()), min_size=1, max_size=4).map(
                lambda edits: "".join(
                    dict(enumerate(valid)).get(i, "") if i not in dict(edits) else dict(edits)[i]
                    for i in range(len(valid))
                )
            ),
        )
    )
    def run(text: str) -> None:
        try:
            mrz = parse_td1(text)
        except MrzError:
            return
        assert len(mrz.lines) == 3 and mrz.bac_key_info().mrz_information()
        identity = identity_from_mrz(mrz)  # a check-digit-valid MRZ always yields a result
        assert identity.document_number == (mrz.document_number or None)

    run()


def test_check_digit_and_bac_input_on_arbitrary_text() -> None:
    @FUZZ
    @given(st.text(max_size=20), st.text(max_size=8), st.text(max_size=8))
    def run(doc: str, birth: str, expiry: str) -> None:
        with contextlib.suppress(MrzError):
            assert check_digit(doc) in "0123456789"
        try:
            seed = BacKeyInfo(doc, birth, expiry).key_seed()
            assert len(seed) == 16
        except MrzError:
            pass

    run()


def test_qr_parser_on_pipe_separated_and_arbitrary_text() -> None:
    field = st.one_of(
        st.text(max_size=25),
        st.from_regex(r"\d{12}", fullmatch=True),
        st.from_regex(r"\d{9}", fullmatch=True),
        st.from_regex(r"\d{2}/?\d{2}/?\d{4}", fullmatch=True),
        st.sampled_from(["Nam", "Nữ", "", "Không"]),
    )

    @FUZZ
    @given(st.one_of(st.lists(field, min_size=4, max_size=9).map("|".join), st.text(max_size=300)))
    def run(text: str) -> None:
        try:
            identity = parse_qr(text)
        except QrError:
            return
        assert identity.personal_number is not None and len(identity.personal_number) == 12

    run()


def test_lds_builders_and_parsers_agree_on_generated_com_lists() -> None:
    @FUZZ
    @given(st.lists(st.sampled_from([1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16]), unique=True, max_size=11))
    def run(groups: list[int]) -> None:
        assert parse_com(lds_build.build_com(groups)).data_groups == tuple(groups)

    run()
