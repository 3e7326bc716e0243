"""Vietnamese plate text: normalisation, validation, positional fix-up and formatting.

Civil plates (Circular 24/2023/TT-BCA layouts) read, in compact form (only 0-9A-Z):

    car, one line or square two-line:  PP S  NNNN[N]    51F12345, 52Y6490, 93LD00103
    motorbike, two lines:              PP S X NNNN[N]   59X112345 (S letter, X digit),
                                       PP SS NNNN[N]    59TA00329, PP MĐ d ... 29MD100726

PP is the province code 11..99, S a series letter (Vietnamese plates never use I, J,
O, Q, R, W, so those are always misreads), NNNN[N] the 4- or 5-digit order number.
The labels and our output use the style `51F-123.45` (car) and `59-X1 123.45`
(motorbike); `Đ` is written `D`.

A reader confuses look-alike glyphs; since every position's class (digit or letter)
is fixed by the format, a misread can be mapped back by position (O->0 in a digit
slot, 8->B in a letter slot ...). Text that fits no format is not a plate."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["car", "moto"]

SERIES_LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"
DIGITS = "0123456789"
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "J": "1", "Z": "2"}
TO_DIGIT |= {"S": "5", "B": "8", "G": "6", "A": "4", "E": "3", "R": "8"}
TO_LETTER = {"0": "D", "1": "T", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B", "3": "B"}
TO_LETTER |= {"O": "D", "Q": "D", "I": "T", "J": "T", "R": "K", "W": "V"}

_CAR = re.compile(r"^(?P<p>\d\d)(?P<s>[A-Z]{1,2})(?P<n>\d{4,5})$")
_MOTO = re.compile(r"^(?P<p>\d\d)(?P<s>MD\d|[A-Z]\d|[A-Z]{2})(?P<n>\d{4,5})$")


class PlateFormatError(ValueError):
    """Text that cannot be a Vietnamese civil plate."""


@dataclass(frozen=True)
class PlateText:
    province: str
    series: str
    number: str
    kind: Kind

    @property
    def compact(self) -> str:
        return f"{self.province}{self.series}{self.number}"

    def formatted(self) -> str:
        """The label style: `51F-123.45`, `52Y-6490`, `59-X1 123.45`, `54-T1 4995`."""
        number = f"{self.number[:3]}.{self.number[3:]}" if len(self.number) == 5 else self.number
        if self.kind == "car":
            return f"{self.province}{self.series}-{number}"
        return f"{self.province}-{self.series} {number}"


def compact(text: str) -> str:
    """Upper-case 0-9A-Z only; `Đ`/`đ` -> `D`. The form used to score exact matches."""
    text = text.upper().replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^0-9A-Z]", "", text)


def _series_ok(series: str) -> bool:
    letters = [c for c in series if c.isalpha()]
    if series.startswith("MD") and len(series) == 3:
        return True
    return all(c in SERIES_LETTERS for c in letters)


def parse(text: str, kind: Kind | None = None) -> PlateText:
    """Validate already-correct text. `kind` breaks the tie for two-letter series
    (`93LD00103` is a car, `59TA00329` a motorbike); without it a hyphen right after
    the province code (`59-TA`) marks a motorbike plate."""
    raw = text.upper().replace("Đ", "D").strip()
    c = compact(raw)
    if kind is None:
        kind = "moto" if re.match(r"^\d\d\s*-", raw) else None
    for k, pattern in (("car", _CAR), ("moto", _MOTO)):
        m = pattern.match(c)
        if not m or (kind is not None and kind != k):
            continue
        province, series, number = m["p"], m["s"], m["n"]
        if not 11 <= int(province) <= 99:
            raise PlateFormatError(f"province code {province} is outside 11..99")
        if not _series_ok(series):
            raise PlateFormatError(f"series {series!r} uses a letter never issued")
        return PlateText(province, series, number, k)  # type: ignore[arg-type]
    raise PlateFormatError(f"{text!r} matches no Vietnamese plate format")


def _fix(chars: str, classes: str) -> str | None:
    out = []
    for ch, cls in zip(chars, classes, strict=True):
        if cls == "d":
            ch = ch if ch in DIGITS else TO_DIGIT.get(ch, "")
        elif cls == "L":
            ch = ch if ch in SERIES_LETTERS else TO_LETTER.get(ch, "")
        if not ch:
            return None
        out.append(ch)
    return "".join(out)


_MOTO_CLASSES = ("ddLd", "ddLL", "ddMDd")


def fix_candidates(text: str, kind: Kind | None = None) -> list[tuple[int, PlateText]]:
    """Every valid reading of `text` after positional fixes, as (cost, plate), cheapest
    first. Cost counts substitutions, plus one for a rare two-letter series; ties keep
    motorbike before car and one-letter before two-letter series."""
    c = compact(text)
    upper = text.upper().strip()
    if kind is None and re.match(r"^\w\w\s*-", upper):
        kind = "moto"
    elif kind is None and re.match(r"^\w\w\w{1,2}\s*-", upper):
        kind = "car"
    kinds: tuple[Kind, ...] = (kind,) if kind else ("moto", "car")
    before_hyphen = len(compact(upper.split("-")[0])) if "-" in upper else 0
    car_head = {3: "ddL", 4: "ddLL"}.get(before_hyphen)  # `51F-` has a one-letter series
    found: list[tuple[int, PlateText]] = []
    for k in kinds:
        car_heads = ("ddL", "ddLL") if car_head is None else (car_head,)
        for head in car_heads if k == "car" else _MOTO_CLASSES:
            for n_digits in (5, 4):
                classes = head.replace("M", "L").replace("D", "L") + "d" * n_digits
                if len(classes) != len(c):
                    continue
                fixed = _fix(c, classes)
                if fixed is None or (head == "ddMDd" and fixed[2:4] != "MD"):
                    continue
                try:
                    plate = parse(fixed, k)
                except PlateFormatError:
                    continue
                cost = sum(a != b for a, b in zip(c, fixed, strict=True))
                cost += 1 if head == "ddLL" else 0  # two-letter series are rare: a fix must beat them
                found.append((cost, plate))
    return sorted(found, key=lambda f: f[0])


def fix_confusions(text: str, kind: Kind | None = None) -> PlateText:
    """Map look-alike misreads back by position and validate; raises
    `PlateFormatError` when no format fits even after fixing (not a plate).

    Used for readers that give only a string; the CTC reader instead decodes with the
    grammar directly (`ctc_grammar`), which is more accurate."""
    found = fix_candidates(text, kind)
    if not found:
        raise PlateFormatError(f"{text!r} cannot be read as a Vietnamese plate")
    return found[0][1]
