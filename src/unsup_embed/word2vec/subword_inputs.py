"""Input vectors made of subwords (`--subwords`): the rows a step needs, packed on the host, averaged on the device.

With subwords, a word's input vector is the mean of its own row and the
rows of its character n-grams (text/subwords.py), and each of those rows
receives the whole gradient of the mean, as in fastText (`Model::update`
adds the gradient of the hidden vector to every input row). Words have
from 1 to some 80 rows (text8-style English: 17 on average, counted over
the text), so a step's rows are listed flat, never padded word by word:

- host side (`SubwordPacker`): a step holds as many whole rows of centres
  as fit in a budget of `budget` input rows, sized from the vocabulary (1.25x
  the text's average, and always room for one row of the longest words);
  the rest of the step's rows are left empty and their text goes to the
  next step. Each step lists its input rows (`subword_rows`) and the grid
  position each belongs to (`subword_owner`); the unused tail of the budget
  points at a position past the grid, which nothing reads;
- device side (`composite_inputs`): the rows are gathered once, summed per
  position with a segment sum and divided by their count.

Skip-gram needs the composite vectors of the step's centres; CBOW those of
every position of its rows' spans (the contexts). The cost of a step grows
with the rows it lists, never with `--buckets`.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from ..text.subwords import SubwordTable
from .windows import mean_passing_full_gradient


class SubwordPacker:
    """Chooses how many rows of a step fit the input-row budget, and lists their input rows."""

    def __init__(self, table: SubwordTable, token_weights: np.ndarray, rows: int, positions_per_row: int, centres_only: bool):
        self.table = table
        self.sizes = table.sizes()
        self.rows = rows
        self.positions_per_row = positions_per_row  # centres per row (skip-gram) or span positions (CBOW)
        self.centres_only = centres_only
        average = float((self.sizes * token_weights).sum() / max(token_weights.sum(), 1e-12))
        budget = max(int(rows * positions_per_row * average * 1.25), positions_per_row * int(self.sizes.max()))
        self.budget = -(-budget // 256) * 256

    def rows_that_fit(self, row_ids: np.ndarray, row_present: np.ndarray) -> int:
        """How many of the step's rows (in order) fit the budget: (rows, positions) ids and which are tokens."""
        per_row = np.where(row_present, self.sizes[row_ids], 0).sum(axis=1)
        return max(1, int(np.searchsorted(np.cumsum(per_row), self.budget, side="right")))

    def inputs(self, grid_ids: np.ndarray, grid_used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(input rows, owner) of the used positions of a (rows, positions) grid, padded to the budget."""
        positions = np.flatnonzero(grid_used.reshape(-1))
        rows, owner = self.table.rows_of(grid_ids.reshape(-1)[positions])
        if rows.shape[0] > self.budget:
            raise AssertionError("a step's input rows exceed the budget its rows were chosen by")
        padded_rows = np.zeros(self.budget, np.int32)
        padded_owner = np.full(self.budget, grid_ids.size, np.int32)  # past the grid: read by nothing
        padded_rows[: rows.shape[0]] = rows
        padded_owner[: rows.shape[0]] = positions[owner]
        return padded_rows, padded_owner


def composite_inputs(rows, owner, grid_shape: tuple[int, int]):
    """(grid rows, grid positions, dim): the mean of each position's input rows; each row gets the whole gradient."""
    positions = grid_shape[0] * grid_shape[1]
    total = ops.segment_sum(rows, owner, num_segments=positions + 1)[:positions]
    count = ops.segment_sum(ops.ones_like(owner, dtype="float32"), owner, num_segments=positions + 1)[:positions]
    return ops.reshape(mean_passing_full_gradient(total, count), (grid_shape[0], grid_shape[1], ops.shape(rows)[-1]))


def row_updates(per_position, owner):
    """The pair updates each input row stands for: its position's."""
    flat = ops.concatenate([ops.reshape(per_position, (-1,)), ops.zeros((1,), "float32")])
    return ops.take(flat, owner, axis=0)
