"""The typed CitizenIdentity from chip (DG1 + DG13), QR code and MRZ."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pytest

from devkit.cccd import lds_build
from devkit.cccd.testcard import TestPerson
from kiosk.cccd import Gender, IdentitySource, build_identity, parse_dg1, parse_dg13, parse_qr
from kiosk.cccd.errors import QrError
from kiosk.cccd.identity import identity_from_mrz
from kiosk.cccd.mrz import parse_td1

PERSON = TestPerson.default()
ADDRESS = "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"


def _chip(person: TestPerson = PERSON, **dg13_overrides: str | None):
    fields = {
        1: person.personal_number,
        2: person.full_name,
        3: person.date_of_birth.strftime("%d/%m/%Y"),
        4: "Nữ",
        5: "Việt Nam",
        6: "Kinh",
        7: "Không",
        8: person.place_of_origin,
        9: person.place_of_residence,
        10: person.identifying_marks,
        11: "15/08/2021",
        12: "26/02/2036",
    }
    for key, value in dg13_overrides.items():
        fields[int(key.removeprefix("f"))] = value
    dg1 = parse_dg1(lds_build.build_dg1(person.mrz_text()))
    dg13 = parse_dg13(lds_build.build_dg13(fields, father="Nguyễn Văn Hùng", mother="Trần Thị Lan"))
    return dg1, dg13


def test_chip_identity_merges_dg1_and_dg13() -> None:
    identity = build_identity(*_chip())
    assert identity.source is IdentitySource.CHIP
    assert identity.full_name == "Nguyễn Thị Hồng Nhung"  # DG13 (diacritics) beats the MRZ
    assert identity.document_number == "196012345"  # from the MRZ
    assert identity.date_of_birth == date(1996, 2, 26) and identity.gender is Gender.FEMALE
    assert identity.expiry_date == date(2036, 2, 26)
    assert not identity.partial and identity.conflicts == ()
    payload = identity.to_json_dict()
    assert json.loads(json.dumps(payload, ensure_ascii=False)) == payload
    assert payload["date_of_birth"] == "1996-02-26" and payload["gender"] == "female"
    assert payload["source"] == "chip" and payload["partial"] is False
    assert "Nguyễn" not in repr(identity) and "079196012345" not in repr(identity)


def test_mrz_fills_what_dg13_lacks_and_conflicts_are_listed() -> None:
    dg1, dg13 = _chip(f3=None, f12="01/01/2040", f1="079196099999")
    identity = build_identity(dg1, dg13)
    assert identity.date_of_birth == date(1996, 2, 26)  # from the MRZ
    assert set(identity.conflicts) == {"personal_number", "expiry_date"}
    assert identity.personal_number == "079196099999"  # DG13 value kept, conflict flagged


def test_missing_dg13_gives_a_partial_result_listing_fields() -> None:
    identity = build_identity(parse_dg1(lds_build.build_dg1(PERSON.mrz_text())), None)
    assert identity.partial
    assert identity.full_name == "NGUYEN THI HONG NHUNG"
    assert "place_of_residence" in identity.missing_fields and "father_name" in identity.missing_fields
    assert "date_of_birth" not in identity.missing_fields


def test_no_expiry_card_is_not_partial() -> None:
    dg1, dg13 = _chip(f12="Không thời hạn")
    identity = build_identity(dg1, dg13)
    assert identity.no_expiry and identity.expiry_date is None
    assert "expiry_date" not in identity.missing_fields and not identity.partial


def test_dg13_only_identity_derives_the_document_number() -> None:
    _, dg13 = _chip()
    identity = build_identity(None, dg13)
    assert identity.document_number == "196012345" and not identity.partial


def test_mrz_only_identity() -> None:
    identity = identity_from_mrz(parse_td1(PERSON.mrz_text()))
    assert identity.source is IdentitySource.MRZ
    assert (identity.personal_number, identity.nationality) == ("079196012345", "VNM")
    assert not identity.partial


def test_qr_seven_field_layout() -> None:
    identity = parse_qr(PERSON.qr_text())
    assert identity.source is IdentitySource.QR
    assert identity.personal_number == "079196012345" and identity.old_id_number == "025912345"
    assert identity.full_name == "Nguyễn Thị Hồng Nhung" and identity.place_of_residence == ADDRESS
    assert identity.date_of_birth == date(1996, 2, 26) and identity.issue_date == date(2021, 8, 15)
    assert identity.gender is Gender.FEMALE and identity.document_number == "196012345"
    assert not identity.partial


def test_qr_six_field_layout_with_slashed_dates_and_nfd_gender() -> None:
    text = f"001089012345|Trần Văn Đức|05/11/1989|Nam|{ADDRESS}|20/04/2022\n"
    identity = parse_qr(text)
    assert (identity.personal_number, identity.old_id_number) == ("001089012345", None)
    assert identity.date_of_birth == date(1989, 11, 5) and identity.gender is Gender.MALE
    assert parse_qr(text.replace("Nam", unicodedata.normalize("NFD", "Nữ"))).gender is Gender.FEMALE


def test_qr_empty_fields_are_missing_not_errors() -> None:
    identity = parse_qr("079196012345||Nguyễn Thị Hồng Nhung|26021996|Nữ||")
    assert identity.missing_fields == ("place_of_residence", "issue_date") and identity.partial


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "fields"),
        ("079196012345|a|b", "fields"),
        ("07919601234|025912345|A|26021996|Nữ|X|15082021", "12 digits"),
        ("079196012345|02591|A|26021996|Nữ|X|15082021", "old ID"),
        ("079196012345|025912345|A|31021996|Nữ|X|15082021", "date"),
        ("079196012345|025912345|A|26021996|Khác|X|15082021", "gender"),
        ("079196012345|" * 300, "characters"),
    ],
)
def test_qr_rejects_off_layout_text(text: str, reason: str) -> None:
    with pytest.raises(QrError, match=reason):
        parse_qr(text)


def test_mrz_with_valid_check_digits_but_impossible_date_is_flagged_not_fatal() -> None:
    from kiosk.cccd.mrz_format import format_td1

    text = format_td1(
        document_number="196012345", birth_yymmdd="960231", sex="F", expiry_yymmdd="360226",
        surname="Nguyen", given_names="Thi",
    )  # fmt: skip
    identity = identity_from_mrz(parse_td1(text))
    assert identity.date_of_birth is None and identity.invalid_fields == ("date_of_birth",)
    assert identity.partial
