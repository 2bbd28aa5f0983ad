"""Stripes: the parts of an epoch's text that a step's rows are cut from, each subsampled and buffered on its own.

A step holds `rows x length` centres. Cut from one run of text, a step of
1,024 centres is a thousand consecutive words of one article, in which the
article's own words come back again and again; their updates are summed
into one step, from the same stale vectors, where word2vec's and fastText's
threads would apply them one at a time. So, on a corpus long enough, the
epoch's text is cut into one stripe per row, and row r of every step
continues stripe r: a step's rows come from as many distant places, as
each of word2vec's threads reads its own part of the file.

Measured on text8like, 1 epoch, `--subwords`, batch 1,024 (docs/benchmarks.md,
"Rows from distant places"): analogy 0.428 -> 0.448, and the n-grams a
misspelling shares with its word, scored alone, 0.042-0.049 -> 0.078.

A corpus shorter than `rows x STRIPE_TOKENS` tokens keeps one stripe, whose
rows are consecutive text (tests, the shipped toy corpus).
"""

from __future__ import annotations

import numpy as np

from ..text.encode import EncodedCorpus

CHUNK_TOKENS = 1 << 20  # read at a time, shared out between the stripes: memory holds one chunk's worth in all
STRIPE_TOKENS = 1 << 16  # the least text a stripe is given


def stripe_bounds(tokens: int, rows: int, least: int = STRIPE_TOKENS) -> list[tuple[int, int]]:
    """(start, stop) token ranges: one per row when each gets `least` tokens or more, else the whole corpus as one."""
    count = rows if rows > 1 and tokens >= rows * least else 1
    edges = [tokens * part // count for part in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def epoch_stripes(encoded: EncodedCorpus, rows: int, least: int, window: int, keep_probability, key: list[int]) -> list["Stripe"]:
    """The stripes of one epoch, each subsampled with its own draws, seeded by `key` and the stripe's number.

    One stripe alone is seeded by `key` as it is, so a short corpus draws
    what it drew before there were stripes. The stripes share one chunk's
    worth of reading between them.
    """
    bounds = stripe_bounds(len(encoded), rows, least)
    chunk_tokens = max(CHUNK_TOKENS // len(bounds), STRIPE_TOKENS // 4)
    return [
        Stripe(encoded, start, stop, window, keep_probability, np.random.default_rng(key + ([part] if len(bounds) > 1 else [])), chunk_tokens)
        for part, (start, stop) in enumerate(bounds)
    ]


class Stripe:
    """One stripe of an epoch: its tokens that subsampling keeps, read a chunk at a time into a buffer."""

    def __init__(self, encoded: EncodedCorpus, start: int, stop: int, window: int, keep_probability, rng: np.random.Generator, chunk_tokens: int):
        self.start, self.stop = start, stop
        self.buffer = TokenBuffer(window)
        self._chunks = self._kept_chunks(encoded, keep_probability, rng, chunk_tokens)

    def fill(self, centres: int) -> None:
        """Read on until `centres` centres, and the window after them, are buffered, or the stripe is all read."""
        while self.buffer.centres_available() < centres + self.buffer.window:
            chunk = next(self._chunks, None)
            if chunk is None:
                return
            self.buffer.append(*chunk)

    def position(self) -> int:
        """Tokens of the stripe before its next centre (all of them once it is used up)."""
        return self.buffer.next_position(self.stop) - self.start

    def _kept_chunks(self, encoded: EncodedCorpus, keep_probability, rng: np.random.Generator, chunk_tokens: int):
        """(ids, sentence numbers, corpus positions) of the tokens subsampling keeps, chunk by chunk."""
        first = self.start
        sentence_offset = 0
        for ids, sentences in encoded.chunks(chunk_tokens, self.start, self.stop):
            positions = np.arange(first, first + ids.shape[0], dtype=np.int64)
            sentences = sentences + sentence_offset
            sentence_offset = int(sentences[-1]) + 1 if sentences.shape[0] else sentence_offset
            first += ids.shape[0]
            if keep_probability is not None:
                kept = rng.random(ids.shape[0], dtype=np.float32) < keep_probability[ids]
                ids, sentences, positions = ids[kept], sentences[kept], positions[kept]
            yield ids, sentences, positions


class TokenBuffer:
    """The kept tokens waiting to be cut into steps, with `window` tokens of left context kept back."""

    def __init__(self, window: int):
        self.window = window
        # Positions before the first token hold nothing (sentence -1).
        self.ids = np.zeros(window, np.int32)
        self.sentences = np.full(window, -1, np.int64)
        self.positions = np.zeros(window, np.int64)

    def append(self, ids: np.ndarray, sentences: np.ndarray, positions: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, ids.astype(np.int32, copy=False)])
        self.sentences = np.concatenate([self.sentences, sentences.astype(np.int64, copy=False)])
        self.positions = np.concatenate([self.positions, positions])

    def centres_available(self) -> int:
        return self.ids.shape[0] - self.window

    def window_of(self, centres: int):
        """(ids, sentences) of the next `centres` centres with `window` tokens either side, padded."""
        size = centres + 2 * self.window
        ids = np.zeros(size, np.int32)
        sentences = np.full(size, -1, np.int64)
        have = min(size, self.ids.shape[0])
        ids[:have] = self.ids[:have]
        sentences[:have] = self.sentences[:have]
        return ids, sentences

    def next_position(self, total: int) -> int:
        """Corpus position of the next centre, or `total` if there is none."""
        return int(self.positions[self.window]) if self.window < self.ids.shape[0] else total

    def advance(self, centres: int) -> None:
        """Drop the next `centres` centres, keeping `window` tokens before the new first centre."""
        cut = min(centres, self.ids.shape[0])
        self.ids = self.ids[cut:]
        self.sentences = self.sentences[cut:]
        self.positions = self.positions[cut:]
