"""Pretrained vector files as fusion sources, and their rows for a task vocabulary.

`load_source(path)` reads the three layouts people have on disk, through
gensim's `KeyedVectors.load_word2vec_format`, and tells them apart itself:

- word2vec text: a header line `count dim`, then `word v1 ... vdim` per line;
- word2vec binary: the same header, then `word <dim float32>` per word;
- GloVe text: no header, `word v1 ... vdim` from the first line on (gensim's
  `no_header=True`).

A missing, empty, truncated or otherwise malformed file raises `SourceError`
with one line naming the file and what was expected. `.gz` files are read too.

`embedding_matrix(vectors, vocabulary)` lays vectors out in the row order of a
vocabulary, ready for `keras.layers.Embedding(weights=[matrix])`, and reports
how many of the vocabulary's words were found (as keras-io's
`pretrained_word_embeddings` example does). Rows of words not found are zeros;
so are the padding (`""`) and out-of-vocabulary (`"[UNK]"`) rows that Keras'
`TextVectorization.get_vocabulary()` puts first, which are not counted.

Left out on purpose: fastText `.bin` models (subword vectors), words that
contain spaces (some GloVe releases have them; gensim cannot split those lines),
and case or accent folding when looking words up.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

RESERVED = ("", "[UNK]")  # padding and OOV entries of a Keras-style vocabulary
_SNIFF_BYTES = 1 << 16


class SourceError(ValueError):
    """A vectors file that cannot be used as a source; the message says which and why."""


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


def sniff_layout(path: str | os.PathLike) -> str:
    """'word2vec-binary', 'word2vec-text' or 'glove' from the first bytes of the file."""
    path = Path(path)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except (OSError, EOFError) as error:
        raise SourceError(f"cannot read vectors file {str(path)!r}: {error}") from None
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if not fields:
        raise SourceError(f"{path} is empty or starts with a blank line; expected a word2vec header 'count dim' or GloVe lines 'word v1 v2 ...'")
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        return "word2vec-text" if _is_text(rest) else "word2vec-binary"
    if len(fields) >= 2 and _all_floats(fields[1:]):
        return "glove"
    shown = first[:60].decode("utf-8", errors="replace")
    raise SourceError(
        f"{path} is not a vectors file: expected a word2vec header 'count dim' or a GloVe line 'word v1 v2 ...', got {shown!r}"
    )


def load_source(path: str | os.PathLike):
    """Load one vectors file (layout detected) as gensim KeyedVectors; SourceError if unusable."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise SourceError(f"vectors file {str(path)!r} does not exist")
    layout = sniff_layout(path)
    try:
        vectors = KeyedVectors.load_word2vec_format(
            str(path), binary=layout == "word2vec-binary", no_header=layout == "glove", unicode_errors="replace"
        )
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, OSError) as error:
        raise SourceError(
            f"{path} is not a readable {layout} file ({error.__class__.__name__}: {str(error)[:100]}); is it truncated or ragged?"
        ) from None
    if len(vectors) == 0:
        raise SourceError(f"{path} holds no vectors")
    if not np.isfinite(vectors.vectors).all():
        raise SourceError(f"{path} holds NaN or infinite values")
    logger.info("loaded %s: %s words x %d (%s)", path.name, f"{len(vectors):,}", vectors.vector_size, layout)
    return vectors


def embedding_matrix(vectors, vocabulary: Sequence[str] | Mapping[str, int], name: str | None = None) -> tuple[np.ndarray, Coverage]:
    """Rows of `vectors` in the order of `vocabulary`, and the share of its words found.

    `vectors` is gensim KeyedVectors or a path `load_source` reads. `vocabulary`
    is a list of words whose position is the row (as
    `TextVectorization.get_vocabulary()` returns), or a mapping word -> row.
    Returns a float32 matrix of shape (rows, dim): zeros where a word has no
    vector, and for the reserved padding/OOV entries.
    """
    if isinstance(vectors, (str, os.PathLike)):
        name = name or Path(vectors).name
        vectors = load_source(vectors)
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


def _is_text(sample: bytes) -> bool:
    """Whether the bytes after a word2vec header are text lines of numbers."""
    lines = sample.split(b"\n")[:-1] or [sample]
    try:
        decoded = [line.decode("utf-8") for line in lines[:20]]
    except UnicodeDecodeError:
        return False
    return all(_all_floats(line.split()[1:]) for line in decoded if line.strip())


def _all_floats(fields) -> bool:
    try:
        for field in fields:
            float(field)
    except ValueError:
        return False
    return True
