"""Vietnamese plate text: normalisation, validation, positional fix-up and formatting.

Civil plates (Circular 24/2023/TT-BCA layouts) read, in compact form (only 0-9A-Z):

    car, one line or square two-line:  PP S  NNNN[N]    51F12345, 52Y6490, 93LD00103
    motorbike, two lines:              PP S X NNNN[N]   59X112345 (S letter, X digit),
                                       PP SS NNNN[N]    59TA00329, PP MĐ d ... 29MD100726

PP is the province code 11..99, S a series letter (civil plates never use I, J,
O, Q, W, so those are always misreads), NNNN[N] the 4- or 5-digit order number.
The labels and our output use the style `51F-123.45` (car) and `59-X1 123.45`
(motorbike); `Đ` is written `D`. White (private), yellow (commercial transport, since
2020) and blue (state) plates share these layouts; the colour is read from the image
(`colour.plate_colour`), not from the text. Two further series have layouts of their
own:

    military (red plate), one line or two:  UU NN-NN          TM1234   -> `TM-12-34`
    foreign / diplomatic (NG, QT, NN, CV):  PP-CCC-SS-NN[N]   80011NG01 -> `80-011-NG-01`

UU is a military unit code (first letter from `MILITARY_FIRST`), CCC the country or
organisation code, SS the series (NG diplomatic, QT international organisation, NN
foreign individual or company, CV technical and administrative staff).

A reader confuses look-alike glyphs; since every position's class (digit or letter)
is fixed by the format, a misread can be mapped back by position (O->0 in a digit
slot, 8->B in a letter slot ...). Text that fits no format is not a plate."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["car", "moto", "military", "foreign"]
Category = Literal["civil", "military", "foreign"]

SERIES_LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"
MILITARY_FIRST = (
    "ABHKPQT"  # army corps, branches, academies, military regions, defence industry, services, directorates
)
MILITARY_SECOND = "ABCDEFGHKLMNPQSTUVXYZ"
FOREIGN_SERIES = ("NG", "QT", "NN", "CV")
DIGITS = "0123456789"
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "J": "1", "Z": "2"}
TO_DIGIT |= {"S": "5", "B": "8", "G": "6", "A": "4", "E": "3", "R": "8"}
TO_LETTER = {"0": "D", "1": "T", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B", "3": "B"}
TO_LETTER |= {"O": "D", "Q": "D", "I": "T", "J": "T", "R": "K", "W": "V"}

_CAR = re.compile(r"^(?P<p>\d\d)(?P<s>[A-Z]{1,2})(?P<n>\d{4,5})$")
_MOTO = re.compile(r"^(?P<p>\d\d)(?P<s>MD\d|[A-Z]\d|[A-Z]{2})(?P<n>\d{4,5})$")
_MILITARY = re.compile(r"^(?P<s>[A-Z]{2})(?P<n>\d{4})$")
_FOREIGN = re.compile(r"^(?P<p>\d\d)(?P<c>\d{3})(?P<s>[A-Z]{2})(?P<n>\d{2,3})$")


class PlateFormatError(ValueError):
    """Text that cannot be a Vietnamese civil plate."""


@dataclass(frozen=True)
class PlateText:
    province: str
    series: str
    number: str
    kind: Kind
    country: str = ""  # foreign series only: country / organisation code

    @property
    def compact(self) -> str:
        return f"{self.province}{self.country}{self.series}{self.number}"

    @property
    def category(self) -> Category:
        """Which register the plate belongs to (its text tells; colour is separate)."""
        return "civil" if self.kind in ("car", "moto") else self.kind  # type: ignore[return-value]

    def formatted(self) -> str:
        """The label style: `51F-123.45`, `52Y-6490`, `59-X1 123.45`, `54-T1 4995`,
        `TM-12-34` (military), `80-011-NG-01` (foreign)."""
        if self.kind == "military":
            return f"{self.series}-{self.number[:2]}-{self.number[2:]}"
        if self.kind == "foreign":
            return f"{self.province}-{self.country}-{self.series}-{self.number}"
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
    if kind in (None, "military") and (m := _MILITARY.match(c)):
        if m["s"][0] not in MILITARY_FIRST or m["s"][1] not in MILITARY_SECOND:
            raise PlateFormatError(f"{m['s']!r} is not a military unit code")
        return PlateText("", m["s"], m["n"], "military")
    if kind in (None, "foreign") and (m := _FOREIGN.match(c)) and m["s"] in FOREIGN_SERIES:
        if not 11 <= int(m["p"]) <= 99:
            raise PlateFormatError(f"province code {m['p']} is outside 11..99")
        return PlateText(m["p"], m["s"], m["n"], "foreign", country=m["c"])
    if kind in ("military", "foreign"):
        raise PlateFormatError(f"{text!r} is not a {kind} plate")
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
        elif cls == "U":  # any letter (military and foreign series use Q and N, G ...)
            ch = ch if ch.isalpha() else TO_LETTER.get(ch, "")
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
    asked = kind
    if kind is None and re.match(r"^\w\w\s*-", upper):
        kind = "moto"
    elif kind is None and re.match(r"^\w\w\w{1,2}\s*-", upper):
        kind = "car"
    kinds: tuple[Kind, ...] = (kind,) if kind in ("moto", "car") else ("moto", "car") if kind is None else ()
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
    if asked in (None, "military", "foreign"):
        found += _fix_other_series(c, asked)
    return sorted(found, key=lambda f: f[0])


_OTHER_CLASSES = {"military": ("UUdddd",), "foreign": ("dddddUUdd", "dddddUUddd")}


def _fix_other_series(c: str, kind: Kind | None) -> list[tuple[int, PlateText]]:
    """Military and foreign readings of `c` after positional fixes; each costs one
    extra (they are rare), so a civil reading with the same fixes wins."""
    found = []
    for k, heads in _OTHER_CLASSES.items():
        if kind not in (None, k):
            continue
        for classes in heads:
            if len(classes) != len(c):
                continue
            fixed = _fix(c, classes)
            if fixed is None:
                continue
            try:
                plate = parse(fixed, k)  # type: ignore[arg-type]
            except PlateFormatError:
                continue
            found.append((1 + sum(a != b for a, b in zip(c, fixed, strict=True)), plate))
    return found


def fix_confusions(text: str, kind: Kind | None = None) -> PlateText:
    """Map look-alike misreads back by position and validate; raises
    `PlateFormatError` when no format fits even after fixing (not a plate).

    Used for readers that give only a string; the CTC reader instead decodes with the
    grammar directly (`ctc_grammar`), which is more accurate."""
    found = fix_candidates(text, kind)
    if not found:
        raise PlateFormatError(f"{text!r} cannot be read as a Vietnamese plate")
    return found[0][1]
