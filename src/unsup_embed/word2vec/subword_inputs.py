"""Input vectors made of subwords (`--subwords`): the rows a step needs, packed on the host, averaged on the device.

With subwords, a word's input vector is the mean of its own row and the
rows of its character n-grams (text/subwords.py), and each of those rows
receives the whole gradient of the mean, as in fastText (`Model::update`
adds the gradient of the hidden vector to every input row). Words have
from 1 to some 80 rows (text8-style English: 15 on average over the text),
and a step's centres hold hundreds of distinct words, so a step lists
the rows of its distinct words once, flat, never padded word by word:

- host side (`SubwordPacker`): a step holds as many centres (skip-gram;
  CBOW: whole rows, whose spans are its inputs) as keep its distinct words'
  input rows within a budget (the expected count for a step of independent
  draws from the vocabulary, which real, bursty text stays under, plus 15 %;
  and always room for one centre, or one row, of the longest words); the
  rest of the step is left empty and its text goes to the next step. A
  step lists its input rows (`subword_rows`), the distinct word each
  belongs to (`subword_owner`), and for each grid position the distinct
  word it holds (`subword_slot`); unused entries point past the end, where
  nothing is read;
- device side (`composite_inputs`): the rows are gathered once, summed per
  distinct word and divided by their count, then spread to the positions.

Skip-gram needs the composite vectors of the step's centres; CBOW those of
every position of its rows' spans (the contexts). The cost of a step grows
with its distinct words' rows, never with `--buckets`.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from ..text.subwords import SubwordTable
from .windows import mean_passing_full_gradient


class SubwordPacker:
    """Chooses how much of a step fits the input-row budget, and lists its distinct words' input rows."""

    def __init__(self, table: SubwordTable, token_weights: np.ndarray, rows: int, positions_per_row: int, centres_only: bool):
        self.table = table
        self.sizes = table.sizes()
        self.positions_per_row = positions_per_row  # centres per row (skip-gram) or span positions (CBOW)
        self.centres_only = centres_only
        self.slots = rows * positions_per_row  # distinct words a step may hold, at most
        share = token_weights / max(float(token_weights.sum()), 1e-12)
        expected = float((self.sizes * -np.expm1(self.slots * np.log1p(-np.minimum(share, 1 - 1e-12)))).sum())
        # Room for the first unit of a step whatever it holds: a centre (skip-gram) or a row's span (CBOW).
        budget = max(int(expected * 1.15), (1 if centres_only else positions_per_row) * int(self.sizes.max()))
        self.budget = -(-budget // 256) * 256

    def centres_that_fit(self, grid_ids: np.ndarray, grid_present: np.ndarray) -> int:
        """Skip-gram: how many of the step's centres (in order, row by row) keep their distinct words' input rows within the budget."""
        return max(1, int(np.searchsorted(self._running_rows(grid_ids, grid_present), self.budget, side="right")))

    def rows_that_fit(self, grid_ids: np.ndarray, grid_present: np.ndarray) -> int:
        """CBOW: how many of the step's rows (in order) keep the distinct words of their spans' input rows within the budget."""
        at_row_ends = self._running_rows(grid_ids, grid_present).reshape(grid_ids.shape)[:, -1]
        return max(1, int(np.searchsorted(at_row_ends, self.budget, side="right")))

    def _running_rows(self, grid_ids: np.ndarray, grid_present: np.ndarray) -> np.ndarray:
        """For each position of the grid (row by row), the input rows of the distinct words up to it."""
        ids = np.where(grid_present, grid_ids, -1).reshape(-1)
        _, first = np.unique(ids, return_index=True)
        first = first[ids[first] >= 0]
        added = np.zeros(ids.shape[0], np.int64)
        added[first] = self.sizes[ids[first]]
        return np.cumsum(added)

    def inputs(self, grid_ids: np.ndarray, grid_used: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(input rows, owner, slot) of the used positions of a (rows, positions) grid, padded to the budget."""
        words, slot_of_used = np.unique(grid_ids[grid_used], return_inverse=True)
        rows, owner = self.table.rows_of(words)
        if rows.shape[0] > self.budget:
            raise AssertionError("a step's input rows exceed the budget its rows were chosen by")
        padded_rows = np.zeros(self.budget, np.int32)
        padded_owner = np.full(self.budget, self.slots, np.int32)  # past the last slot: read by nothing
        padded_rows[: rows.shape[0]] = rows
        padded_owner[: rows.shape[0]] = owner
        slot = np.full(grid_ids.shape, self.slots, np.int32)
        slot[grid_used] = slot_of_used
        return padded_rows, padded_owner, slot


def composite_inputs(rows, owner, slot, slots: int):
    """(grid rows, grid positions, dim): each position's word's mean input row; each row gets the whole gradient."""
    total = ops.segment_sum(rows, owner, num_segments=slots + 1)
    count = ops.segment_sum(ops.ones_like(owner, dtype="float32"), owner, num_segments=slots + 1)
    words = mean_passing_full_gradient(total, count)  # the last slot is the padding's, and stays zero
    return ops.take(words, slot, axis=0)


def row_updates(per_position, owner, slot, slots: int):
    """The pair updates each input row stands for, for the row-update cap: its word's, over √(the word's row count).

    A row moves its word's composite vector by 1/(rows of the word) of its
    own change. Counted in full, n-grams shared by many frequent words
    (`<th`, `ing>`) hit the cap every step and learn far slower than
    fastText's, whose n-grams carry most of a word's vector. Measured on
    text8like, 1 epoch (docs/benchmarks.md): counting in full gave analogy
    0.391 and rare-word Spearman 0.034; dividing by √rows 0.415 and 0.059;
    dividing by the row count diverged; dividing only the n-gram rows by it
    brought analogy down to 0.046.
    """
    per_word = ops.segment_sum(ops.reshape(per_position, (-1,)), ops.reshape(slot, (-1,)), num_segments=slots + 1)
    rows_per_word = ops.segment_sum(ops.ones_like(owner, dtype="float32"), owner, num_segments=slots + 1)
    return ops.take(per_word / ops.sqrt(ops.maximum(rows_per_word, 1.0)), owner, axis=0)
