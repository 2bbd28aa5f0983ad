"""Has training collapsed the vectors? Measure how spread out they are.

An objective that only pulls neighbours together (the naive distance
objective) is perfectly satisfied when every vector is the same, and
training drifts towards that. Two figures show it, on the most frequent
words (at most `SAMPLE_WORDS`, where vectors are trained most):

- the mean cosine similarity of random pairs of distinct words: near 0 for
  healthy embeddings, near 1 when all vectors point the same way;
- the share of the table's squared norm along its top singular direction:
  a few percent when information is spread over many directions, near 100 %
  when the vectors lie on one line.

`collapsed` is set when either crosses `COLLAPSE_THRESHOLD`. Healthy SGNS
vectors on text8-style Wikipedia measure about 0.1-0.2 on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_WORDS = 2000
RANDOM_PAIRS = 20_000
COLLAPSE_THRESHOLD = 0.9


@dataclass
class CollapseReport:
    mean_random_cosine: float
    top_direction_share: float
    words_measured: int

    @property
    def collapsed(self) -> bool:
        return self.mean_random_cosine >= COLLAPSE_THRESHOLD or self.top_direction_share >= COLLAPSE_THRESHOLD

    def describe(self) -> str:
        figures = (
            f"mean cosine of random word pairs {self.mean_random_cosine:.3f}, "
            f"top direction holds {self.top_direction_share:.1%} of the squared norm "
            f"({self.words_measured} most frequent words)"
        )
        if self.collapsed:
            return (
                f"COLLAPSED: the vectors have (nearly) all become the same: {figures}. "
                "This objective is solved by making every vector equal; use --objective negative-sampling"
            )
        return f"vectors are spread out: {figures}"


def collapse_report(vectors: np.ndarray, counts: np.ndarray | None = None, seed: int = 0) -> CollapseReport:
    """Spread figures of the most frequent words' vectors (rows are in frequency order when counts is None)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    order = np.argsort(-counts, kind="stable") if counts is not None else np.arange(vectors.shape[0])
    sample = vectors[order[:SAMPLE_WORDS]]
    norms = np.linalg.norm(sample, axis=1, keepdims=True)
    unit = sample / np.where(norms > 0, norms, 1.0)
    rng = np.random.default_rng(seed)
    count = unit.shape[0]
    if count < 2:
        return CollapseReport(1.0, 1.0, count)
    first = rng.integers(0, count, RANDOM_PAIRS)
    second = (first + rng.integers(1, count, RANDOM_PAIRS)) % count  # never the same word
    mean_cosine = float(np.mean(np.sum(unit[first] * unit[second], axis=1)))
    singular = np.linalg.svd(sample, compute_uv=False)
    energy = float(np.sum(singular**2))
    share = float(singular[0] ** 2 / energy) if energy > 0 else 1.0
    return CollapseReport(mean_cosine, share, count)
