"""The kiosk camera reads the QR on the CCCD front: rendered card fronts (devkit, the
same render the demo shows the camera) photographed with tilt, blur and glare."""

from __future__ import annotations

import numpy as np
import pytest

from devkit.cccd.card_front import photographed, qr_image, render_front
from devkit.cccd.testcard import TestPerson
from edge.kiosk.access import AccessKeyError, from_qr, from_typed
from edge.kiosk.qr_scan import QrReader

PERSON = TestPerson.default()


@pytest.fixture(scope="module")
def card() -> np.ndarray:
    return render_front(PERSON, module_px=4)


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"tilt_deg": 15},
        {"tilt_deg": 25},
        {"blur_px": 1.5},
        {"blur_px": 2.0},
        {"glare": 0.7},
        {"tilt_deg": 10, "blur_px": 1.2, "glare": 0.5},
        {"scale": 0.8, "tilt_deg": 15, "blur_px": 1.2},
        {"scale": 1.2, "tilt_deg": -12, "glare": 0.6, "seed": 3},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "plain",
)
def test_reads_the_card_qr_under_tilt_blur_and_glare(card, conditions) -> None:
    text = QrReader().read(photographed(card, **conditions))
    assert text == PERSON.qr_text()
    key = from_qr(text)
    assert key.key.can == PERSON.personal_number[-6:] and key.method == "qr"


def test_the_demo_render_reads_with_its_diacritics() -> None:
    text = QrReader().read(render_front(PERSON))  # default module size, as the demo shows it
    assert text is not None and "Nguyễn Thị Hồng Nhung" in text


def test_too_blurred_or_absent_or_foreign_qr_gives_nothing(card) -> None:
    reader = QrReader()
    assert reader.read(photographed(card, blur_px=4.0)) is None
    assert reader.read(np.full((480, 640, 3), 90, np.uint8)) is None
    payment = qr_image("00020101021138570010A000000727", module_px=6)
    assert reader.read(payment) is None  # a QR that is not a CCCD's is ignored


def test_typed_keys() -> None:
    assert from_typed("id12", " 0791 9601 2345 ").key.can == "012345"
    assert from_typed("can", "012345").method == "can"
    for kind, value, problem in [
        ("id12", "07919601234", "access_key.id12_invalid"),
        ("can", "12a456", "access_key.can_invalid"),
        ("mrz", "garbage", "access_key.mrz_invalid"),
        ("pin", "1", "access_key.kind_unknown"),
    ]:
        with pytest.raises(AccessKeyError, match=problem):
            from_typed(kind, value)
    td1 = PERSON.mrz_text()
    assert from_typed("mrz", td1).key.mrz == PERSON.bac_key_info()
    td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
    assert from_typed("mrz", td3).key.mrz.mrz_information() == "L898902C3674081221204159"
