"""Turn recogniser output for the line(s) of one plate into validated plate readings.

With CTC posteriors available each line is decoded against the plate grammar
(`ctc_grammar`); with only strings (any other recogniser) the joined text goes
through the positional fix-up of `plate_format`. Either way the result is a list of
valid `PlateText`s, best first, or nothing when the crop is not a plate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.vision.plates.ctc_grammar import PlateAlphabet, decode_line, unconstrained_score
from edge.vision.plates.lines import Layout
from edge.vision.plates.plate_format import Kind, PlateFormatError, PlateText, fix_candidates, parse
from edge.vision.plugins import TextRead

# Slot classes: p province first digit, d digit, L civil series letter, M/D the MĐ
# series, U/V military unit code, F/G foreign series (see ctc_grammar._CLASS_SETS).
CIVIL_ONE_LINE = ("pdLdddd", "pdLddddd", "pdLLdddd", "pdLLddddd")
ONE_LINE = (*CIVIL_ONE_LINE, "UVdddd", "pddddFGdd", "pddddFGddd")
TOP_LINE = ("pdL", "pdLL", "pdLd", "pdMDd", "UV", "pdddd")
BOTTOM_LINE = ("dddd", "ddddd", "FGdd", "FGddd")
# Log-priors of rarer layouts: a motorbike's letter+digit series is by far the most
# common top line, two-letter series are rare, so a `1` that looks like `T` stays `1`;
# military and foreign plates are rarer still, so their layouts must be clearly better
# to win over a civil reading.
PRIORS = {
    "pdLd": 0.0,
    "pdMDd": -1.0,
    "pdL": -1.5,
    "pdLL": -2.5,
    "pdLLdddd": -1.5,
    "pdLLddddd": -1.5,
    "UVdddd": -3.0,
    "pddddFGdd": -3.0,
    "pddddFGddd": -3.0,
    "UV": -3.0,
    "pdddd": -3.0,
    "FGdd": -3.0,
    "FGddd": -3.0,
}


@dataclass(frozen=True)
class GrammarCandidate:
    plate: PlateText
    confidence: float  # weakest character's probability
    score_gap: float  # nats between unconstrained and grammar-constrained reading


class GrammarDecoder:
    """Caches the charset mapping of a recogniser and decodes plates with it."""

    def __init__(self) -> None:
        self._alphabets: dict[int, PlateAlphabet] = {}

    def _alphabet(self, alphabet: tuple[str, ...]) -> PlateAlphabet:
        key = id(alphabet)
        if key not in self._alphabets:
            self._alphabets[key] = PlateAlphabet(alphabet)
        return self._alphabets[key]

    def decode(self, reads: list[TextRead], layout: Layout, top_k: int = 3) -> list[GrammarCandidate]:
        if any(r.probs is None or r.alphabet is None for r in reads):
            return _from_strings(reads, layout)
        pa = self._alphabet(reads[0].alphabet)  # type: ignore[arg-type]
        lps = [_compress_blanks(pa.reduce(r.probs)) for r in reads]  # type: ignore[arg-type]
        ceiling = sum(unconstrained_score(r.probs) for r in reads)  # type: ignore[arg-type]
        if layout == "one_line" or len(reads) == 1:
            combos = [((d,), d.score) for d in decode_line(lps[0], ONE_LINE, PRIORS)]
        else:
            tops = decode_line(lps[0], TOP_LINE, PRIORS)[:top_k]
            bottoms = decode_line(lps[1], BOTTOM_LINE, PRIORS)[:3]
            combos = [((t, b), t.score + b.score) for t in tops for b in bottoms]
        dash = _dash_seen(reads[0], pa)
        out: list[GrammarCandidate] = []
        seen: set[str] = set()
        for lines, score in sorted(combos, key=lambda c: -c[1]):
            head = lines[0]
            kind: Kind
            if head.template.startswith("U"):
                kind = "military"
            elif "F" in head.template or head.template == "pdddd":
                kind = "foreign"
            elif layout == "one_line" or len(lines) == 1:
                kind = "car"
            elif head.template in ("pdLd", "pdMDd") or (head.template == "pdLL" and dash):
                kind = "moto"
            else:
                kind = "car"
            try:
                plate = parse("".join(line.text for line in lines), kind)
            except PlateFormatError:
                continue
            if plate.compact in seen:
                continue
            seen.add(plate.compact)
            conf = min(c for line in lines for c in line.char_conf)
            out.append(GrammarCandidate(plate, conf, max(0.0, ceiling - score)))
            if len(out) >= top_k:
                break
        return out


def _compress_blanks(lp: np.ndarray, threshold: float = -0.002) -> np.ndarray:
    """Collapse runs of near-certain blank frames into one frame (summing log-probs):
    the alignment cannot place a glyph there anyway, and the Viterbi pass gets ~2x
    shorter. One blank frame is kept so repeated glyphs stay separable."""
    blank = lp[:, 0] > threshold
    keep = ~blank | np.concatenate([[True], ~blank[:-1]])
    if keep.all():
        return lp
    groups = np.cumsum(keep) - 1
    out = np.zeros((int(groups[-1]) + 1, lp.shape[1]), lp.dtype)
    np.add.at(out, groups, lp)
    return out


def _dash_seen(read: TextRead, pa: PlateAlphabet) -> bool:
    if pa.dash_col is None or read.probs is None:
        return "-" in read.text
    return bool(read.probs[:, pa.dash_col].max() > 0.3)


def _from_strings(reads: list[TextRead], layout: Layout) -> list[GrammarCandidate]:
    joined = "-".join(r.text for r in reads) if layout == "two_line" and len(reads) == 2 else reads[0].text
    kind = "car" if layout == "one_line" else None
    conf = min((r.confidence for r in reads), default=0.0)
    return [GrammarCandidate(p, conf, float(n)) for n, p in fix_candidates(joined, kind)[:3]]
