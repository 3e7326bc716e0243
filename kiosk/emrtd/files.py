"""Reading elementary files with as few APDUs as the card allows.

* The first READ BINARY addresses the file by its short EF identifier (P1 =
  0x80 | SFI), which selects it implicitly: no SELECT round trip per file.
* That first answer carries the file's TLV header, so the exact file length is
  known and every following chunk asks for precisely what is left.
* Chunks are as large as the session allows: with short APDUs 223 plaintext
  bytes still fit one 256-byte secure-messaging response for both 3DES and AES
  padding; with extended length (announced in the ATR) one chunk can carry the
  rest of the file, up to `extended_chunk`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.emrtd.apdu import SW_END_OF_FILE, SW_OK, Command
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.errors import (
    FileNotFoundOnCardError,
    IncorrectP1P2Error,
    MalformedResponseError,
    ProtocolError,
    StatusWordError,
    WrongLengthError,
)
from kiosk.emrtd.tlv import header_and_total_length

SHORT_CHUNK = 223
MAX_OFFSET = 0x7FFF  # P1-P2 offset limit of even-INS READ BINARY
SFI_NOT_SUPPORTED = (0x6981, 0x6986, 0x6A81, 0x6A86, 0x6B00)


@dataclass(frozen=True)
class EfId:
    """A file's identifiers: 2-byte FID and short EF identifier."""

    fid: int
    sfi: int
    name: str


CARD_ACCESS = EfId(0x011C, 0x1C, "EF.CardAccess")
COM = EfId(0x011E, 0x1E, "EF.COM")
SOD = EfId(0x011D, 0x1D, "EF.SOD")


def data_group(number: int) -> EfId:
    return EfId(0x0100 + number, number, f"DG{number}")


class FileReader:
    def __init__(self, channel: ApduChannel, extended: bool = False, extended_chunk: int = 0x7F00) -> None:
        self._channel = channel
        self.extended = extended
        self.extended_chunk = extended_chunk
        self.bytes_read = 0

    @property
    def chunk(self) -> int:
        return self.extended_chunk if self.extended else SHORT_CHUNK

    def _read(self, p1: int, p2: int, ne: int, name: str) -> bytes:
        cmd = Command(0x00, 0xB0, p1, p2, ne=ne, name=f"READ BINARY {name}")
        try:
            data = self._channel.send(cmd, accept=(SW_OK, SW_END_OF_FILE)).data
        except StatusWordError as exc:
            exact = exc.sw & 0xFF or 256
            if exc.sw & 0xFF00 != 0x6C00 or exact >= ne:
                raise
            # Some chips refuse a Le past the end of the file and name the exact length (6Cxx).
            cmd = Command(0x00, 0xB0, p1, p2, ne=exact, name=f"READ BINARY {name}")
            data = self._channel.send(cmd, accept=(SW_OK, SW_END_OF_FILE)).data
            ne = exact
        if len(data) > ne:
            raise MalformedResponseError(f"{name}: card returned {len(data)} bytes for {ne} asked")
        self.bytes_read += len(data)
        return data

    def _first_chunk(self, ef: EfId) -> bytes:
        try:
            try:
                return self._read(0x80 | ef.sfi, 0, self.chunk, ef.name)
            except WrongLengthError:
                if not self.extended:
                    raise
                self.extended = False  # card refuses long reads after all: stay short
                return self._read(0x80 | ef.sfi, 0, self.chunk, ef.name)
        except StatusWordError as exc:
            if exc.sw not in SFI_NOT_SUPPORTED:
                raise
        select = Command(0x00, 0xA4, 0x02, 0x0C, ef.fid.to_bytes(2, "big"), name=f"SELECT {ef.name}")
        self._channel.send(select)
        return self._read(0, 0, self.chunk, ef.name)

    def read(self, ef: EfId) -> bytes:
        """The whole file. Raises FileNotFoundOnCardError when it is absent."""
        first = self._first_chunk(ef)
        try:
            total = header_and_total_length(first)
        except ValueError as exc:
            raise ProtocolError(f"{ef.name}: {exc}") from None
        if total is None:
            raise ProtocolError(f"{ef.name}: first chunk too short to hold the TLV header")
        if total > MAX_OFFSET + self.chunk:
            raise ProtocolError(f"{ef.name}: {total} bytes exceeds the 32 KB offset range of READ BINARY")
        parts = [first[:total]]
        offset = len(parts[0])
        while offset < total:
            if offset > MAX_OFFSET:
                raise ProtocolError(f"{ef.name}: offset {offset} beyond READ BINARY's 32 KB range")
            ne = min(self.chunk, total - offset)
            part = self._read(offset >> 8, offset & 0xFF, ne, ef.name)
            if not part:
                raise ProtocolError(f"{ef.name}: card returned no data at offset {offset} of {total}")
            parts.append(part)
            offset += len(part)
        return b"".join(parts)

    def read_optional(self, ef: EfId) -> bytes | None:
        """The whole file, or None when the card says it does not exist."""
        try:
            return self.read(ef)
        except (FileNotFoundOnCardError, IncorrectP1P2Error):
            return None


def extended_length_in_atr(atr: bytes) -> bool:
    """Whether the ATR's historical bytes announce extended Lc/Le (ISO 7816-4
    card capabilities, compact-TLV tag 7, third byte bit 7)."""
    if len(atr) < 2:
        return False
    t0 = atr[1]
    n_hist = t0 & 0x0F
    pos, y = 2, t0
    while True:
        for bit in (0x10, 0x20, 0x40):
            if y & bit:
                pos += 1
        if not y & 0x80 or pos >= len(atr):
            break
        y = atr[pos]
        pos += 1
    hist = atr[pos : pos + n_hist]
    if len(hist) < 2 or hist[0] != 0x80:
        return False
    i = 1
    while i < len(hist):
        tag, length = hist[i] >> 4, hist[i] & 0x0F
        value = hist[i + 1 : i + 1 + length]
        if tag == 7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        i += 1 + length
    return False
