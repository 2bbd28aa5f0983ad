"""Training blocks: the subsampled token stream cut into fixed-shape spans, one schema for every step.

Each epoch, every token of the encoded corpus is kept with word2vec's
subsampling probability (a fresh draw per epoch), and the kept tokens, in
corpus order, are cut into blocks of `steps` SGD steps. A step holds
`rows` rows of `length` consecutive centre words, each row with `window`
tokens of context on either side (its halo), so every centre sees its whole
window without any pair being listed. On a long corpus, row r of every step
continues stripe r of the epoch's text, so a step's rows come from distant
places (stripes.py); on a short one, the rows of a step follow each other.
Windows never cross a sentence: every position carries its sentence number,
and the step's pairs are the positions of one sentence within the centre's
window (windows.py draws the window sizes on the device, from the step's
seed; the host draws the noise words, noise_words.py).

`block_schema` is the one definition of a block: its fields, their shapes and
dtypes. Every step reads it; the pipeline below makes it; tf.data, the
parameter-server workers and the JAX path take their signatures from it.

- `ids` (steps, rows, span) int32: word ids, 0 where there is no token;
- `sentence` (steps, rows, span) int32: sentence number, -1 where there is
  no token (past the end of the epoch, or before its start);
- `centres` (steps, rows, length) bool: the positions that are centres of
  this step (the others are only contexts, or nothing);
- `learning_rate` (steps,) float32: word2vec's linearly decayed rate at the
  corpus position where the step starts;
- `words` (steps,) float32: the corpus tokens (before subsampling) the step
  stands for, so progress and words/s count what word2vec counts;
- `seed` (steps, 2) int32: the step's random seed, a function of the run's
  seed, the epoch, the shard and the step's place in the epoch, so a resumed
  run draws exactly what an uninterrupted one would;
- `noise` (steps, rows, length / group, draws) int32, with negative
  sampling: the steps' noise words, drawn on the host (noise_words.py) while
  the block before trains; a step that finds none draws its own from `seed`;
- `subword_rows`, `subword_owner` (steps, budget) and `subword_slot`
  (steps, rows, centres or span) int32, with `--subwords`: the input rows of
  the step's distinct words, the word each belongs to, and each position's
  word (subword_inputs.py). A step then holds as many centres (CBOW: whole
  rows) as fit its budget of input rows; the rest of it is left empty.

The last block of an epoch is padded with empty positions (sentence -1),
which train nothing. A window does not cross the boundary between two chunks
of the encoded corpus (one every million tokens), as a sentence cut there
continues under a new number.

Reference: Mikolov et al. 2013 and word2vec.c (`TrainModelThread`: dynamic
window, subsampling, linear learning-rate decay).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..text.encode import EncodedCorpus
from .stripes import STRIPE_TOKENS, Stripe, epoch_stripes

SPAN_LENGTH = 128  # centres per row: long enough that the halo costs little, short enough to keep rows apart


@dataclass(frozen=True)
class BlockShape:
    steps: int  # SGD steps per block (per compiled call)
    rows: int
    length: int  # centres per row
    window: int

    @classmethod
    def for_batch(cls, batch_size: int, steps: int, window: int) -> "BlockShape":
        """Rows of `SPAN_LENGTH` centres (one shorter row for a small batch) holding `batch_size` centres."""
        length = min(batch_size, SPAN_LENGTH)
        return cls(steps, -(-batch_size // length), length, window)

    @property
    def span(self) -> int:
        return self.length + 2 * self.window

    @property
    def centres_per_step(self) -> int:
        return self.rows * self.length

    @property
    def centres(self) -> int:
        return self.steps * self.centres_per_step


def block_schema(shape: BlockShape, subwords=None, noise=None) -> dict[str, tuple[tuple[int, ...], str]]:
    """The fields of a block: name -> (shape, dtype); `subwords` (a SubwordPacker) adds the input rows of each step, `noise` (NoiseWords) its noise words."""
    tokens = (shape.steps, shape.rows, shape.span)
    schema = {
        "ids": (tokens, "int32"),
        "sentence": (tokens, "int32"),
        "centres": ((shape.steps, shape.rows, shape.length), "bool"),
        "learning_rate": ((shape.steps,), "float32"),
        "words": ((shape.steps,), "float32"),
        "seed": ((shape.steps, 2), "int32"),
    }
    if subwords is not None:
        grid = (shape.rows, subwords.positions_per_row)
        schema["subword_rows"] = ((shape.steps, subwords.budget), "int32")
        schema["subword_owner"] = ((shape.steps, subwords.budget), "int32")
        schema["subword_slot"] = ((shape.steps, *grid), "int32")
    if noise is not None:
        schema["noise"] = (noise.field_shape(shape.steps, shape.rows, shape.length), "int32")
    return schema


def zero_block(shape: BlockShape, subwords=None, noise=None) -> dict[str, np.ndarray]:
    """Every field of `block_schema`, filled with zeros."""
    return {name: np.zeros(dims, dtype) for name, (dims, dtype) in block_schema(shape, subwords, noise).items()}


def empty_block(shape: BlockShape, learning_rate: float, subwords=None, noise=None) -> dict[str, np.ndarray]:
    """A block that trains nothing (no tokens, no words): what a finished shard feeds while others finish."""
    block = zero_block(shape, subwords, noise)
    block["sentence"][:] = -1
    block["learning_rate"][:] = learning_rate
    return block


class BlockStream:
    """Fixed-shape blocks of one epoch of an encoded corpus, subsampled afresh each epoch."""

    def __init__(
        self,
        encoded: EncodedCorpus,
        keep_probability: np.ndarray | None,
        shape: BlockShape,
        epochs: int,
        alpha: float,
        min_alpha: float,
        seed: int,
        shard: int = 0,
        subwords=None,
        noise=None,
        stripe_tokens: int = STRIPE_TOKENS,
    ):
        self.encoded = encoded
        self.keep_probability = keep_probability
        self.shape = shape
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.seed = seed
        self.shard = shard
        self.subwords = subwords  # a SubwordPacker (subword_inputs.py), or None
        self.noise = noise  # NoiseWords (noise_words.py), or None: the steps draw their own
        self.stripe_tokens = stripe_tokens  # the least text of a stripe (stripes.py)
        self.tokens = len(encoded)

    def epoch(self, epoch: int, skip_blocks: int = 0) -> Iterator[dict[str, np.ndarray]]:
        """The blocks of `epoch`, after the first `skip_blocks` (already trained before a resume)."""
        stripes = epoch_stripes(
            self.encoded, self.shape.rows, self.stripe_tokens, self.shape.window, self.keep_probability, [self.seed, epoch, self.shard]
        )  # fmt: skip
        # A block is cut once the text it could need is all in: how much it takes depends on its content.
        wanted = self.shape.steps * self.shape.length * (self.shape.rows // len(stripes))
        number = 0
        while True:
            for stripe in stripes:
                stripe.fill(wanted)
            if all(stripe.buffer.centres_available() <= 0 for stripe in stripes):
                return
            block = self._block(stripes, epoch, number)
            if number >= skip_blocks:
                yield block
            number += 1

    def _block(self, stripes: list[Stripe], epoch: int, number: int) -> dict[str, np.ndarray]:
        """Cut the next block off the stripes."""
        shape = self.shape
        block = zero_block(shape, self.subwords, self.noise)
        if self.subwords is None:
            starts = self._cut_whole(stripes, block)
        else:
            starts = self._cut_by_step(stripes, block)
        ends = np.append(starts[1:], sum(stripe.position() for stripe in stripes))
        starts = np.minimum(starts, ends)
        progress = np.minimum((epoch * self.tokens + starts) / max(self.epochs * self.tokens, 1), 1.0)
        block["learning_rate"] = np.maximum(self.alpha - (self.alpha - self.min_alpha) * progress, self.min_alpha).astype(np.float32)
        block["words"] = (ends - starts).astype(np.float32)
        first_seed = (self.seed * 7919 + epoch * 104_729 + self.shard * 1_299_709) % (1 << 31)
        block["seed"] = np.stack([np.full(shape.steps, first_seed), number * shape.steps + np.arange(shape.steps)], axis=1).astype(np.int32)
        if self.noise is not None:
            block["noise"] = self.noise.for_block(block["seed"], shape.rows, shape.length)
        return block

    def _cut_whole(self, stripes: list[Stripe], block: dict[str, np.ndarray]) -> np.ndarray:
        """Fill the block's positions a stripe at a time: without subwords every step takes a full share of each stripe.

        Row r of a stripe's part of step t holds its centres t x share + r x
        length onwards (share = the stripe's rows x length), with the halo; a
        stripe that runs out leaves its later centres empty. The same block as
        `_cut_by_step`, in 16 slices instead of 16 x 32 (tests/test_blocks.py):
        one epoch's CBOW blocks of text8like took 0.64 s instead of 1.03 s.
        """
        shape = self.shape
        rows_each, within = self._stripe_rows(stripes)
        share = rows_each * shape.length
        steps = np.arange(shape.steps)
        starts = np.zeros(shape.steps, np.int64)
        for part, stripe in enumerate(stripes):
            buffer, rows = stripe.buffer, slice(part * rows_each, (part + 1) * rows_each)
            available = max(buffer.centres_available(), 0)
            done = np.minimum(steps * share, available)  # centres taken before each step; once out of text, a step reads the last window
            ids, sentences = buffer.window_of(shape.steps * share)
            layout = done[:, None, None] + within[None]
            block["ids"][:, rows], block["sentence"][:, rows] = ids[layout], sentences[layout]
            taken = np.clip(available - steps * share, 0, share)
            block["centres"][:, rows] = (np.arange(share)[None, :] < taken[:, None]).reshape(shape.steps, rows_each, shape.length)
            # The stripe's position before each step: that of its next centre, or its end once it has none.
            next_centre = buffer.window + done
            has_one = next_centre < buffer.ids.shape[0]
            starts += np.where(has_one, buffer.positions[np.minimum(next_centre, buffer.ids.shape[0] - 1)], stripe.stop) - stripe.start
            buffer.advance(min(shape.steps * share, available))
        return starts

    def _cut_by_step(self, stripes: list[Stripe], block: dict[str, np.ndarray]) -> np.ndarray:
        """Fill the block's positions step by step (with --subwords, each step's budget decides how many centres it takes); its steps' start positions."""
        shape = self.shape
        starts = np.zeros(shape.steps, np.int64)
        rows_each, layout = self._stripe_rows(stripes)
        grid_ids = np.zeros((shape.rows, shape.span), np.int32)
        grid_sentences = np.zeros((shape.rows, shape.span), np.int64)
        for step in range(shape.steps):
            starts[step] = sum(stripe.position() for stripe in stripes)
            for part, stripe in enumerate(stripes):
                ids, sentences = stripe.buffer.window_of(rows_each * shape.length)
                grid_ids[part * rows_each : (part + 1) * rows_each] = ids[layout]
                grid_sentences[part * rows_each : (part + 1) * rows_each] = sentences[layout]
            rows, fit = shape.rows, shape.centres_per_step
            if self.subwords is not None:
                grid, present = self._subword_grid(grid_ids, grid_sentences)
                if self.subwords.centres_only:
                    fit = self.subwords.centres_that_fit(grid, present)
                else:
                    rows = self.subwords.rows_that_fit(grid, present)
                    fit = rows * shape.length
            # Each stripe gives its rows' share of the step's first `fit` centres, as far as it has text.
            centres = np.zeros(shape.centres_per_step, bool)
            for part, stripe in enumerate(stripes):
                first = part * rows_each * shape.length
                count = min(max(fit - first, 0), rows_each * shape.length, max(stripe.buffer.centres_available(), 0))
                centres[first : first + count] = True
                stripe.buffer.advance(count)
            centres = centres.reshape(shape.rows, shape.length)
            block["ids"][step], block["sentence"][step], block["centres"][step] = grid_ids, grid_sentences, centres
            if self.subwords is not None:
                used = centres if self.subwords.centres_only else present & (np.arange(shape.rows) < rows)[:, None]
                inputs = self.subwords.inputs(grid, used)
                block["subword_rows"][step], block["subword_owner"][step], block["subword_slot"][step] = inputs
        return starts

    def _stripe_rows(self, stripes: list[Stripe]) -> tuple[int, np.ndarray]:
        """(rows each stripe gives a step, their positions from the step's first centre of the stripe).

        A stripe gives a step consecutive rows (all of them, or one); its row
        r covers centres [r * length, (r + 1) * length), plus its halo.
        """
        rows_each = self.shape.rows // len(stripes)
        return rows_each, (np.arange(rows_each) * self.shape.length)[:, None] + np.arange(self.shape.span)[None, :]

    def _subword_grid(self, grid_ids: np.ndarray, grid_sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions whose input vectors a step needs (skip-gram: its centres; CBOW: the whole span), and which hold a token."""
        if self.subwords.centres_only:
            centres = slice(self.shape.window, self.shape.window + self.shape.length)
            grid_ids, grid_sentences = grid_ids[:, centres], grid_sentences[:, centres]
        return grid_ids, grid_sentences >= 0
