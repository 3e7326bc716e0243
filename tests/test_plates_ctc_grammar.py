"""Grammar-constrained CTC Viterbi against an exhaustive search over every path.

The Viterbi pass is vectorised over templates, slots and glyphs with hand-written
bookkeeping (runner-up glyphs for repeats, back-pointers); here every CTC path of a
few frames is enumerated, collapsed and scored, so the decoder's best reading and its
score per template are checked against the definition rather than another copy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from edge.vision.plates.ctc_grammar import _CLASS_SETS, GLYPHS, _viterbi


def _best_path(lp: np.ndarray, template: str) -> tuple[str, float] | None:
    """Best collapsed text of `template` and its path log-probability, by enumeration."""
    allowed = sorted({1 + GLYPHS.index(g) for cls in template for g in _CLASS_SETS[cls]})
    best: tuple[str, float] | None = None
    for path in itertools.product([0, *allowed], repeat=lp.shape[0]):
        text = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if len(text) != len(template):
            continue
        if any(GLYPHS[k - 1] not in _CLASS_SETS[cls] for k, cls in zip(text, template, strict=True)):
            continue
        score = float(sum(lp[t, k] for t, k in enumerate(path)))
        if best is None or score > best[1]:
            best = ("".join(GLYPHS[k - 1] for k in text), score)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_viterbi_finds_the_best_path_of_every_template(seed):
    rng = np.random.default_rng(seed)
    templates = ("d", "dd", "pM", "Ld")
    frames = 3 + seed % 2
    # peaked posteriors, like a recogniser's, so the best path is unique
    lp = np.log(rng.dirichlet(np.full(37, 0.3), frames) + 1e-9).astype(np.float32)
    got = {r.template: r for r in _viterbi(lp, templates)}
    for template in templates:
        want = _best_path(lp, template)
        assert want is not None
        assert got[template].text == want[0]
        assert got[template].score == pytest.approx(want[1], rel=1e-5)
    assert [r.score for r in _viterbi(lp, templates)] == sorted((r.score for r in got.values()), reverse=True)


def test_repeated_glyph_needs_a_blank_between():
    """`11` over three frames needs 1, blank, 1; two frames of 1 collapse to one glyph."""
    lp = np.full((3, 37), np.log(1e-6), np.float32)
    one = 1 + GLYPHS.index("1")
    lp[0, one] = lp[1, one] = lp[2, one] = np.log(0.9)
    lp[1, 0] = np.log(0.1)
    (read,) = _viterbi(lp, ("dd",))
    assert read.text == "11"
    assert read.score == pytest.approx(2 * np.log(0.9) + np.log(0.1), rel=1e-5)
    assert _best_path(lp, "dd") == ("11", pytest.approx(read.score, rel=1e-5))
