"""Vocabulary: words by descending frequency, with word2vec's subsampling and noise tables.

`Vocabulary.from_counts` keeps the words seen at least `min_count` times (at
most `max_vocab` of them), most frequent first; ties in frequency are broken
by first appearance in the corpus, so ids are repeatable run to run. Saved
as `word<TAB>count` lines, most frequent first.

A token longer than `MAX_WORD_CHARACTERS` is never a word of the
vocabulary, whatever its count: raw text holds such runs (encoded data,
sequences, rows of dashes), and with `--subwords` one of them gave every
step room for its n-gram rows (a 200,000-character token: 800,000 rows a
step, 25 times the time) and, its few n-grams repeated thousands of times
in one word, updates that wrecked training (loss 144 after 1 epoch of the
shipped corpus, against 1.7). word2vec's C tool bounds words at 100 bytes
too (`MAX_STRING`).

Counts of a corpus cut into parts (the processes of the ingestion pass, the
workers of a cluster) are merged with `encode_counts` / `merge_encoded_counts`
in a fixed order, so every part ends with the same ids.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import VocabularyError

logger = logging.getLogger(__name__)

MAX_WORD_CHARACTERS = 100


def encode_counts(counts: Counter, seen_tokens: int) -> bytes:
    """`counts` as bytes (`word<TAB>count` lines after a `<TAB>tokens` line), to send to other workers."""
    lines = [f"\t{seen_tokens}"] + [f"{word}\t{count}" for word, count in counts.items()]
    return "\n".join(lines).encode("utf-8")


def merge_encoded_counts(payloads: list[bytes]) -> tuple[Counter, int]:
    """Sum the counts of several `encode_counts` payloads, in payload order (so ids repeat on every worker)."""
    merged: Counter[str] = Counter()
    seen_tokens = 0
    for payload in payloads:
        lines = payload.decode("utf-8").split("\n")
        seen_tokens += int(lines[0][1:])
        for line in lines[1:]:
            word, _, count = line.rpartition("\t")
            merged[word] += int(count)
    return merged, seen_tokens


class Vocabulary:
    """Words, their counts, and the id of each word (0 = most frequent)."""

    def __init__(self, words: list[str], counts: np.ndarray):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.index = {word: word_id for word_id, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def total(self) -> int:
        """In-vocabulary tokens in the corpus."""
        return int(self.counts.sum())

    @classmethod
    def from_counts(cls, counts: Counter, seen_tokens: int, min_count: int = 5, max_vocab: int | None = None) -> "Vocabulary":
        """The words of `counts` reaching `min_count`, most frequent first (ties: first seen first)."""
        # Counter keeps first-appearance order, and sorted() is stable.
        frequent = [item for item in counts.items() if item[1] >= min_count]
        too_long = [word for word, _ in frequent if len(word) > MAX_WORD_CHARACTERS]
        kept = sorted((item for item in frequent if len(item[0]) <= MAX_WORD_CHARACTERS), key=lambda item: -item[1])
        if too_long:
            longest = max(too_long, key=len)
            logger.warning(
                "left out %s token(s) seen at least %d times but longer than %d characters, the most a word may have "
                "(the longest: %r..., %s characters)", f"{len(too_long):,}", min_count, MAX_WORD_CHARACTERS,
                longest[:20], f"{len(longest):,}",
            )  # fmt: skip
        if max_vocab is not None:
            kept = kept[:max_vocab]
        logger.info(
            "counted %s tokens, %s distinct; kept %s words with count >= %d%s",
            f"{seen_tokens:,}", f"{len(counts):,}", f"{len(kept):,}", min_count,
            f" (at most {max_vocab:,})" if max_vocab is not None else "",
        )  # fmt: skip
        if not kept:
            if seen_tokens == 0:
                raise VocabularyError("the corpus holds no tokens; check that the files contain text (and --token-pattern)")
            if frequent:
                raise VocabularyError(
                    f"every token seen at least {min_count} times is longer than {MAX_WORD_CHARACTERS} characters, the most a word "
                    "may have; this does not look like text of words (check the files, or --token-pattern)"
                )
            best = max(counts.values())
            raise VocabularyError(
                f"no word occurs at least {min_count} times (the most frequent occurs {best} times); lower --min-count"
            )
        return cls([word for word, _ in kept], np.array([count for _, count in kept], dtype=np.int64))

    def digest(self) -> str:
        """A short hash of words and counts: equal digests mean equal ids."""
        hasher = hashlib.sha256()
        for word, count in zip(self.words, self.counts.tolist()):
            hasher.update(f"{word}\t{count}\n".encode())
        return hasher.hexdigest()[:16]

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """word2vec's subsampling: P(keep) = (sqrt(f/t) + 1) * t/f, f = count, t = sample * total."""
        if sample <= 0:
            return np.ones(len(self), dtype=np.float32)
        threshold = sample * self.total
        counts = self.counts.astype(np.float64)
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
        return np.minimum(keep, 1.0).astype(np.float32)

    def noise_table(self, power: float = 0.75, size: int | None = None) -> np.ndarray:
        """word2vec's table of noise words, each in proportion to count ** power (word2vec's 0.75): a uniform index into it draws one in O(1)."""
        size = size or int(min(max(100 * len(self), 1_000_000), 10_000_000))
        weights = self.counts.astype(np.float64) ** power
        slots = np.floor(np.cumsum(weights) / weights.sum() * size).astype(np.int64)
        per_word = np.diff(np.concatenate([[0], slots]))
        # Every word keeps at least one slot, so rare words can still be drawn.
        per_word = np.maximum(per_word, 1)
        return np.repeat(np.arange(len(self), dtype=np.int32), per_word)

    def save(self, path: str | os.PathLike) -> None:
        """Write `word<TAB>count` lines, most frequent first (caller handles atomicity)."""
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            for word, count in zip(self.words, self.counts.tolist()):
                stream.write(f"{word}\t{count}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        words, counts = [], []
        with open(path, encoding="utf-8", newline="\n") as stream:
            for number, line in enumerate(stream, 1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 2 or not parts[1].isdigit():
                    raise VocabularyError(f"{Path(path)} line {number}: expected 'word<TAB>count', got {line.strip()[:60]!r}")
                words.append(parts[0])
                counts.append(int(parts[1]))
        return cls(words, np.array(counts, dtype=np.int64))
