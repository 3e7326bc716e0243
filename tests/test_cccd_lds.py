"""LDS parsers: BER-TLV, EF.COM, DG1, DG2, DG13, SecurityInfos, DG15."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import cv2
import numpy as np
import pytest
from asn1crypto import core
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devkit.cccd import lds_build
from devkit.cccd.testcard import TestPerson, default_portrait
from kiosk.cccd import parse_com, parse_dg1, parse_dg2, parse_dg13
from kiosk.cccd.dg2 import ImageFormat, build_dg2
from kiosk.cccd.dg14 import parse_dg14, parse_security_infos
from kiosk.cccd.dg15 import parse_dg15
from kiosk.cccd.errors import ComError, Dg1Error, Dg2Error, Dg13Error, SecurityInfoError, TlvError
from kiosk.cccd.identity import build_identity
from kiosk.cccd.tlv import encode_tlv, parse_all, read_tlv, unwrap
from kiosk.cccd.values import Gender

PERSON = TestPerson.default()
FULL_FIELDS: dict[int, str | None] = {
    1: "079196012345",
    2: "Nguyễn Thị Hồng Nhung",
    3: "26/02/1996",
    4: "Nữ",
    5: "Việt Nam",
    6: "Kinh",
    7: "Không",
    8: "Xã Hòa Phước, Huyện Hòa Vang, Thành phố Đà Nẵng",
    9: "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
    10: "Nốt ruồi C:1cm trên trước đầu lông mày trái",
    11: "15/08/2021",
    12: "26/02/2036",
    15: "025912345",
}


# --- BER-TLV -------------------------------------------------------------------------


def test_tlv_reads_icao_multibyte_tags_that_der_would_reject() -> None:
    item = read_tlv(bytes.fromhex("5F0104303130375C02616D"))
    assert (item.tag, item.value, item.encoded_length) == (0x5F01, b"0107", 7)
    assert [t.tag for t in parse_all(bytes.fromhex("5F0104303130375C02616D"))] == [0x5F01, 0x5C]


@pytest.mark.parametrize("size", [0, 1, 127, 128, 255, 256, 65535, 70000])
def test_tlv_length_forms_round_trip(size: int) -> None:
    value = bytes(range(256)) * (size // 256) + bytes(size % 256)
    encoded = encode_tlv(0x7F61, value)
    item = read_tlv(encoded)
    assert (item.tag, item.constructed, item.value, item.encoded_length) == (
        0x7F61,
        True,
        value,
        len(encoded),
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x61",
        b"\x61\x05abc",
        b"\x5f",
        b"\x5f\x9f\x9f\x1f\x00",
        b"\x61\x80\x00\x00",
        b"\x61\x85\x00\x00\x00\x00\x01a",
        b"\x61\x82\x01",
    ],
)
def test_tlv_malformed_input_raises_tlv_error(data: bytes) -> None:
    with pytest.raises(TlvError):
        read_tlv(data)


def test_unwrap_checks_the_outer_tag_and_tolerates_padding_after_it() -> None:
    assert unwrap(encode_tlv(0x61, b"x") + b"\x00\x00", 0x61, "DG1").value == b"x"
    with pytest.raises(TlvError, match="expected 6D"):
        unwrap(encode_tlv(0x61, b"x"), 0x6D, "DG13")


# --- EF.COM / DG1 ----------------------------------------------------------------------


def test_com_lists_data_groups_and_keeps_unknown_tags() -> None:
    com = parse_com(lds_build.build_com([1, 2, 13, 14, 15]))
    assert (com.lds_version, com.unicode_version, com.data_groups) == ("0107", "040000", (1, 2, 13, 14, 15))
    odd = encode_tlv(0x60, encode_tlv(0x5C, b"\x61\x99"))
    assert parse_com(odd).unknown_tags == (0x99,)
    with pytest.raises(ComError, match="tag list"):
        parse_com(encode_tlv(0x60, encode_tlv(0x5F01, b"0107")))


def test_dg1_parses_the_cccd_mrz() -> None:
    dg1 = parse_dg1(lds_build.build_dg1(PERSON.mrz_text()))
    assert dg1.mrz.personal_number == "079196012345"
    assert dg1.mrz.bac_key_info() == PERSON.bac_key_info()


def test_dg1_with_a_broken_check_digit_is_rejected_with_the_field_named() -> None:
    mrz = PERSON.mrz_text().replace("\n", "")
    broken = mrz[:44] + ("0" if mrz[44] != "0" else "1") + mrz[45:]
    with pytest.raises(Dg1Error, match="date of expiry"):
        parse_dg1(encode_tlv(0x61, encode_tlv(0x5F1F, broken.encode())))
    with pytest.raises(Dg1Error, match="expected TD1"):
        parse_dg1(encode_tlv(0x61, encode_tlv(0x5F1F, mrz[:87].encode())))
    with pytest.raises(Dg1Error, match="TD3 MRZ starts with 'P'"):  # 88 characters: read as a passport's
        parse_dg1(encode_tlv(0x61, encode_tlv(0x5F1F, mrz[:88].encode())))


# --- DG2 ---------------------------------------------------------------------------------


def test_dg2_returns_the_committed_jpeg_byte_exact() -> None:
    photo = default_portrait()
    assert 12_000 <= len(photo) <= 15_500
    face = parse_dg2(build_dg2(photo, 240, 320))
    assert (face.image, face.format, face.width, face.height) == (photo, ImageFormat.JPEG, 240, 320)
    assert "bytes" in repr(face) and str(photo[:20]) not in repr(face)


def test_dg2_detects_jpeg2000_by_magic_bytes() -> None:
    image = cv2.imdecode(np.frombuffer(default_portrait(), np.uint8), cv2.IMREAD_COLOR)
    ok, encoded = cv2.imencode(".jp2", image, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 100])
    assert ok
    jp2 = encoded.tobytes()
    face = parse_dg2(build_dg2(jp2, 240, 320))
    assert face.format is ImageFormat.JPEG2000 and face.image == jp2
    assert cv2.imdecode(np.frombuffer(face.image, np.uint8), cv2.IMREAD_COLOR).shape == (320, 240, 3)


def test_dg2_falls_back_to_a_signature_scan_when_the_19794_header_is_off() -> None:
    photo = default_portrait()
    record = b"FAC\x00010\x00" + b"\x00" * 30 + photo  # lengths all zero: non-conforming
    dg2 = encode_tlv(
        0x75, encode_tlv(0x7F61, encode_tlv(0x02, b"\x01") + encode_tlv(0x7F60, encode_tlv(0x5F2E, record)))
    )
    face = parse_dg2(dg2)
    assert face.image == photo and face.width is None


def test_dg2_without_an_image_is_a_typed_error() -> None:
    with pytest.raises(Dg2Error, match="no biometric data block"):
        parse_dg2(encode_tlv(0x75, encode_tlv(0x7F61, encode_tlv(0x02, b"\x00"))))
    empty_block = encode_tlv(
        0x75, encode_tlv(0x7F61, encode_tlv(0x7F60, encode_tlv(0x5F2E, b"FAC\x00" + b"\x01" * 60)))
    )
    with pytest.raises(Dg2Error, match="no JPEG"):
        parse_dg2(empty_block)
    with pytest.raises(Dg2Error):
        build_dg2(b"GIF89a", 1, 1)


# --- DG13 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["separate", "combined"])
def test_dg13_all_fields_in_both_parent_layouts(layout: str) -> None:
    dg13 = parse_dg13(
        lds_build.build_dg13(
            FULL_FIELDS, father="Nguyễn Văn Hùng", mother="Trần Thị Lan", parents_layout=layout, spouse=""
        )
    )
    assert dg13.personal_number == "079196012345"
    assert dg13.full_name == "Nguyễn Thị Hồng Nhung"
    assert dg13.date_of_birth == date(1996, 2, 26)
    assert dg13.gender is Gender.FEMALE
    assert (dg13.nationality, dg13.ethnicity, dg13.religion) == ("Việt Nam", "Kinh", "Không")
    assert dg13.place_of_residence == "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"
    assert (dg13.issue_date, dg13.expiry_date) == (date(2021, 8, 15), date(2036, 2, 26))
    assert (dg13.father_name, dg13.mother_name, dg13.spouse_name) == ("Nguyễn Văn Hùng", "Trần Thị Lan", None)
    assert dg13.old_id_number == "025912345"
    assert dg13.missing_fields == () and dg13.invalid_fields == ()
    assert "Nguyễn" not in repr(dg13)


@pytest.mark.parametrize("layout", ["separate", "combined"])
def test_dg13_unknown_father_keeps_the_mother_in_her_slot(layout: str) -> None:
    dg13 = parse_dg13(
        lds_build.build_dg13(FULL_FIELDS, father="", mother="Trần Thị Lan", parents_layout=layout)
    )
    assert (dg13.father_name, dg13.mother_name) == (None, "Trần Thị Lan")
    assert dg13.missing_fields == ("father_name",)


def test_dg13_missing_and_empty_fields_are_recorded() -> None:
    fields = dict(FULL_FIELDS)
    del fields[7]
    fields[9] = None  # number present, no value
    fields[10] = "   "
    dg13 = parse_dg13(lds_build.build_dg13(fields))
    assert dg13.religion is None and dg13.place_of_residence is None
    assert dg13.missing_fields == (
        "religion",
        "place_of_residence",
        "identifying_marks",
        "father_name",
        "mother_name",
    )


def test_dg13_extra_fields_wrappers_and_repeats_are_tolerated() -> None:
    def field(number: int, *values: bytes) -> bytes:
        return core.Sequence(contents=core.Integer(number).dump() + b"".join(values)).dump()

    text = lambda s: core.UTF8String(s).dump()  # noqa: E731
    items = [field(n, text(v)) for n, v in FULL_FIELDS.items() if v]
    items += [
        field(16, text("ABCDEF0123456789")),
        field(42, text("future field")),
        field(2, text("Someone Else")),
    ]
    inner = core.Sequence(
        contents=core.Integer(1).dump()
        + core.ObjectIdentifier("1.0.10646.1.0.8").dump()
        + core.Set(contents=b"".join(items)).dump()
    ).dump()
    wrapped = encode_tlv(0x6D, core.Sequence(contents=inner).dump())  # extra outer SEQUENCE
    dg13 = parse_dg13(wrapped)
    assert dg13.full_name == "Nguyễn Thị Hồng Nhung"  # first occurrence wins
    assert dg13.field_16 == "ABCDEF0123456789"
    assert dg13.raw_fields[42] == ("future field",)


def test_dg13_no_expiry_and_unparseable_values() -> None:
    fields = {**FULL_FIELDS, 12: "Không thời hạn", 3: "1996", 4: "Khác"}
    dg13 = parse_dg13(lds_build.build_dg13(fields, father="A", mother="B"))
    assert dg13.no_expiry and dg13.expiry_date is None
    assert dg13.date_of_birth is None and dg13.gender is None
    assert dg13.invalid_fields == ("gender", "date_of_birth")
    assert "expiry_date" not in dg13.missing_fields
    assert dg13.raw_fields[3] == ("1996",)


def test_dg13_text_survives_byte_exact_in_any_unicode_normal_form() -> None:
    """Whatever normal form the chip uses, JSON carries exactly the chip's characters."""
    for form in ("NFC", "NFD"):
        name = unicodedata.normalize(form, "Nguyễn Thị Hồng Nhung")
        address = unicodedata.normalize(form, "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh")
        dg13 = parse_dg13(lds_build.build_dg13({**FULL_FIELDS, 2: name, 9: address}, father="X", mother="Y"))
        dg1 = parse_dg1(lds_build.build_dg1(PERSON.mrz_text()))
        payload = json.loads(json.dumps(build_identity(dg1, dg13).to_json_dict(), ensure_ascii=False))
        assert payload["full_name"] == name and payload["full_name"].encode() == name.encode()
        assert payload["place_of_residence"].encode("utf-8") == address.encode("utf-8")


