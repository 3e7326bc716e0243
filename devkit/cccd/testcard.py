"""Test PKI and test-card issuer, for the tests, the card emulator and the demo.

Issues what a real CCCD carries (EF.COM, EF.CardAccess, DG1, DG2, DG13, optional
DG15, EF.SOD) for a synthetic citizen, signed by a throw-away Document Signer
under a throw-away CSCA.  Keys are stored unencrypted: they protect nothing real
and must never be placed in a production trust store.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import cv2
import numpy as np
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization

from devkit.cccd import lds_build
from devkit.cccd.sod_builder import SignerKey, build_sod
from devkit.cccd.test_pki import TestPki
from kiosk.cccd.dg2 import build_dg2
from kiosk.cccd.dg13 import FIELD_NAMES
from kiosk.cccd.lds_security import SOD_TAG
from kiosk.cccd.mrz import BacKeyInfo, can_from_personal_number
from kiosk.cccd.mrz_format import cccd_optional_data, format_td1
from kiosk.cccd.tlv import encode_tlv, unwrap
from kiosk.cccd.values import Gender

FID_COM, FID_SOD, FID_CARD_ACCESS = 0x011E, 0x011D, 0x011C
FID_DG1, FID_DG2, FID_DG13, FID_DG14, FID_DG15 = 0x0101, 0x0102, 0x010D, 0x010E, 0x010F
#: Data-group number → file identifier (ICAO 9303-10 table 38).
FID_BY_DG = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13, 14: FID_DG14, 15: FID_DG15}

__all__ = ["FID_BY_DG", "TestPerson", "TestPki", "build_card_files", "default_portrait"]


def default_portrait() -> bytes:
    """The committed ~14 KB public-domain portrait (see devkit/cccd/data/README.md)."""
    return importlib.resources.files("devkit.cccd").joinpath("data/portrait.jpg").read_bytes()


@dataclass(frozen=True)
class TestPerson:
    """A synthetic citizen; all text is realistic Vietnamese with diacritics."""

    __test__ = False  # not a pytest test class despite the name

    personal_number: str
    full_name: str
    surname: str
    given_names: str
    date_of_birth: date
    gender: Gender
    expiry_date: date
    issue_date: date
    nationality: str = "Việt Nam"
    ethnicity: str = "Kinh"
    religion: str = "Không"
    place_of_origin: str = "Xã Hòa Phước, Huyện Hòa Vang, Thành phố Đà Nẵng"
    place_of_residence: str = "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"
    identifying_marks: str = "Nốt ruồi C:1cm trên trước đầu lông mày trái"
    father_name: str | None = "Nguyễn Văn Hùng"
    mother_name: str | None = "Trần Thị Lan"
    spouse_name: str | None = None
    old_id_number: str | None = "025912345"

    @classmethod
    def default(cls) -> TestPerson:
        return cls(
            personal_number="079196012345",
            full_name="Nguyễn Thị Hồng Nhung",
            surname="Nguyễn",
            given_names="Thị Hồng Nhung",
            date_of_birth=date(1996, 2, 26),
            gender=Gender.FEMALE,
            issue_date=date(2021, 8, 15),
            expiry_date=date(2036, 2, 26),
        )

    def replace(self, **changes: object) -> TestPerson:
        return dataclasses.replace(self, **changes)

    @property
    def document_number(self) -> str:
        """BAC document number: the last 9 digits of the personal number."""
        return self.personal_number[-9:]

    @property
    def can(self) -> str:
        return can_from_personal_number(self.personal_number)

    @property
    def birth_yymmdd(self) -> str:
        return self.date_of_birth.strftime("%y%m%d")

    @property
    def expiry_yymmdd(self) -> str:
        return self.expiry_date.strftime("%y%m%d")

    def bac_key_info(self) -> BacKeyInfo:
        return BacKeyInfo(self.document_number, self.birth_yymmdd, self.expiry_yymmdd)

    def mrz_text(self) -> str:
        sex = {Gender.MALE: "M", Gender.FEMALE: "F"}.get(self.gender, "<")
        return format_td1(
            document_number=self.document_number,
            birth_yymmdd=self.birth_yymmdd,
            sex=sex,
            expiry_yymmdd=self.expiry_yymmdd,
            surname=self.surname,
            given_names=self.given_names,
            optional_data_1=cccd_optional_data(self.personal_number),
        )

    def qr_text(self) -> str:
        """The 7-field QR code printed on the card."""
        gender = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}.get(self.gender, "")
        return "|".join(
            (
                self.personal_number,
                self.old_id_number or "",
                self.full_name,
                self.date_of_birth.strftime("%d%m%Y"),
                gender,
                self.place_of_residence,
                self.issue_date.strftime("%d%m%Y"),
            )
        )


def _dg13(person: TestPerson, omit: set[str], parents_layout: str) -> bytes:
    gender = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}.get(person.gender, "")
    values: dict[str, str | None] = {
        "personal_number": person.personal_number,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.strftime("%d/%m/%Y"),
        "gender": gender,
        "nationality": person.nationality,
        "ethnicity": person.ethnicity,
        "religion": person.religion,
        "place_of_origin": person.place_of_origin,
        "place_of_residence": person.place_of_residence,
        "identifying_marks": person.identifying_marks,
        "issue_date": person.issue_date.strftime("%d/%m/%Y"),
        "expiry_date": person.expiry_date.strftime("%d/%m/%Y"),
        "old_id_number": person.old_id_number,
    }
    fields = {n: values[name] for n, name in FIELD_NAMES.items() if name in values and name not in omit}
    return lds_build.build_dg13(
        fields,
        father=None if "father_name" in omit else person.father_name or "",
        mother=None if "mother_name" in omit else person.mother_name or "",
        parents_layout=parents_layout,
        spouse=None if "spouse_name" in omit else person.spouse_name or "",
    )


def _image_size(jpeg: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError("photo could not be decoded")
    return int(image.shape[1]), int(image.shape[0])


def _flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) * 2 // 3
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def build_card_files(
    person: TestPerson,
    pki: TestPki,
    photo_jpeg: bytes | None = None,
    *,
    omit_dg13_fields: Iterable[str | int] = (),
    tamper: Iterable[int] | None = None,
    parents_layout: str = "separate",
    aa_key: SignerKey | None = None,
    pace_parameter_id: int | None = lds_build.PACE_PARAM_BRAINPOOL_P256,
    corrupt_sod_signature: bool = False,
) -> dict[int, bytes]:
    """Every file of a test card, keyed by FID.

    ``omit_dg13_fields`` takes DG13 field names (``"religion"``, ``"father_name"``)
    or numbers; ``tamper`` lists DG numbers altered *after* signing (still
    well-formed, so only passive authentication notices); ``aa_key`` adds DG15
    with its public key; ``pace_parameter_id=None`` leaves out EF.CardAccess
    (a BAC-only card); ``corrupt_sod_signature`` flips a bit of the DS signature.
    """
    omit = {FIELD_NAMES[o] if isinstance(o, int) else o for o in omit_dg13_fields}
    photo = photo_jpeg if photo_jpeg is not None else default_portrait()
    width, height = _image_size(photo)
    groups = {
        1: lds_build.build_dg1(person.mrz_text()),
        2: build_dg2(photo, width, height),
        13: _dg13(person, omit, parents_layout),
    }
    if aa_key is not None:
        spki = aa_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        groups[15] = lds_build.build_dg15(spki)
    sod = build_sod(groups, pki.ds_key, pki.ds_cert, rsa_pss=pki.rsa_pss)
    if corrupt_sod_signature:
        sod = _corrupt_signature(sod)
    for number in tamper or ():
        groups[number] = _tampered(number, person, groups[number], omit, parents_layout)
    files = {FID_BY_DG[n]: body for n, body in groups.items()}
    files[FID_COM] = lds_build.build_com(sorted(groups))
    files[FID_SOD] = sod
    if pace_parameter_id is not None:
        files[FID_CARD_ACCESS] = lds_build.build_card_access([lds_build.pace_info(pace_parameter_id)])
    return files


def _tampered(number: int, person: TestPerson, original: bytes, omit: set[str], layout: str) -> bytes:
    if number == 1:
        return lds_build.build_dg1(person.replace(given_names="Thị Hồng Nhàn").mrz_text())
    if number == 13:
        forged = person.replace(place_of_residence="Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh")
        return _dg13(forged, omit, layout)
    return _flip_middle_byte(original)


def _corrupt_signature(sod: bytes) -> bytes:
    info = cms.ContentInfo.load(unwrap(sod, SOD_TAG, "EF.SOD").value)
    signer = info["content"]["signer_infos"][0]
    signature = bytearray(signer["signature"].native)
    signature[len(signature) // 2] ^= 0x01
    signer["signature"] = bytes(signature)
    return encode_tlv(SOD_TAG, info.dump(force=True))
