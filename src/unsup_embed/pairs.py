"""Skip-gram (word, neighbour) pairs, vectorised, grouped into training blocks.

For each centre word, word2vec draws a window size b uniformly in 1..window
and pairs the centre with every word at distance 1..b inside its sentence,
after frequent words were subsampled away with word2vec's keep probability.
`skipgram_pairs` does exactly that for a whole chunk of tokens with one
masked shift per distance (no per-pair Python loop).

`PairBlocks` walks the encoded corpus in chunks of `CHUNK_TOKENS`, shuffles the
pairs of each chunk, draws the shared negatives, and cuts the stream into
fixed-shape blocks of `steps_per_call` SGD steps of `batch_size` pairs for the
compiled training step. Each step carries word2vec's linearly decayed learning
rate for the point of the corpus its pairs came from. The last block of an
epoch is padded with weight-0 pairs, so shapes never change and nothing is
dropped. A window never crosses a chunk boundary: at most `window` pairs per
million tokens are lost that way.

Reference: Mikolov et al. 2013, word2vec.c (`TrainModelThread`); Ji et al. 2016
for negatives shared by a group of pairs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .config import TrainConfig
from .encode import EncodedCorpus
from .vocab import Vocabulary

CHUNK_TOKENS = 1 << 20


def skipgram_pairs(
    ids: np.ndarray,
    sentence_ids: np.ndarray,
    window: int,
    rng: np.random.Generator,
    keep_probability: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(centre, neighbour) id arrays for a run of tokens; windows stay inside sentences."""
    ids = np.asarray(ids)
    sentence_ids = np.asarray(sentence_ids)
    if keep_probability is not None:
        kept = rng.random(ids.shape[0], dtype=np.float32) < keep_probability[ids]
        ids, sentence_ids = ids[kept], sentence_ids[kept]
    reach = rng.integers(1, window + 1, size=ids.shape[0], dtype=np.int32)
    centres, neighbours = [], []
    for distance in range(1, min(window, ids.shape[0] - 1) + 1):
        same_sentence = sentence_ids[:-distance] == sentence_ids[distance:]
        rightward = same_sentence & (reach[:-distance] >= distance)  # centre on the left
        leftward = same_sentence & (reach[distance:] >= distance)  # centre on the right
        centres += [ids[:-distance][rightward], ids[distance:][leftward]]
        neighbours += [ids[distance:][rightward], ids[:-distance][leftward]]
    if not centres:
        empty = np.zeros(0, dtype=ids.dtype)
        return empty, empty.copy()
    return np.concatenate(centres), np.concatenate(neighbours)