@pytest.mark.parametrize(
    "data",
    [
        encode_tlv(0x61, b"\x30\x00"),
        encode_tlv(0x6D, b"\x30\x03\x02\x01"),
        encode_tlv(0x6D, core.Sequence(contents=core.Integer(1).dump() + b"\x0c\x02\xff\xfe").dump()),
        encode_tlv(0x6D, core.Set(contents=core.Sequence(contents=b"\x02\x00\x0c\x01a").dump()).dump()),
    ],
)
def test_dg13_malformed_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(Dg13Error):
        parse_dg13(data)


def test_dg13_structure_without_fields_gives_everything_missing() -> None:
    header = core.Integer(1).dump() + core.ObjectIdentifier("1.0.10646.1.0.8").dump()
    dg13 = parse_dg13(encode_tlv(0x6D, core.Sequence(contents=header).dump()))
    assert len(dg13.missing_fields) == 14 and dg13.raw_fields == {}


# --- SecurityInfos / DG15 ------------------------------------------------------------------------


def test_card_access_pace_info() -> None:
    infos = parse_security_infos(lds_build.build_card_access([lds_build.pace_info(12)]))
    assert [(p.protocol, p.version, p.parameter_id) for p in infos.pace] == [
        ("0.4.0.127.0.7.2.2.4.2.2", 2, 12)
    ]


