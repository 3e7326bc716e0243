"""Command and response APDUs (ISO 7816-4), short and extended length.

Kept as small immutable values so the same objects flow through secure
messaging, the transport and the card emulator."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.emrtd.errors import MalformedResponseError, error_for_status

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than asked: the read ran past the end

MAX_SHORT_NE = 256
MAX_EXTENDED_NE = 65536


@dataclass(frozen=True)
class Command:
    """One command APDU. `ne` is the number of response bytes expected
    (None: no response data; 256 / 65536 mean "as many as possible")."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    name: str = ""

    @property
    def extended(self) -> bool:
        return len(self.data) > 255 or (self.ne is not None and self.ne > MAX_SHORT_NE)

    def encode(self, force_extended: bool = False) -> bytes:
        """Serialise; extended length when the data or `ne` needs it."""
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        if not (self.extended or force_extended):
            body = b""
            if self.data:
                body += bytes([len(self.data)]) + self.data
            if self.ne is not None:
                body += bytes([self.ne % 256])
            return header + body
        body = b""
        if self.data:
            body += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
        if self.ne is not None:
            le = (self.ne % 65536).to_bytes(2, "big")
            body += le if self.data else b"\x00" + le
        return header + body

    @classmethod
    def decode(cls, raw: bytes) -> Command:
        """Parse a command APDU (used by the card emulator)."""
        if len(raw) < 4:
            raise MalformedResponseError("command APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or 256)
        if body[0] != 0:  # short with data
            lc = body[0]
            data = body[1 : 1 + lc]
            rest = body[1 + lc :]
            if len(data) != lc or len(rest) > 1:
                raise MalformedResponseError("short command APDU length mismatch")
            return cls(cla, ins, p1, p2, data, (rest[0] or 256) if rest else None)
        if len(body) == 3:  # extended, Le only
            return cls(cla, ins, p1, p2, ne=int.from_bytes(body[1:3], "big") or 65536)
        lc = int.from_bytes(body[1:3], "big")
        data = body[3 : 3 + lc]
        rest = body[3 + lc :]
        if len(data) != lc or len(rest) not in (0, 2):
            raise MalformedResponseError("extended command APDU length mismatch")
        ne = (int.from_bytes(rest, "big") or 65536) if rest else None
        return cls(cla, ins, p1, p2, data, ne)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def decode(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise MalformedResponseError(f"response of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    def check(self, command: str = "", accept: tuple[int, ...] = (SW_OK,)) -> Response:
        """Raise the typed error for a failing status word; return self otherwise."""
        if self.sw not in accept:
            raise error_for_status(self.sw, command)
        return self
