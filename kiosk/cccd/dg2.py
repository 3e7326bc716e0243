"""DG2: the face image inside the ICAO biometric template (ISO/IEC 19794-5).

Layout: 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E biometric data block } } }.
The data block is an ISO 19794-5 facial record ("FAC\\0"); the image follows its
fixed-size headers.  The image format is decided by the image's own magic bytes,
not by the header's data-type byte, because that byte is what a forger controls
most easily and a viewer will sniff the bytes anyway.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from kiosk.cccd.errors import Dg2Error, TlvError
from kiosk.cccd.tlv import Tlv, encode_tlv, unwrap

DG2_TAG = 0x75
_BIT_GROUP = 0x7F61
_BIT = 0x7F60
_BDB = 0x5F2E
_BDB_CONSTRUCTED = 0x7F2E

_FAC_MAGIC = b"FAC\x00"
_GENERAL_HEADER = 14  # magic 4, version 4, record length 4, image count 2
_FACIAL_INFO = 20  # block length 4 .. pose uncertainty
_FEATURE_POINT = 8
_IMAGE_INFO = 12


class ImageFormat(enum.Enum):
    JPEG = "jpeg"
    JPEG2000 = "jpeg2000"

    @property
    def mime_type(self) -> str:
        return "image/jpeg" if self is ImageFormat.JPEG else "image/jp2"


_MAGICS: tuple[tuple[bytes, ImageFormat], ...] = (
    (b"\xff\xd8\xff", ImageFormat.JPEG),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", ImageFormat.JPEG2000),  # JP2 file
    (b"\xff\x4f\xff\x51", ImageFormat.JPEG2000),  # raw J2K codestream
)


@dataclass(frozen=True)
class FaceImage:
    image: bytes
    format: ImageFormat
    width: int | None
    height: int | None

    def __repr__(self) -> str:  # never dump a face into logs
        return f"FaceImage(format={self.format.value}, {len(self.image)} bytes, {self.width}x{self.height})"


def detect_format(image: bytes) -> ImageFormat | None:
    for magic, fmt in _MAGICS:
        if image.startswith(magic):
            return fmt
    return None


def _from_facial_record(record: bytes) -> FaceImage | None:
    """Locate the first image via the 19794-5 headers; None if the headers don't fit."""
    if not record.startswith(_FAC_MAGIC) or len(record) < _GENERAL_HEADER + _FACIAL_INFO:
        return None
    block_start = _GENERAL_HEADER
    (block_len, points) = struct.unpack_from(">IH", record, block_start)
    info_at = block_start + _FACIAL_INFO + points * _FEATURE_POINT
    image_at = info_at + _IMAGE_INFO
    block_end = block_start + block_len
    if block_len < _FACIAL_INFO + _IMAGE_INFO or block_end > len(record) or image_at > block_end:
        return None
    width, height = struct.unpack_from(">HH", record, info_at + 2)
    image = record[image_at:block_end]
    fmt = detect_format(image)
    if fmt is None:
        return None
    return FaceImage(image=image, format=fmt, width=width, height=height)


def _scan_for_image(block: bytes) -> FaceImage | None:
    """Fallback for non-conforming headers: first known image signature onward."""
    hits = [(block.find(magic), fmt) for magic, fmt in _MAGICS]
    hits = [(pos, fmt) for pos, fmt in hits if pos >= 0]
    if not hits:
        return None
    pos, fmt = min(hits, key=lambda h: h[0])
    return FaceImage(image=block[pos:], format=fmt, width=None, height=None)


def _data_blocks(outer: Tlv) -> list[bytes]:
    blocks = []
    for group in outer.children():
        if group.tag != _BIT_GROUP:
            continue
        for bit in group.children():
            if bit.tag != _BIT:
                continue
            for item in bit.children():
                if item.tag in (_BDB, _BDB_CONSTRUCTED):
                    blocks.append(item.value)
    return blocks


def parse_dg2(data: bytes) -> FaceImage:
    """The first face image in DG2, with its format; raises :class:`Dg2Error` if none."""
    try:
        blocks = _data_blocks(unwrap(data, DG2_TAG, "DG2"))
    except TlvError as exc:
        raise Dg2Error(str(exc)) from None
    if not blocks:
        raise Dg2Error("DG2 holds no biometric data block (5F2E)")
    for block in blocks:
        face = _from_facial_record(block) or _scan_for_image(block)
        if face is not None:
            return face
    raise Dg2Error("DG2 biometric data holds no JPEG or JPEG 2000 image")


def build_dg2(image: bytes, width: int, height: int) -> bytes:
    """Encode a single-face DG2 around ``image`` (for test cards)."""
    fmt = detect_format(image)
    if fmt is None:
        raise Dg2Error("image is neither JPEG nor JPEG 2000")
    points = 0
    facial_info = struct.pack(
        ">IHBBB3sH3s3s",
        _FACIAL_INFO + _IMAGE_INFO + len(image),
        points,
        0,  # gender unspecified (the MRZ carries it)
        0,
        0,
        b"\x00\x00\x00",
        0,
        b"\x00\x00\x00",
        b"\x00\x00\x00",
    )
    image_info = struct.pack(">BBHHBBHH", 1, 0 if fmt is ImageFormat.JPEG else 1, width, height, 1, 2, 0, 0)
    body = facial_info + image_info + image
    record = _FAC_MAGIC + b"010\x00" + struct.pack(">IH", _GENERAL_HEADER + len(body), 1) + body
    header = (
        encode_tlv(0x80, b"\x01\x01")
        + encode_tlv(0x81, b"\x02")
        + encode_tlv(0x87, b"\x01\x01")
        + encode_tlv(0x88, b"\x00\x08")
    )
    bit = encode_tlv(_BIT, encode_tlv(0xA1, header) + encode_tlv(_BDB, record))
    group = encode_tlv(_BIT_GROUP, encode_tlv(0x02, b"\x01") + bit)
    return encode_tlv(DG2_TAG, group)
