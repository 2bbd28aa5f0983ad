"""Rows of pretrained vectors for a task vocabulary, and how many of its words they cover.

`embedding_matrix(vectors, vocabulary)` lays vectors out in the row order of a
vocabulary, ready for `keras.layers.Embedding(weights=[matrix])`, and reports
how many of the vocabulary's words were found (as keras-io's
`pretrained_word_embeddings` example does). `vectors` is loaded gensim
KeyedVectors, or a path that `vectors.load_vectors` reads (word2vec text or
binary, GloVe). Rows of words not found are zeros; so are the padding (`""`)
and out-of-vocabulary (`"[UNK]"`) rows that Keras' `TextVectorization.get_vocabulary()`
puts first, which are not counted.

Left out on purpose: case or accent folding when looking words up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..vectors import load_vectors

logger = logging.getLogger(__name__)

RESERVED = ("", "[UNK]")  # padding and OOV entries of a Keras-style vocabulary


@dataclass(frozen=True)
class Coverage:
    """How many words of a vocabulary one source has vectors for."""

    name: str
    found: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.found

    @property
    def share(self) -> float:
        return self.found / self.total if self.total else 0.0

    def describe(self) -> str:
        return f"{self.name}: {self.found:,} of {self.total:,} words found ({self.share:.1%}; {self.missing:,} missing)"

    def as_dict(self) -> dict:
        return {"found": self.found, "total": self.total, "share": round(self.share, 4)}


def embedding_matrix(vectors, vocabulary: Sequence[str] | Mapping[str, int], name: str | None = None) -> tuple[np.ndarray, Coverage]:
    """Rows of `vectors` in the order of `vocabulary`, and the share of its words found.

    `vectors` is gensim KeyedVectors or a path `load_vectors` reads. `vocabulary`
    is a list of words whose position is the row (as
    `TextVectorization.get_vocabulary()` returns), or a mapping word -> row.
    Returns a float32 matrix of shape (rows, dim): zeros where a word has no
    vector, and for the reserved padding/OOV entries.
    """
    if isinstance(vectors, (str, os.PathLike)):
        name = name or Path(vectors).name
        vectors = load_vectors(vectors)
    index = dict(vocabulary) if isinstance(vocabulary, Mapping) else {word: row for row, word in enumerate(vocabulary)}
    rows = max(index.values(), default=-1) + 1
    matrix = np.zeros((rows, vectors.vector_size), dtype=np.float32)
    wanted = [(word, row) for word, row in index.items() if word not in RESERVED]
    found = [(row, vectors.key_to_index[word]) for word, row in wanted if word in vectors.key_to_index]
    if found:
        target, source = np.array(found).T
        matrix[target] = vectors.vectors[source]
    coverage = Coverage(name or "vectors", len(found), len(wanted))
    logger.info("%s", coverage.describe())
    return matrix, coverage
