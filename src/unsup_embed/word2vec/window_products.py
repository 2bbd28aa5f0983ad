"""The products of every centre with its window, as small matrix products, with gradients written to match.

A step's rows hold `length` centres with `window` positions of context on
either side (blocks.py). Two products read each centre's band of 2 x window
neighbours:

- `window_scores(centres, span)`: the dot product of every centre with each
  neighbour (skip-gram);
- `window_sums(weights, span)`: for each centre, the weighted sum of its
  neighbours' rows (CBOW's context sum; the weights are its pair masks).

Both are computed a tile of `tile` centres at a time, as one small matrix
product of the tile against its `tile + 2 * window` span positions, with the
band of each centre's own window cut out of (or laid into) the product by a
reshape: the "skew" of relative-position attention. One matrix product
instead of 2 x window passes over the rows makes a step about three times
faster on a CPU, for 2 x window / (tile + 2 * window) more arithmetic.

Their gradients are written here instead of derived. Derived, the gradient
with respect to the span is a product that contracts the weights on their
centre axis, which XLA on a CPU ran at a third of the forward's speed (it
was the costliest operation of a CBOW step). Yet that gradient is itself a
window sum seen from the other side: each span position gathers the
centres whose window holds it, with the band mirrored (`spread_to_span`).
Written so, every product of the step has the forward's layout: a CBOW
block 0.77x its time, a skip-gram block 0.90x (docs/benchmarks.md, "Noise
words from the host"), with gradients equal to the derived ones up to
rounding (tests/test_windows.py).

The tile trades wasted products (2 x window / tile of them) against the
number of small products. On two CPU cores, text8like: CBOW's window sums
ran a block in 0.88x the time with tiles of 8 instead of 16 (4 was slower
again); skip-gram's scores showed no difference within the machine's noise
(docs/benchmarks.md, "A step's fixed costs").

Reference: Mikolov et al. 2013 (the window); Huang et al. 2018, "Music
Transformer" (the skew).
"""

from __future__ import annotations

from keras import ops

from .windows import band_at_neighbours

SCORE_TILE = 16  # centres per product in window_scores (skip-gram)
SUM_TILE = 8  # ... in window_sums (CBOW)


def window_tiles(span_rows, window: int, tile: int):
    """(rows, length / tile, tile + 2 * window, dim): the span rows each tile of `tile` centres sees."""
    length = ops.shape(span_rows)[1] - 2 * window
    starts = ops.arange(0, length, tile)
    positions = ops.expand_dims(starts, 1) + ops.expand_dims(ops.arange(tile + 2 * window), 0)
    return ops.take(span_rows, positions, axis=1)


def _scores(centre_rows, span_rows, window: int, tile: int):
    rows, length, dim = ops.shape(centre_rows)[0], ops.shape(centre_rows)[1], ops.shape(centre_rows)[2]
    tiles, width = length // tile, tile + 2 * window
    centres = ops.reshape(centre_rows, (rows, tiles, tile, dim))
    scores = ops.einsum("rtcd,rtpd->rtcp", centres, window_tiles(span_rows, window, tile))
    # Row c of the tile holds positions c..c+2*window of the band at columns c..c+2*window;
    # padding each row by one place shifts row c left by c, lining the bands up in columns 0..2*window.
    flat = ops.pad(ops.reshape(scores, (rows, tiles, tile * width)), [[0, 0], [0, 0], [0, tile]])
    band = ops.reshape(flat, (rows, tiles, tile, width + 1))[..., : 2 * window + 1]
    band = ops.concatenate([band[..., :window], band[..., window + 1 :]], axis=-1)  # drop the centre itself
    return ops.reshape(band, (rows, length, 2 * window))


def _sums(weights, span_rows, window: int, tile: int):
    rows, length = ops.shape(weights)[0], ops.shape(weights)[1]
    tiles, width = length // tile, tile + 2 * window
    # The inverse of the skew in _scores: lay each centre's band of weights along its tile row.
    with_self = ops.concatenate([weights[..., :window], ops.zeros_like(weights[..., :1]), weights[..., window:]], axis=-1)
    padded = ops.pad(ops.reshape(with_self, (rows, tiles, tile, 2 * window + 1)), [[0, 0], [0, 0], [0, 0], [0, width - 2 * window]])
    flat = ops.reshape(padded, (rows, tiles, tile * (width + 1)))[..., : tile * width]
    laid = ops.reshape(flat, (rows, tiles, tile, width))
    sums = ops.einsum("rtcp,rtpd->rtcd", laid, window_tiles(span_rows, window, tile))
    return ops.reshape(sums, (rows, length, ops.shape(span_rows)[-1]))


def spread_to_span(band, centre_values, window: int, tile: int):
    """(rows, length + 2 * window, dim): for each span position, the sum over the centres whose window holds it of band[c, k] * centre_values[c].

    `band` (rows, length, 2 x window) has one value per centre and neighbour
    (offsets(window)[k]). Span position p is the neighbour at offset o of
    the centre c = p - window - o, so it receives that centre's value with
    the band mirrored: a window sum (`_sums`) over the centres, laid out as
    a span of its own (the centres, with 2 x window empty places before
    them), its length rounded up to whole tiles.
    """
    length = ops.shape(centre_values)[1]
    span = length + 2 * window
    receivers = -(-span // tile) * tile
    # At span position p, offset o is read back at offsets(window).index(-o): the band at the neighbours, mirrored.
    mirrored = ops.pad(ops.flip(band_at_neighbours(band, window), axis=-1), [[0, 0], [0, receivers - span], [0, 0]])
    centres = ops.pad(centre_values, [[0, 0], [2 * window, receivers - length], [0, 0]])
    return _sums(mirrored, centres, window, tile)[:, :span]


def window_scores(centre_rows, span_rows, window: int, tile: int = SCORE_TILE):
    """(rows, length, 2 x window): the dot product of every centre with each neighbour position in its window."""

    @ops.custom_gradient
    def scores(centres, span):
        def gradient(*arguments, upstream=None):
            upstream = arguments[0] if upstream is None else upstream  # TensorFlow passes it by keyword, JAX in place
            return _sums(upstream, span, window, tile), spread_to_span(upstream, centres, window, tile)

        return _scores(centres, span, window, tile), gradient

    return scores(centre_rows, span_rows)


def window_sums(weights, span_rows, window: int, tile: int = SUM_TILE):
    """(rows, length, dim): for each centre, the sum of the span rows it pairs with, weighted (masks as in pair_masks).

    Only `span_rows` is differentiated; the weights are the step's pair masks.
    """

    @ops.custom_gradient
    def sums(span):
        def gradient(*arguments, upstream=None):
            upstream = arguments[0] if upstream is None else upstream
            return spread_to_span(weights, upstream, window, tile)

        return _sums(weights, span, window, tile), gradient

    return sums(span_rows)
