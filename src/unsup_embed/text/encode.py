"""The corpus as word ids on disk, written once, read forward in chunks every epoch.

The ids of every in-vocabulary token go, in corpus order, to one flat int32
file (`ids.i32`) in a work directory; `sentence_ends.i64` holds, for each
sentence, the offset one past its last token. Out-of-vocabulary tokens are
dropped before windows are taken, as word2vec does, so a window spans over
them; a sentence left empty by that is dropped too.

`EncodedCorpus.chunks()` reads both files forward, from any token on, so
memory holds one chunk whatever the corpus size: a memmap would do the same
work but keep every page it touched resident. `EncodedWriter` builds them from the provisional ids of
the ingestion pass (ingest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

IDS_FILE = "ids.i32"
ENDS_FILE = "sentence_ends.i64"
_REMAP_CHUNK = 1 << 22


class EncodedCorpus:
    """Word ids of a corpus on disk (`ids.i32`, `sentence_ends.i64`), read in chunks."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.ids_path = self.directory / IDS_FILE
        self.ends_path = self.directory / ENDS_FILE
        self.tokens = self.ids_path.stat().st_size // 4
        self.sentences = self.ends_path.stat().st_size // 8

    def __len__(self) -> int:
        return self.tokens

    def paired_tokens(self) -> int:
        """Tokens in sentences of two or more: the only ones that have a neighbour to pair with."""
        lengths = np.diff(np.concatenate([[0], np.fromfile(self.ends_path, dtype=np.int64)]))
        return int(lengths[lengths >= 2].sum())

    def chunks(self, chunk_tokens: int, start: int = 0, stop: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, sentence numbers) for consecutive runs of `chunk_tokens` tokens, from token `start` to `stop` (default: the end).

        Sentence numbers are local to the chunk; equal numbers mean the same
        sentence. A sentence cut by a chunk boundary, or by `start` or
        `stop`, continues under a new number.
        """
        stop = self.tokens if stop is None else min(stop, self.tokens)
        with open(self.ids_path, "rb") as ids_file, open(self.ends_path, "rb") as ends_file:
            ids_file.seek(4 * start)
            ends_file.seek(8 * self._sentences_ended_by(start))
            ends = np.zeros(0, dtype=np.int64)
            for first in range(start, stop, chunk_tokens):
                ids = np.fromfile(ids_file, dtype=np.int32, count=min(chunk_tokens, stop - first))
                last = first + ids.shape[0]
                # Keep reading sentence ends until one reaches past this chunk.
                while ends.shape[0] == 0 or ends[-1] < last:
                    more = np.fromfile(ends_file, dtype=np.int64, count=1 << 16)
                    if more.shape[0] == 0:
                        break
                    ends = np.concatenate([ends, more])
                inside = np.minimum(ends[: np.searchsorted(ends, last, side="left") + 1], last)
                lengths = np.diff(np.concatenate([[first], inside]))
                yield ids, np.repeat(np.arange(lengths.shape[0], dtype=np.int32), lengths)
                ends = ends[np.searchsorted(ends, last, side="right") :]

    def _sentences_ended_by(self, position: int) -> int:
        """How many sentences end at or before token `position` (a binary search of the ends file, not a read of it)."""
        if position == 0 or self.sentences == 0:
            return 0
        return int(np.searchsorted(np.memmap(self.ends_path, dtype=np.int64, mode="r"), position, side="right"))


class EncodedWriter:
    """Appends parts of provisional ids, mapped to vocabulary ids, to an encoded corpus."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.written = 0  # ids on disk
        self.last_end = 0

    def __enter__(self) -> "EncodedWriter":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ids_file = open(self.directory / IDS_FILE, "wb")
        self.ends_file = open(self.directory / ENDS_FILE, "wb")
        return self

    def __exit__(self, *exc) -> None:
        self.ids_file.close()
        self.ends_file.close()

    def append_remapped(self, ids_path: Path, ends_path: Path, remap: np.ndarray) -> None:
        """Append one part: its ids mapped through `remap` (-1: dropped), its sentence ends moved to match."""
        ends = np.fromfile(ends_path, dtype=np.int64)
        kept_before = 0  # kept ids of this part before the current chunk
        with open(ids_path, "rb") as source:
            start = 0
            while True:
                provisional = np.fromfile(source, dtype=np.int32, count=_REMAP_CHUNK)
                if provisional.shape[0] == 0:
                    break
                stop = start + provisional.shape[0]
                mapped = remap[provisional]
                kept = mapped >= 0
                mapped[kept].tofile(self.ids_file)
                # Ends in (start, stop] move to the count of kept ids before them.
                low, high = np.searchsorted(ends, [start, stop], side="right")
                cumulative = np.cumsum(kept)
                self._write_ends(self.written + kept_before + cumulative[ends[low:high] - start - 1])
                kept_before += int(cumulative[-1])
                start = stop
        self.written += kept_before

    def _write_ends(self, ends: np.ndarray) -> None:
        """Write sentence ends, leaving out sentences that ended up empty."""
        if ends.shape[0] == 0:
            return
        previous = np.concatenate([[self.last_end], ends[:-1]])
        ends = ends[ends > previous]
        ends.tofile(self.ends_file)
        if ends.shape[0]:
            self.last_end = int(ends[-1])
