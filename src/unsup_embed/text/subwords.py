"""Character n-grams of words, hashed into buckets exactly as fastText does (Bojanowski et al. 2017).

A word is wrapped as `<word>`; its n-grams are the runs of `min_n` to
`max_n` characters (whole UTF-8 characters, never cut inside one) of the
wrapped word, and each is hashed with 32-bit FNV-1a into one of `buckets`
rows, which follow the vocabulary's rows in the input table: row
`vocabulary_size + hash % buckets`. A word's input vector is the mean of
its own row and its n-gram rows; an unseen word's is the mean of its
n-gram rows alone.

This is fastText's `Dictionary::computeSubwords` and `Dictionary::hash`,
including its quirk of adding each byte to the hash as a *signed* char
(bytes of 0x80 and above are sign-extended), so the rows this project
trains are the rows fastText (and gensim's fastText loader) look up, and
an exported model answers unseen words the way fastText would.

Reference: fastText `src/dictionary.cc` (computeSubwords, hash); gensim
`models/fasttext.py` (`ft_hash_bytes`, `compute_ngrams_bytes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
BEGIN, END = "<", ">"


def fasttext_hash(data: bytes) -> int:
    """fastText's 32-bit FNV-1a of a byte string, each byte taken as a signed char."""
    value = FNV_OFFSET
    for byte in data:
        value ^= byte if byte < 0x80 else (byte - 0x100) & 0xFFFFFFFF  # int8 sign extension to uint32
        value = (value * FNV_PRIME) & 0xFFFFFFFF
    return value


def character_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams of `<word>`, in fastText's order (by start position, then by length).

    A single character at either end (the `<` or `>` alone) is never an
    n-gram, as in fastText.
    """
    wrapped = BEGIN + word + END
    ngrams = []
    for start in range(len(wrapped)):
        for length in range(1, max_n + 1):
            stop = start + length
            if stop > len(wrapped):
                break
            if length >= min_n and not (length == 1 and (start == 0 or stop == len(wrapped))):
                ngrams.append(wrapped[start:stop])
    return ngrams


def ngram_buckets(word: str, min_n: int, max_n: int, buckets: int) -> list[int]:
    """The bucket of each of the word's n-grams (0 <= bucket < buckets), in fastText's order."""
    return [fasttext_hash(ngram.encode("utf-8")) % buckets for ngram in character_ngrams(word, min_n, max_n)]


def fasttext_hashes(strings: Sequence[bytes]) -> np.ndarray:
    """`fasttext_hash` of many byte strings at once (vectorised over the strings, a loop over byte positions)."""
    lengths = np.fromiter(map(len, strings), np.int64, len(strings))
    values = np.full(len(strings), FNV_OFFSET, np.uint32)
    if not len(strings):
        return values
    joined = np.frombuffer(b"".join(strings), np.uint8)
    starts = np.cumsum(lengths) - lengths
    for position in range(int(lengths.max())):
        active = np.flatnonzero(lengths > position)
        # A byte as a signed char, sign-extended to 32 bits.
        byte = joined[starts[active] + position].astype(np.int8).astype(np.int64).astype(np.uint32)
        values[active] = (values[active] ^ byte) * np.uint32(FNV_PRIME)
    return values


@dataclass
class SubwordTable:
    """Every vocabulary word's input rows: its own row, then its n-gram rows, as one flat array with offsets.

    `rows[offsets[i]:offsets[i + 1]]` are word i's input-table rows: `i`
    first, then `vocabulary_size + bucket` for each n-gram.
    """

    offsets: np.ndarray  # (words + 1,) int64
    rows: np.ndarray  # (offsets[-1],) int32
    min_n: int
    max_n: int
    buckets: int

    @classmethod
    def build(cls, words: Sequence[str], min_n: int, max_n: int, buckets: int) -> "SubwordTable":
        vocabulary_size = len(words)
        ngrams = [character_ngrams(word, min_n, max_n) for word in words]
        per_word = np.fromiter(map(len, ngrams), np.int64, vocabulary_size)
        buckets_of = fasttext_hashes([ngram.encode("utf-8") for found in ngrams for ngram in found]) % np.uint32(buckets)
        # Each word's own row first, then its n-gram rows.
        sizes = per_word + 1
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        rows = np.empty(offsets[-1], np.int64)
        rows[offsets[:-1]] = np.arange(vocabulary_size)
        ngram_slots = np.ones(offsets[-1], bool)
        ngram_slots[offsets[:-1]] = False
        rows[ngram_slots] = vocabulary_size + buckets_of.astype(np.int64)
        return cls(offsets, rows.astype(np.int32), min_n, max_n, buckets)

    def __post_init__(self) -> None:
        self._sizes = np.diff(self.offsets)  # read for every step's words: computed once

    def sizes(self) -> np.ndarray:
        """Input rows per word (its own, plus its n-grams)."""
        return self._sizes

    def rows_of(self, word_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, owner): the input rows of each of `word_ids`, flat, and the position in `word_ids` each belongs to."""
        word_ids = np.asarray(word_ids)
        sizes = self._sizes[word_ids]
        owner = np.repeat(np.arange(word_ids.shape[0]), sizes)
        starts = np.repeat(self.offsets[word_ids], sizes)
        within = np.arange(owner.shape[0]) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return self.rows[starts + within], owner


def word_vectors(read_rows, subwords: SubwordTable, dim: int, count: int | None = None, chunk_words: int = 8192) -> np.ndarray:
    """The first `count` (default: all) vocabulary words' input vectors: the mean of each word's own row and its n-gram rows.

    fastText's getWordVector. `read_rows(row_ids)` gives those rows of the
    input table (an array's, or a model's, read a chunk of words at a time).
    """
    words = subwords.offsets.shape[0] - 1 if count is None else count
    vectors = np.empty((words, dim), np.float32)
    sizes = subwords.sizes()
    for start in range(0, words, chunk_words):
        stop = min(start + chunk_words, words)
        rows = read_rows(subwords.rows[subwords.offsets[start] : subwords.offsets[stop]])
        firsts = subwords.offsets[start:stop] - subwords.offsets[start]
        vectors[start:stop] = np.add.reduceat(rows, firsts, axis=0) / sizes[start:stop, None]
    return vectors
