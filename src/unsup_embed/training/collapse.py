"""Did training learn anything, or did it find the objective's trivial solution?

The naive distance objectives only pull neighbours together. Nothing pushes
unrelated words apart, so they are satisfied without learning: the squared
form contracts every vector towards one point (all vectors equal), and the
mean form only equalises each vector's mean coordinate and leaves the rest
where the random initialisation put it. This report tells those apart from
healthy embeddings, on the most frequent words (at most `SAMPLE_WORDS`; rows
are in frequency order, as the vocabulary numbers them):

- the mean cosine similarity of random pairs of distinct words, and the share
  of the table's squared norm along its top singular direction: both near 1
  when all vectors point the same way;
- the spread: the RMS distance between random pairs of words now, divided by
  the same at the start of training; far below 1 when the vectors contracted
  to a point (a contraction towards the origin keeps cosines random, so the
  first two figures alone miss it);
- the movement: how far vectors travelled from their start, in units of that
  starting distance; near 0 when training left them random.

Healthy SGNS vectors have a common direction too (cosines of 0.2-0.9 on small
or briefly trained corpora) but spread and movement far above 1. The verdict:
`collapsed` (one direction, or spread under 0.5), `contracting` (spread under
1: words are closer than at the start), `unlearned` (movement under 0.25),
`learned` (spread and movement both at least 2), and `weak` for anything in
between: "learned" needs evidence of learning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_WORDS = 2000
RANDOM_PAIRS = 20_000
SAME_DIRECTION = 0.98  # cosine or top-direction share at which vectors are one line
CONTRACTED = 0.5  # spread ratio under which words are 2x closer than at their random start
UNMOVED = 0.25  # movement under which vectors are still essentially their random start
# Spread and movement both at least this many times the starting distance
# count as evidence of learning. Healthy SGNS vectors reach 50-100x (the
# shipped corpus, 5 epochs: 114x and 93x); the naive objectives stay below 1.
LEARNED = 2.0

VERDICTS = ("collapsed", "contracting", "unlearned", "weak", "learned")


@dataclass
class CollapseReport:
    mean_random_cosine: float
    top_direction_share: float
    spread: float | None  # RMS random-pair distance now / at the start; None without a start
    movement: float | None  # RMS distance travelled / RMS random-pair distance at the start
    words_measured: int

    @property
    def verdict(self) -> str:
        """collapsed, contracting, unlearned, weak or learned (see the module's docstring)."""
        if max(self.mean_random_cosine, self.top_direction_share) >= SAME_DIRECTION:
            return "collapsed"
        if self.spread is None:
            return "learned"  # no starting point to compare with: only a collapse can be seen
        if self.spread < CONTRACTED:
            return "collapsed"
        if self.spread < 1.0:
            return "contracting"
        if self.movement < UNMOVED:
            return "unlearned"
        if self.spread < LEARNED or self.movement < LEARNED:
            return "weak"
        return "learned"

    @property
    def collapsed(self) -> bool:
        return self.verdict == "collapsed"

    @property
    def unlearned(self) -> bool:
        return self.verdict in ("contracting", "unlearned")

    @property
    def healthy(self) -> bool:
        return self.verdict == "learned"

    def figures(self) -> str:
        text = (
            f"mean cosine of random word pairs {self.mean_random_cosine:.3f}, "
            f"top direction {self.top_direction_share:.1%} of the squared norm"
        )
        if self.spread is not None:
            text += f", spread {self.spread:.3g}x and movement {self.movement:.3g}x the distance between random words at the start"
        return text + f" ({self.words_measured} most frequent words)"

    def describe(self, advice: str = "") -> str:
        """The verdict in a sentence, with its figures; `advice` (what to do about it) is added unless the vectors learned."""
        tail = f". {advice}" if advice else ""
        verdict = self.verdict
        if verdict == "collapsed":
            return f"the vectors COLLAPSED: words have (nearly) all become the same vector ({self.figures()}){tail}"
        if verdict == "contracting":
            return f"the vectors learned nothing: they are contracting towards one another, not separating ({self.figures()}){tail}"
        if verdict == "unlearned":
            return f"the vectors learned nothing: training left them (nearly) at their random start ({self.figures()}){tail}"
        if verdict == "weak":
            return f"the vectors show little sign of learning: they moved and spread only a little from their random start ({self.figures()}){tail}"
        return f"vectors are spread out and learned: {self.figures()}"

    def as_dict(self) -> dict:
        return {
            "mean_random_cosine": self.mean_random_cosine,
            "top_direction_share": self.top_direction_share,
            "spread": self.spread,
            "movement": self.movement,
            "words_measured": self.words_measured,
            "verdict": self.verdict,
            "collapsed": self.collapsed,
            "unlearned": self.unlearned,
        }


def collapse_report(vectors: np.ndarray, initial_vectors: np.ndarray | None = None, seed: int = 0) -> CollapseReport:
    """Spread figures of the first (most frequent) rows, compared with `initial_vectors` when given."""
    sample = np.asarray(vectors[:SAMPLE_WORDS], dtype=np.float64)
    count = sample.shape[0]
    if count < 2:
        return CollapseReport(1.0, 1.0, None, None, count)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, count, RANDOM_PAIRS)
    second = (first + rng.integers(1, count, RANDOM_PAIRS)) % count  # never the same word
    norms = np.linalg.norm(sample, axis=1, keepdims=True)
    unit = sample / np.where(norms > 0, norms, 1.0)
    mean_cosine = float(np.mean(np.sum(unit[first] * unit[second], axis=1)))
    singular = np.linalg.svd(sample, compute_uv=False)
    energy = float(np.sum(singular**2))
    share = float(singular[0] ** 2 / energy) if energy > 0 else 1.0
    spread = movement = None
    if initial_vectors is not None:
        start = np.asarray(initial_vectors[:count], dtype=np.float64)
        start_distance = _rms(start[first] - start[second])
        if start_distance > 0:
            spread = _rms(sample[first] - sample[second]) / start_distance
            movement = _rms(sample - start) / start_distance
    return CollapseReport(mean_cosine, share, spread, movement, count)


def _rms(differences: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum(differences**2, axis=1))))
