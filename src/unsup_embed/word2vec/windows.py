"""What a step trains, computed on the device from a block: window pairs and the row-update cap.

Everything here is written with `keras.ops` (plus the random draw of
backend.py), so it runs inside the compiled step on every Keras backend, at
a cost that grows with the batch and never with the vocabulary.

- `pair_masks`: word2vec's dynamic window. Each centre draws its window size b
  uniformly in 1..window; it pairs with each position at distance 1..b
  holding a token of its own sentence. One (rows, length, 2 x window) mask,
  built for every offset at once.
- `band_at_neighbours`: a value per (centre, offset) moved to the span
  position it concerns: how many centres pair with each position, and the
  gradient of a window sum (window_products.py).
- `row_update_scales`: the row-update cap. A frequent word occurs many times
  in one step, and summing all its updates at word2vec's learning rate
  diverges on small vocabularies. Each row takes its summed update in full
  up to `cap` pair updates per step, and is scaled down to `cap` updates'
  worth beyond that. The count of a row's updates is added into a tally and
  taken out again after reading, so no step clears or scans a vector of the
  vocabulary's size.
  A shared noise draw counts once: its gradient is one row of a matrix
  product over the group, not one update per pair.

The noise words come with the block, drawn by the host (noise_words.py).

Reference: word2vec.c (dynamic window).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from . import backend


def offsets(window: int) -> list[int]:
    """Positions of a centre's possible neighbours, relative to it."""
    return [*range(-window, 0), *range(1, window + 1)]


def pair_masks(sentence, seed, window: int, length: int, centres=None):
    """(masks, counts): masks (rows, length, 2 x window) is 1.0 where the centre pairs with its neighbour at offsets(window)[k].

    `sentence` is one step's (rows, length + 2 * window) sentence numbers,
    -1 where there is no token; `centres` (rows, length), when given, says
    which positions are centres of this step (by default every token);
    `counts` (rows, length) is the number of pairs per centre.
    """
    rows = ops.shape(sentence)[0]
    centre = sentence[:, window : window + length]
    is_centre = ops.greater_equal(centre, 0) if centres is None else ops.logical_and(ops.cast(centres, "bool"), ops.greater_equal(centre, 0))
    reach = backend.uniform_ints(seed, 0, (rows, length), window) + 1
    # Every (centre, offset) at once, by one gather of the neighbours' sentence numbers: a loop over the
    # offsets left XLA one small kernel per offset, more to compile in every fresh run (docs/benchmarks.md).
    neighbour = ops.take(sentence, _neighbour_positions(window, length), axis=1)
    paired = ops.logical_and(ops.equal(neighbour, ops.expand_dims(centre, -1)), ops.expand_dims(is_centre, -1))
    paired = ops.logical_and(paired, ops.greater_equal(ops.expand_dims(reach, -1), np.abs(np.array(offsets(window), np.int32))))
    masks = ops.cast(paired, "float32")
    return masks, ops.sum(masks, axis=-1)


def _neighbour_positions(window: int, length: int) -> np.ndarray:
    """(length, 2 x window): the span position of each centre's neighbour at each offset."""
    return (np.arange(length)[:, None] + window + np.array(offsets(window))[None, :]).astype(np.int32)


def band_at_neighbours(band, window: int):
    """(rows, length + 2 * window, 2 x window): band[c, k] moved to the span position that centre c sees at offsets(window)[k].

    Entry [p, k] is band[p - window - offsets[k], k], the value of the
    centre that sees span position p at offset k (0 where there is none). Its
    sum over k is how many centres pair with each position (`neighbour_counts`),
    and the gradient of a window sum reads it (window_products.py). One
    gather from the band padded with zeros, whatever the window.
    """
    rows, length, width = ops.shape(band)[0], ops.shape(band)[1], ops.shape(band)[2]
    padded = ops.reshape(ops.pad(band, [[0, 0], [2 * window, 2 * window], [0, 0]]), (rows, (length + 4 * window) * width))
    span = np.arange(length + 2 * window)[:, None]
    source = span - window - np.array(offsets(window))[None, :] + 2 * window  # the centre's place in the padded band
    return ops.take(padded, (source * width + np.arange(width)[None, :]).astype(np.int32), axis=1)


def mean_passing_full_gradient(total, count):
    """total / count in the forward pass, while each summed vector receives the whole gradient (word2vec's CBOW)."""
    count = ops.expand_dims(ops.maximum(count, 1.0), -1)
    return total + ops.stop_gradient(total / count - total)


def neighbour_counts(masks, window: int):
    """(rows, length + 2 * window): how many centres pair with each position of the span."""
    return ops.sum(band_at_neighbours(masks, window), axis=-1)


def row_update_scales(ids, updates, cap: float, tally):
    """(scales, tally): per position of `ids` (1-D), min(1, cap / pair updates its row takes in all of `ids`).

    `updates` (1-D, like `ids`) is the number of pair updates each position
    stands for. `tally` (`empty_tally`) is a vector with one entry per table
    row, holding the previous step's updates at that step's ids and zero
    elsewhere, with those ids and updates: one scatter takes the previous
    step's out and puts this step's in, the counts are read back at the ids,
    and the new tally holds this step's. So the step's cost follows its ids,
    not the table's size, and the tally is updated in place. (Taking a
    step's own updates out again after reading them, a second scatter on the
    same vector, made XLA copy the whole vector twice a step: 2 x 8 MB with
    `--subwords`' 2M n-gram rows, which made a 256-centre step 1.9x slower.)
    The counts are whole numbers, so float32 adds and subtracts them exactly.
    """
    counts, last_ids, last_updates = tally
    counts = backend.scatter_add(counts, ops.concatenate([last_ids, ids]), ops.concatenate([-last_updates, updates]))
    return cap_scales(ops.take(counts, ids, axis=0), cap), (counts, ids, updates)


def cap_scales(updates, cap: float):
    """min(1, cap / updates): the share of its summed update a row takes when it stands for `updates` pair updates."""
    return ops.minimum(1.0, cap / ops.maximum(updates, 1e-6))


def empty_tally(rows: int, size: int):
    """The tally of `row_update_scales` before a block's first step, for a table of `rows` rows whose steps list `size` ids."""
    return ops.zeros((rows,), "float32"), ops.zeros((size,), "int32"), ops.zeros((size,), "float32")