class PairBlocks:
    """Fixed-shape training blocks of shuffled pairs, one epoch per `epoch()` call."""

    def __init__(self, encoded: EncodedCorpus, vocabulary: Vocabulary, config: TrainConfig):
        self.encoded = encoded
        self.config = config
        self.keep_probability = vocabulary.keep_probabilities(config.sample) if config.sample > 0 else None
        self.negative_sampling = config.objective == "negative-sampling"
        self.noise_table = vocabulary.noise_table() if self.negative_sampling else None
        self.block_pairs = config.steps_per_call * config.batch_size
        self.corpus_tokens = len(encoded)

    def words_total(self) -> int:
        return self.corpus_tokens * self.config.epochs

    def epoch(self, epoch: int) -> Iterator[dict[str, np.ndarray]]:
        rng = np.random.default_rng([self.config.seed, epoch])
        done_before = epoch * self.corpus_tokens
        pending = _PairBuffer()
        start = 0
        for ids, sentence_ids in self.encoded.chunks(CHUNK_TOKENS):
            stop = start + ids.shape[0]
            centres, neighbours = skipgram_pairs(ids, sentence_ids, self.config.window, rng, self.keep_probability)
            order = rng.permutation(centres.shape[0])
            # Word position of each pair, spread evenly over the chunk's tokens.
            positions = np.linspace(done_before + start, done_before + stop, centres.shape[0], endpoint=False)
            pending.append(centres[order], neighbours[order], positions, chunk_end=done_before + stop)
            while len(pending) >= self.block_pairs:
                yield self._block(pending, rng)
            start = stop
        while len(pending) > 0:
            yield self._block(pending, rng)

    def empty_block(self) -> dict[str, np.ndarray]:
        """A block that trains nothing (weight 0, no words): what a finished shard feeds while others finish."""
        config = self.config
        shape = (config.steps_per_call, config.batch_size)
        block = {
            "word": np.zeros(shape, np.int32),
            "neighbour": np.zeros(shape, np.int32),
            "weight": np.zeros(shape, np.float32),
            "learning_rate": np.full(config.steps_per_call, config.min_alpha, np.float32),
            "words": np.zeros(config.steps_per_call, np.float32),
        }
        if self.negative_sampling:
            block["negatives"] = np.zeros((config.steps_per_call, config.batch_size // config.negative_group, config.negative), np.int32)
        return block

    def _block(self, pending: "_PairBuffer", rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Cut one block off the front of the buffer, padding the last one with weight 0.

        Every field has the step as its leading axis, so a tf.distribute
        strategy can split a block's steps across replicas.
        """
        config = self.config
        size = self.block_pairs
        centres, neighbours, positions, next_position = pending.take(size)
        real = centres.shape[0]
        weight = np.zeros(size, dtype=np.float32)
        weight[:real] = 1.0
        # Word position where each step starts; padding steps sit at the end.
        step_starts = positions[:: config.batch_size]
        steps = step_starts.shape[0]
        boundaries = np.append(step_starts, next_position)
        words = np.zeros(config.steps_per_call, dtype=np.float32)
        words[:steps] = np.diff(boundaries)  # corpus tokens each step stands for
        progress = np.ones(config.steps_per_call)
        progress[:steps] = step_starts / self.words_total()
        learning_rate = np.maximum(config.alpha - (config.alpha - config.min_alpha) * progress, config.min_alpha)
        shape = (config.steps_per_call, config.batch_size)
        block = {
            "word": _padded(centres, size).reshape(shape),
            "neighbour": _padded(neighbours, size).reshape(shape),
            "weight": weight.reshape(shape),
            "learning_rate": learning_rate.astype(np.float32),
            "words": words,
        }
        if self.negative_sampling:
            groups = config.batch_size // config.negative_group
            draws = rng.integers(0, self.noise_table.shape[0], size=(config.steps_per_call, groups, config.negative))
            block["negatives"] = self.noise_table[draws]
        return block


def _padded(values: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=np.int32)
    out[: values.shape[0]] = values
    return out


class _PairBuffer:
    """Pairs waiting to be cut into blocks: arrays plus a read cursor, concatenated once per chunk."""

    def __init__(self):
        self.centres = np.zeros(0, dtype=np.int32)
        self.neighbours = np.zeros(0, dtype=np.int32)
        self.positions = np.zeros(0, dtype=np.float64)
        self.cursor = 0
        self.chunk_end = 0.0

    def __len__(self) -> int:
        return self.centres.shape[0] - self.cursor

    def append(self, centres, neighbours, positions, chunk_end: float) -> None:
        rest = slice(self.cursor, None)
        self.centres = np.concatenate([self.centres[rest], centres.astype(np.int32, copy=False)])
        self.neighbours = np.concatenate([self.neighbours[rest], neighbours.astype(np.int32, copy=False)])
        self.positions = np.concatenate([self.positions[rest], positions])
        self.cursor = 0
        self.chunk_end = chunk_end

    def take(self, size: int):
        """The next `size` pairs (fewer at the end) and the word position where the rest begins."""
        taken = slice(self.cursor, self.cursor + size)
        self.cursor = min(self.cursor + size, self.centres.shape[0])
        next_position = self.positions[self.cursor] if len(self) else self.chunk_end
        return self.centres[taken], self.neighbours[taken], self.positions[taken], next_position
