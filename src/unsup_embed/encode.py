"""Encode the corpus to word ids once, so epochs never re-read or re-tokenise text.

The ids of every in-vocabulary token go, in corpus order, to one flat int32
file (`ids.i32`) in a work directory; `sentence_ends.i64` holds, for each
sentence, the offset one past its last token. An epoch reads both forward in
chunks (`chunks()`), so memory holds one chunk whatever the corpus size: a
memmap would do the same work but keep every page it touched resident.
Out-of-vocabulary tokens are dropped before windows are taken, as word2vec
does, so a window spans over them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .vocab import Vocabulary

logger = logging.getLogger(__name__)

_FLUSH_TOKENS = 1 << 20


class EncodedCorpus:
    """Word ids of a corpus on disk (`ids.i32`, `sentence_ends.i64`), read in chunks."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.ids_path = self.directory / "ids.i32"
        self.ends_path = self.directory / "sentence_ends.i64"
        self.tokens = self.ids_path.stat().st_size // 4

    def __len__(self) -> int:
        return self.tokens

    def chunks(self, chunk_tokens: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, sentence numbers) for consecutive runs of `chunk_tokens` tokens.

        Sentence numbers are local to the chunk; equal numbers mean the same
        sentence. A sentence cut by a chunk boundary continues under a new number.
        """
        with open(self.ids_path, "rb") as ids_file, open(self.ends_path, "rb") as ends_file:
            ends = np.zeros(0, dtype=np.int64)
            for start in range(0, self.tokens, chunk_tokens):
                ids = np.fromfile(ids_file, dtype=np.int32, count=chunk_tokens)
                stop = start + ids.shape[0]
                # Keep reading sentence ends until one reaches past this chunk.
                while ends.shape[0] == 0 or ends[-1] < stop:
                    more = np.fromfile(ends_file, dtype=np.int64, count=1 << 16)
                    if more.shape[0] == 0:
                        break
                    ends = np.concatenate([ends, more])
                inside = np.minimum(ends[: np.searchsorted(ends, stop, side="left") + 1], stop)
                lengths = np.diff(np.concatenate([[start], inside]))
                yield ids, np.repeat(np.arange(lengths.shape[0], dtype=np.int32), lengths)
                ends = ends[np.searchsorted(ends, stop, side="right") :]

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
        written = 0  # ids already on disk
        sentences_written = 0
        pending: list[int] = []
        pending_ends: list[int] = []
        with (
            open(directory / "ids.i32", "wb") as ids_file,
            open(directory / "sentence_ends.i64", "wb") as ends_file,
            tqdm(total=expected_tokens, desc="encoding", unit=" words", unit_scale=True, disable=not progress) as bar,
        ):
            for sentence in sentences:
                before = len(pending)
                pending.extend(word_id for word_id in map(lookup, sentence) if word_id is not None)
                if len(pending) > before:
                    pending_ends.append(written + len(pending))
                bar.update(len(sentence))
                if len(pending) >= _FLUSH_TOKENS or len(pending_ends) >= _FLUSH_TOKENS:
                    written, sentences_written = _flush(pending, pending_ends, ids_file, ends_file, written, sentences_written)
            written, sentences_written = _flush(pending, pending_ends, ids_file, ends_file, written, sentences_written)
        logger.info("encoded %d in-vocabulary tokens in %d sentences to %s", written, sentences_written, directory)
        return cls(directory)


def _flush(ids: list[int], ends: list[int], ids_file, ends_file, written: int, sentences: int) -> tuple[int, int]:
    """Append the pending ids and sentence ends to their files and empty the buffers."""
    np.asarray(ids, dtype=np.int32).tofile(ids_file)
    np.asarray(ends, dtype=np.int64).tofile(ends_file)
    counts = written + len(ids), sentences + len(ends)
    ids.clear()
    ends.clear()
    return counts
