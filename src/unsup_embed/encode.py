"""Encode the corpus to word ids once, so epochs never re-read or re-tokenise text.

The ids of every in-vocabulary token go, in corpus order, to one flat int32
file (`ids.i32`) in a work directory; `sentence_ends.i64` holds, for each
sentence, the offset one past its last token. Both are opened as read-only
NumPy memmaps, so an epoch pages the ids in from disk instead of holding them.
Out-of-vocabulary tokens are dropped before windows are taken, as word2vec
does, so a window spans over them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .vocab import Vocabulary

logger = logging.getLogger(__name__)

_FLUSH_TOKENS = 1 << 20


class EncodedCorpus:
    """Word ids of a corpus on disk: `ids` (flat int32) and `sentence_ends` (int64)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.ids = _open_memmap(self.directory / "ids.i32", np.int32)
        self.sentence_ends = np.fromfile(self.directory / "sentence_ends.i64", dtype=np.int64)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def write(
        cls,
        sentences: Iterable[list[str]],
        vocabulary: Vocabulary,
        directory: str | os.PathLike,
        expected_tokens: int | None = None,
        progress: bool = True,
    ) -> "EncodedCorpus":
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        lookup = vocabulary.index.get
        written = 0
        pending: list[int] = []
        sentence_ends: list[int] = []
        with (
            open(directory / "ids.i32", "wb") as ids_file,
            tqdm(total=expected_tokens, desc="encoding", unit=" words", unit_scale=True, disable=not progress) as bar,
        ):
            for sentence in sentences:
                before = len(pending)
                pending.extend(word_id for word_id in map(lookup, sentence) if word_id is not None)
                if len(pending) > before:
                    sentence_ends.append(written + len(pending))
                bar.update(len(sentence))
                if len(pending) >= _FLUSH_TOKENS:
                    np.asarray(pending, dtype=np.int32).tofile(ids_file)
                    written += len(pending)
                    pending = []
            np.asarray(pending, dtype=np.int32).tofile(ids_file)
            written += len(pending)
        np.asarray(sentence_ends, dtype=np.int64).tofile(directory / "sentence_ends.i64")
        logger.info("encoded %d in-vocabulary tokens in %d sentences to %s", written, len(sentence_ends), directory)
        return cls(directory)


def _open_memmap(path: Path, dtype) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")
