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
  distinct word and divided by their count, then spread to the positions;
  the row-update cap scales a word's rows by the word's own count of
  updates in the step (`word_updates`), never row by row.

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


def word_updates(per_position, owner, slot, slots: int):
    """Per input row, the pair updates of the whole word it belongs to: the row-update cap scales all of a word's rows alike.

    Every row of a word gets the same gradient (the whole gradient of the
    mean), so the word's vector moves by the full update whatever share of
    it each row takes. Scaled row by row, a shared n-gram and the word's own
    row would take different shares of the same update, and the difference
    would go where the loss cannot see it: +d on the n-gram and -d on the
    own rows of the words that contain it leaves every trained word's vector
    as it was. Nothing pulls that back, so it piled up epoch after epoch:
    with rows scaled by their own tallies (each row counting its word's
    updates over √(the word's row count)), the most frequent n-grams grew
    from norms of 6-20 after the first epoch of five to 18-68 after the
    fifth (`ion` 68 against fastText's 13), and a word never seen, which has
    no own row to cancel them, was pulled towards every other word sharing
    them (docs/benchmarks.md, "Rows that drift where the loss cannot see").
    Scaled by their word's count, an n-gram row still sums the updates of
    every word that holds it, as fastText's does.
    """
    per_word = ops.segment_sum(ops.reshape(per_position, (-1,)), ops.reshape(slot, (-1,)), num_segments=slots + 1)
    return ops.take(per_word, owner, axis=0)
