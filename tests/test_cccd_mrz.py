"""MRZ: ICAO 9303 check digits, TD1 parsing, CCCD line-1 layout, BAC key input."""

from __future__ import annotations

import pytest

from kiosk.cccd.errors import MrzCheckDigitError, MrzError
from kiosk.cccd.mrz import BacKeyInfo, can_from_personal_number, check_digit, parse_td1, yymmdd_to_date
from kiosk.cccd.mrz_format import cccd_optional_data, format_td1, transliterate

# ICAO 9303-3/-5/-11 worked examples.
ICAO_TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
ICAO_TD1_LONG_DOC = (
    "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<"
)


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("L898902C<", "3"),
        ("690806", "1"),
        ("940623", "6"),
        ("D23145890", "7"),
        ("740812", "2"),
        ("120415", "9"),
        ("520727", "3"),
        ("<<<<<<<<<", "0"),
        ("", "0"),
    ],
)
def test_check_digit_known_answers(field: str, digit: str) -> None:
    assert check_digit(field) == digit


def test_check_digit_rejects_characters_outside_the_mrz_alphabet() -> None:
    with pytest.raises(MrzError):
        check_digit("abc")


def test_bac_key_seed_matches_icao_9303_11_worked_example() -> None:
    info = BacKeyInfo("L898902C", "690806", "940623")
    assert info.mrz_information() == "L898902C<369080619406236"
    assert info.key_seed().hex().upper() == "239AB9CB282DAF66231DC5A4DF6BFBAE"


def test_bac_key_info_for_cccd_uses_last_nine_digits_of_the_id() -> None:
    info = BacKeyInfo.from_personal_number("079196012345", "960226", "360226")
    assert info.document_number == "196012345"
    assert info.mrz_information() == "196012345" + check_digit("196012345") + "9602267" + "3602265"


@pytest.mark.parametrize(
    ("doc", "birth", "expiry"),
    [
        ("19601234x", "960226", "360226"),
        ("", "960226", "360226"),
        ("196012345", "961326", "360226"),
        ("196012345", "96022", "360226"),
    ],
)
def test_bac_key_info_rejects_malformed_input(doc: str, birth: str, expiry: str) -> None:
    with pytest.raises(MrzError):
        BacKeyInfo(doc, birth, expiry)


def test_can_is_last_six_digits_of_the_personal_number() -> None:
    assert can_from_personal_number("079196012345") == "012345"
    for bad in ("07919601234", "07919601234a", "０７９１９６０１２３４５"):
        with pytest.raises(MrzError):
            can_from_personal_number(bad)


def test_parse_icao_td1_example() -> None:
    mrz = parse_td1(ICAO_TD1)
    assert (mrz.document_code, mrz.issuing_state, mrz.document_number) == ("I", "UTO", "D23145890")
    assert (mrz.birth_yymmdd, mrz.sex, mrz.expiry_yymmdd, mrz.nationality) == ("740812", "F", "120415", "UTO")
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.personal_number is None


def test_parse_td1_long_document_number_continues_in_optional_data() -> None:
    mrz = parse_td1(ICAO_TD1_LONG_DOC)
    assert mrz.document_number == "D23145890734"
    assert mrz.bac_key_info().mrz_information() == "D23145890734" + "9" + "3407127" + "9507122"


def test_parse_td1_accepts_one_90_character_line_as_stored_in_dg1() -> None:
    assert parse_td1(ICAO_TD1.replace("\n", "")) == parse_td1(ICAO_TD1)


@pytest.mark.parametrize(
    ("position", "field"),
    [(14, "document number"), (36, "date of birth"), (44, "date of expiry"), (59, "composite")],
)
def test_each_wrong_check_digit_is_reported_by_field(position: int, field: str) -> None:
    flat = ICAO_TD1.replace("\n", "")
    wrong = "0" if flat[position] != "0" else "1"
    broken = flat[:position] + wrong + flat[position + 1 :]
    with pytest.raises(MrzCheckDigitError) as excinfo:
        parse_td1(broken)
    assert excinfo.value.field == field


def test_cccd_line_one_layout_round_trips() -> None:
    text = format_td1(
        document_number="196012345",
        birth_yymmdd="960226",
        sex="F",
        expiry_yymmdd="360226",
        surname="Nguyễn",
        given_names="Thị Hồng Nhung",
        optional_data_1=cccd_optional_data("079196012345"),
    )
    line1, line2, line3 = text.split("\n")
    assert line1 == "IDVNM1960123453079196012345<<" + check_digit("079196012345")
    assert line3 == "NGUYEN<<THI<HONG<NHUNG<<<<<<<<"
    mrz = parse_td1(text)
    assert mrz.document_number == "196012345"
    assert mrz.personal_number == "079196012345"
    assert mrz.personal_number_check_ok is True
    assert mrz.name == "NGUYEN THI HONG NHUNG"
    assert line2.startswith("9602267F3602265VNM")


def test_transliteration_of_vietnamese_names() -> None:
    assert transliterate("Đặng Thị Ngọc Ánh") == "DANG<THI<NGOC<ANH"
    assert transliterate("Trương Văn Được") == "TRUONG<VAN<DUOC"
    with pytest.raises(MrzError):
        transliterate("Nguyễn@")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "IDVNM",
        ICAO_TD1.lower(),
        ICAO_TD1 + "\nEXTRA<LINE<<<<<<<<<<<<<<<<<<<<",
        ICAO_TD1.replace("ERIKSSON", "ERIKSSÖN"),
    ],
)
def test_parse_td1_rejects_malformed_text(text: str) -> None:
    with pytest.raises(MrzError):
        parse_td1(text)


def test_yymmdd_century_window() -> None:
    assert yymmdd_to_date("960226", future=False).year == 1996
    assert yymmdd_to_date("360226", future=True).year == 2036
    assert yymmdd_to_date("050101", future=False).year == 2005
    with pytest.raises(MrzError):
        yymmdd_to_date("960230", future=False)


def test_error_messages_name_the_field_not_the_personal_value() -> None:
    flat = ICAO_TD1.replace("\n", "").replace("740812", "741312")  # month 13, check digits recomputed below
    l1, l2, l3 = flat[:30], flat[30:60], flat[60:]
    l2 = l2[:6] + check_digit("741312") + l2[7:29]
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    with pytest.raises(MrzError) as excinfo:
        parse_td1("\n".join((l1, l2, l3)))
    assert "741312" not in str(excinfo.value) and "birth" in str(excinfo.value)
