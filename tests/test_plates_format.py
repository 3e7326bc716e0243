"""Vietnamese plate grammar: real-world formats, positional confusion fixes, non-plates."""

from __future__ import annotations

import pytest

from edge.vision.plates.plate_format import PlateFormatError, compact, fix_confusions, parse

VALID = [
    # (text as printed / labelled, kind, expected label style)
    ("51F-123.45", None, "51F-123.45"),  # car, 5-digit number
    ("52Y-6490", None, "52Y-6490"),  # car, 4-digit (older) number
    ("93LD-001.03", None, "93LD-001.03"),  # car, two-letter series (joint venture)
    ("59-X1 123.45", None, "59-X1 123.45"),  # motorbike, letter+digit series
    ("54-T1 4995", None, "54-T1 4995"),  # motorbike, 4-digit number
    ("29-MĐ1 007.26", None, "29-MD1 007.26"),  # MĐ series, Đ written D
    ("59-TA 003.29", None, "59-TA 003.29"),  # motorbike, two-letter series
    ("53-R8 8556", None, "53-R8 8556"),  # R series (trailers)
    ("59X112345", "moto", "59-X1 123.45"),  # compact text with the layout known
    ("30a-495.72", None, "30A-495.72"),  # lower case
]


@pytest.mark.parametrize(("text", "kind", "expected"), VALID)
def test_valid_plates_parse_and_format(text, kind, expected):
    plate = parse(text, kind)
    assert plate.formatted() == expected
    assert plate.compact == compact(expected)


CONFUSIONS = [
    ("5IF-734.2O", "car", "51F-734.20"),  # I->1 and O->0 in digit slots
    ("S9-B1 3I1.49", "moto", "59-B1 311.49"),  # S->5 in the province code
    ("59-81 311.49", "moto", "59-B1 311.49"),  # 8->B in the series letter slot
    ("51G-6Z9.71", "car", "51G-629.71"),  # Z->2
    ("29-M01 007.26", "moto", "29-MD1 007.26"),  # 0->D inside MĐ
    ("3OA-l94.74", "car", "30A-194.74"),  # O->0, l->1
    ("6OB-B70.G6", "car", "60B-870.66"),  # G->6, B->8 in the number
]


@pytest.mark.parametrize(("text", "kind", "expected"), CONFUSIONS)
def test_positional_confusions_are_fixed(text, kind, expected):
    assert fix_confusions(text, kind).formatted() == expected


NOT_PLATES = [
    "",
    "HONDA",
    "0912345678",  # phone number on a shop sign
    "SALE 50%",
    "10A-123.45",  # province 10 does not exist
    "51F-123456",  # six-digit number
    "51F-12",
]


@pytest.mark.parametrize("text", NOT_PLATES)
def test_non_plates_are_rejected(text):
    with pytest.raises(PlateFormatError):
        fix_confusions(text)


def test_unissued_letters_fail_validation_but_map_to_lookalikes():
    with pytest.raises(PlateFormatError, match="never issued"):
        parse("51W-123.45")
    assert fix_confusions("51W-123.45").formatted() == "51V-123.45"


def test_hyphen_position_decides_car_or_motorbike_for_two_letter_series():
    assert parse("59-TA 003.29").kind == "moto"
    assert parse("93LD-001.03").kind == "car"
    assert compact("29-MĐ1 007.26") == "29MD100726"
