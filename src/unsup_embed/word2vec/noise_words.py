"""Noise words of negative sampling, drawn on the host for each block.

A block's steps read their noise words from its `noise` field (blocks.py):
`draws` words for each group of `group` consecutive centres of a row, taken
from word2vec's unigram^0.75 table by uniform indices. They are drawn here,
by NumPy, while the previous block trains, rather than inside the compiled
step: on two CPU cores the step's own counter-based draw and its gather from
the 27 MB table took about a tenth of a CBOW block (text8like; the
measurement is in docs/benchmarks.md, "Noise words from the host"), and the
host makes a block's draws in about 1 ms. Sharing a draw among
neighbouring centres (Ji et al. 2016 share one among the pairs of a window)
turns the noise scores into small matrix products and gathers
`draws / group` rows per centre.

The draws are a function of the run's seed and the block's place in the
run (its `seed` field), so a resumed run draws what an uninterrupted one
would.

Reference: Mikolov et al. 2013 and word2vec.c (`InitUnigramTable`); Ji et
al. 2016 (noise words shared by neighbouring centres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NoiseWords:
    table: np.ndarray  # word2vec's unigram^0.75 table (Vocabulary.noise_table)
    group: int  # consecutive centres sharing one draw
    draws: int  # noise words per draw

    def field_shape(self, steps: int, rows: int, length: int) -> tuple[int, int, int, int]:
        """The shape of a block's `noise` field."""
        return (steps, rows, length // self.group, self.draws)

    def for_block(self, seed: np.ndarray, rows: int, length: int) -> np.ndarray:
        """The noise words of a block whose `seed` field (steps, 2) is `seed`: int32 of `field_shape`."""
        generator = np.random.default_rng([int(value) for value in seed[0]])
        indices = generator.integers(0, self.table.shape[0], size=self.field_shape(seed.shape[0], rows, length))
        return self.table[indices]
