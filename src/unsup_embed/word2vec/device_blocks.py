"""Training blocks cut on the accelerator: the encoded corpus lives on the device, and no block crosses from the host.

On a GPU the host's pipeline (blocks.py, NumPy on one core, about 1.8M
words/s) cannot feed the compiled step. Here every part of it runs on the
device, in the same compiled call as the SGD steps it feeds (JAX backend):

- the encoded corpus (word ids, and each token's sentence number) is copied
  to the device once, as two int32 arrays;
- each epoch, `subsample` keeps every token with word2vec's subsampling
  probability (a fresh draw per epoch, from the run's seed and the epoch)
  and packs the kept tokens, in corpus order, at the front of two arrays;
- `cut_block` builds a block of the one block schema (blocks.py) from them
  by index arithmetic alone: the epoch's kept text is split into `rows`
  stripes of equal length, and step t of the epoch takes, in row r, the
  t-th run of `length` centres of stripe r, with its window of halo on
  either side. So a step's rows come from distant places, as on the host
  (stripes.py), and windows still span a stripe's boundary, never a
  sentence's. Its noise words are drawn on the device from word2vec's
  unigram^0.75 table, from the step's seed.

Each step's learning rate follows the share of the epoch's stripes already
trained (word2vec's linear decay), and its `words` the corpus tokens that
share stands for, so progress and words/s count what word2vec counts. The
draws are functions of the run's seed, the epoch and the block's place in
it, so a resumed run trains what an uninterrupted one would.

Reference: word2vec.c (`TrainModelThread`: subsampling, dynamic window,
linear decay); Ji et al. 2016 (noise words shared by neighbouring centres).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..text.encode import EncodedCorpus
from .blocks import BlockShape
from .noise_words import NoiseWords


@dataclass(frozen=True)
class EpochTokens:
    """One epoch's kept tokens, packed at the front of two device arrays of the corpus's length."""

    ids: jax.Array  # (tokens,) int32 word ids, 0 past `kept`
    sentence: jax.Array  # (tokens,) int32 sentence numbers, -1 past `kept`
    kept: int  # tokens kept by subsampling
    stripe: int  # kept tokens per stripe (one stripe per row of a step)
    steps: int  # SGD steps of the epoch


class DeviceCorpus:
    """The encoded corpus on the device, and the blocks of each epoch cut from it there."""

    def __init__(
        self,
        encoded: EncodedCorpus,
        keep_probability: np.ndarray | None,
        noise: NoiseWords | None,
        shape: BlockShape,
        epochs: int,
        alpha: float,
        min_alpha: float,
        seed: int,
    ):
        ids = np.fromfile(encoded.ids_path, dtype=np.int32)
        ends = np.fromfile(encoded.ends_path, dtype=np.int64)
        sentence = np.repeat(np.arange(ends.shape[0], dtype=np.int32), np.diff(ends, prepend=0))
        self.tokens = int(ids.shape[0])
        self.ids, self.sentence = jnp.asarray(ids), jnp.asarray(sentence)
        keep = np.ones(int(ids.max(initial=0)) + 1, np.float32) if keep_probability is None else keep_probability
        self.keep_probability = jnp.asarray(keep, dtype=jnp.float32)
        self.noise = noise  # its group and draws; its table goes to the device
        self.noise_table = None if noise is None else jnp.asarray(noise.table, dtype=jnp.int32)
        self.shape, self.epochs, self.alpha, self.min_alpha, self.seed = shape, epochs, alpha, min_alpha, seed
        self._subsample = jax.jit(_subsample)

    def epoch_tokens(self, epoch: int) -> EpochTokens:
        """Subsample the corpus for `epoch` (one draw per token, from the run's seed and the epoch)."""
        key = jax.random.fold_in(jax.random.PRNGKey(self.seed), epoch)
        ids, sentence, kept = self._subsample(self.ids, self.sentence, self.keep_probability, key)
        kept = int(kept)
        stripe = -(-kept // self.shape.rows)
        return EpochTokens(ids, sentence, kept, stripe, -(-stripe // self.shape.length))

    def blocks_in(self, tokens: EpochTokens) -> int:
        return -(-tokens.steps // self.shape.steps)

    def cut_block(self, ids, sentence, kept, stripe, epoch, number, noise_table=None) -> dict:
        """Block `number` of an epoch, as the one block schema's fields.

        Traced inside the compiled call: every argument may be a device
        value. The noise table (`self.noise_table`) comes in as an argument
        there, so that it is not compiled into the program as a constant.
        """
        noise_table = self.noise_table if noise_table is None else noise_table
        shape = self.shape
        step = number * shape.steps + jnp.arange(shape.steps, dtype=jnp.int32)  # the steps' places in the epoch
        row = jnp.arange(shape.rows, dtype=jnp.int32)
        # Position in the stripe of each centre of a row, and of each span position (halo included).
        centre_offset = step[:, None, None] * shape.length + jnp.arange(shape.length, dtype=jnp.int32)[None, None, :]
        span_offset = step[:, None, None] * shape.length + jnp.arange(shape.span, dtype=jnp.int32)[None, None, :] - shape.window
        position = row[None, :, None] * stripe + span_offset
        present = (position >= 0) & (position < kept)
        index = jnp.clip(position, 0, ids.shape[0] - 1)
        centres = (centre_offset < stripe) & (row[None, :, None] * stripe + centre_offset < kept)
        # The share of the stripes trained before and after each step: the learning rate and the words it stands for.
        before = jnp.minimum(step * shape.length, stripe) / jnp.maximum(stripe, 1)
        after = jnp.minimum((step + 1) * shape.length, stripe) / jnp.maximum(stripe, 1)
        progress = jnp.minimum((epoch + before) / self.epochs, 1.0)
        learning_rate = jnp.maximum(self.alpha - (self.alpha - self.min_alpha) * progress, self.min_alpha)
        first_seed = (jnp.int32((self.seed * 7919) % (1 << 31)) + epoch * 104_729) & 0x7FFFFFFF  # wraps, kept non-negative
        seed = jnp.stack([jnp.full((shape.steps,), first_seed, jnp.int32), step], axis=1)
        block = {
            "ids": jnp.where(present, ids[index], 0),
            "sentence": jnp.where(present, sentence[index], -1),
            "centres": centres,
            "learning_rate": learning_rate.astype(jnp.float32),
            "words": ((after - before) * self.tokens).astype(jnp.float32),
            "seed": seed.astype(jnp.int32),
        }
        if noise_table is None:  # an objective without noise words
            return block
        noise_shape = self.noise.field_shape(shape.steps, shape.rows, shape.length)
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(self.seed), epoch), number + (1 << 20))
        block["noise"] = noise_table[jax.random.randint(key, noise_shape, 0, noise_table.shape[0])]
        return block


def _subsample(ids, sentence, keep_probability, key):
    """(ids, sentence numbers, count): the kept tokens packed at the front, in corpus order; 0 and -1 behind them."""
    keep = jax.random.uniform(key, ids.shape) < keep_probability[ids]
    (positions,) = jnp.nonzero(keep, size=ids.shape[0], fill_value=ids.shape[0] - 1)
    count = jnp.sum(keep, dtype=jnp.int32)
    filled = jnp.arange(ids.shape[0]) < count
    return jnp.where(filled, ids[positions], 0), jnp.where(filled, sentence[positions], -1), count
