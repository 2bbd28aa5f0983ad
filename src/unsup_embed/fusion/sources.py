"""Rows of pretrained vectors for a task vocabulary, and how many of its words they cover.

`embedding_matrix(vectors, vocabulary)` lays vectors out in the row order of a
vocabulary, ready for `keras.layers.Embedding(weights=[matrix])`, and reports
how many of the vocabulary's words were found (as keras-io's
`pretrained_word_embeddings` example does). `vectors` is loaded gensim
KeyedVectors, or a path that `vectors.load_vectors` reads (word2vec text or
binary, GloVe, fastText's binary model, whose n-grams give vectors to the
task's words it never saw; the coverage counts those apart). Rows of words
not found are zeros; so are the padding (`""`)
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

from ..vectors import is_subword_model, load_vectors

logger = logging.getLogger(__name__)

RESERVED = ("", "[UNK]")  # padding and OOV entries of a Keras-style vocabulary


@dataclass(frozen=True)
class Coverage:
    """How many words of a vocabulary one source has vectors for."""

    name: str
    found: int  # in the source's vocabulary, or from n-grams
    total: int
    from_ngrams: int = 0  # of `found`: words the source never saw, answered from their n-grams (fastText models)

    @property
    def missing(self) -> int:
        return self.total - self.found

    @property
    def share(self) -> float:
        return self.found / self.total if self.total else 0.0

    def describe(self) -> str:
        ngrams = f", {self.from_ngrams:,} of them from n-grams" if self.from_ngrams else ""
        return f"{self.name}: {self.found:,} of {self.total:,} words found ({self.share:.1%}{ngrams}; {self.missing:,} missing)"

    def as_dict(self) -> dict:
        return {"found": self.found, "total": self.total, "share": round(self.share, 4), "from_ngrams": self.from_ngrams}


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
    # A fastText model has a vector for a word it never saw: the mean of its n-grams' rows.
    unseen = [(word, row) for word, row in wanted if word not in vectors.key_to_index] if is_subword_model(vectors) else []
    for word, row in unseen:
        matrix[row] = vectors.get_vector(word)
    unseen = [row for _, row in unseen if np.any(matrix[row])]  # a word without a single n-gram gets no vector
    coverage = Coverage(name or "vectors", len(found) + len(unseen), len(wanted), len(unseen))
    logger.info("%s", coverage.describe())
    return matrix, coverage