def test_dg14_classifies_chip_authentication_and_unknown_entries() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    from cryptography.hazmat.primitives import serialization

    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    seq = lambda *p: core.Sequence(contents=b"".join(p)).dump()  # noqa: E731
    oid = lambda o: core.ObjectIdentifier(o).dump()  # noqa: E731
    infos = core.Set(
        contents=seq(oid("0.4.0.127.0.7.2.2.1.2"), spki)
        + seq(oid("0.4.0.127.0.7.2.2.3.2.2"), core.Integer(1).dump())
        + seq(oid("2.23.136.1.1.5"), core.Integer(1).dump(), oid("0.4.0.127.0.7.1.1.4.1.3"))
        + seq(oid("1.2.3.4"), core.Null().dump())
    ).dump()
    parsed = parse_dg14(encode_tlv(0x6E, infos))
    assert parsed.chip_authentication_keys[0].public_key_info == spki
    assert parsed.chip_authentication[0].version == 1
    assert parsed.active_authentication[0].signature_algorithm == "0.4.0.127.0.7.1.1.4.1.3"
    assert parsed.other == ("1.2.3.4",)
    with pytest.raises(SecurityInfoError):
        parse_dg14(encode_tlv(0x6E, b"\x31\x03\x30\x01\x06"))


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_dg15_active_authentication_key(kind: str) -> None:
    from cryptography.hazmat.primitives import serialization

    private = (
        ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 1024)
    )
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    parsed = parse_dg15(lds_build.build_dg15(spki))
    assert parsed.algorithm == kind and parsed.public_key_info == spki
    assert parsed.key is not None and parsed.key.public_numbers() == private.public_key().public_numbers()
    with pytest.raises(SecurityInfoError):
        parse_dg15(lds_build.build_dg15(spki[:-3]))
