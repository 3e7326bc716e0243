"""Elliptic-curve arithmetic for PACE generic mapping, on the python-ecdsa
library.

PACE-GM needs what high-level ECDH APIs (cryptography, OpenSSL EVP) do not
offer: point addition and scalar multiplication on an *ephemeral* generator
G~ = s*G + H. python-ecdsa exposes exactly that for both the NIST and the
Brainpool curves of the 9303 standardized domain parameters. Every point that
comes from the card is checked to lie on the curve before it is used."""

from __future__ import annotations

import secrets

from ecdsa import curves
from ecdsa.ellipticcurve import INFINITY, PointJacobi

from kiosk.emrtd.errors import ProtocolError

# ICAO 9303-11 §9.5.1 standardized domain parameter ids (ECDH ones only).
STANDARD_CURVES: dict[int, curves.Curve] = {
    8: curves.NIST192p,
    9: curves.BRAINPOOLP192r1,
    10: curves.NIST224p,
    11: curves.BRAINPOOLP224r1,
    12: curves.NIST256p,
    13: curves.BRAINPOOLP256r1,
    14: curves.BRAINPOOLP320r1,
    15: curves.NIST384p,
    16: curves.BRAINPOOLP384r1,
    17: curves.BRAINPOOLP512r1,
    18: curves.NIST521p,
}


def curve_for(parameter_id: int) -> curves.Curve:
    try:
        return STANDARD_CURVES[parameter_id]
    except KeyError:
        raise ProtocolError(f"PACE domain parameter id {parameter_id} is not a supported EC curve") from None


def field_size(curve: curves.Curve) -> int:
    return (curve.curve.p().bit_length() + 7) // 8


def random_scalar(curve: curves.Curve) -> int:
    return secrets.randbelow(curve.order - 1) + 1


def encode_point(curve: curves.Curve, point: PointJacobi) -> bytes:
    """Uncompressed SEC1 encoding 04 || X || Y."""
    size = field_size(curve)
    return b"\x04" + point.x().to_bytes(size, "big") + point.y().to_bytes(size, "big")


def decode_point(curve: curves.Curve, data: bytes) -> PointJacobi:
    """Parse an uncompressed point from the card and validate it."""
    size = field_size(curve)
    if len(data) != 1 + 2 * size or data[0] != 0x04:
        raise ProtocolError("EC public key from the card is not an uncompressed point of the curve size")
    x = int.from_bytes(data[1 : 1 + size], "big")
    y = int.from_bytes(data[1 + size :], "big")
    if not curve.curve.contains_point(x, y):
        raise ProtocolError("EC public key from the card is not on the curve")
    return PointJacobi(curve.curve, x, y, 1, curve.order)


def shared_point(private: int, public: PointJacobi) -> PointJacobi:
    point = public * private
    if point == INFINITY:
        raise ProtocolError("ECDH produced the point at infinity")
    return point


def map_generator(curve: curves.Curve, nonce: bytes, h: PointJacobi) -> PointJacobi:
    """Generic mapping: G~ = s*G + H (9303-11 §4.4.3.3.1)."""
    mapped = curve.generator * int.from_bytes(nonce, "big") + h
    if mapped == INFINITY:
        raise ProtocolError("generic mapping produced the point at infinity")
    return mapped


def x_coordinate(curve: curves.Curve, point: PointJacobi) -> bytes:
    """The ECDH shared secret encoding: X as a field-size octet string."""
    return point.x().to_bytes(field_size(curve), "big")
