"""Reading a corpus's parts, in worker processes when there are several: provisional ids and counts per part.

Each part (a byte range of the corpus, shards.py) is tokenised by one
worker: every new word gets a provisional id (the order of first
appearance), the ids go to a file of the part's own, and the words are
counted; beyond `count_limit` distinct words, every word seen at most
`floor` times is dropped and the floor raised by one, as word2vec's
`ReduceVocab` does (a dropped word that comes back starts counting again
from zero, and its earlier occurrences are not trained). ingest.py merges
what the parts found.

Workers are forked, and only before TensorFlow or JAX start their threads.
While they read, the parent may do other work (`while_reading`: a training
run imports TensorFlow then).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import signal
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .corpus import CorpusStats, TextCorpus

logger = logging.getLogger(__name__)

_FLUSH_TOKENS = 1 << 20


@dataclass
class PartJob:
    corpus: TextCorpus
    shard: tuple[int, int]
    prefix: str
    count_limit: int


class PartResult:
    """What one part's read left: provisional ids on disk, and counts by provisional id."""

    def __init__(self, prefix: str, index: dict[str, int], counts: np.ndarray, stats: CorpusStats, floor: int):
        self.ids_path = Path(prefix + ".ids.i32")
        self.ends_path = Path(prefix + ".ends.i64")
        self.index = index  # alive words -> provisional id, in order of first appearance
        self.provisional_counts = counts
        self.stats = stats
        self.floor = floor  # above 1 when rare words were dropped while counting

    def counts(self) -> dict[str, int]:
        return {word: int(self.provisional_counts[word_id]) for word, word_id in self.index.items()}

    def remap(self, vocabulary_index: dict[str, int]) -> np.ndarray:
        """Vocabulary id of every provisional id; -1 for words left out (or dropped while counting)."""
        remap = np.full(self.provisional_counts.shape[0], -1, dtype=np.int32)
        for word, word_id in self.index.items():
            final = vocabulary_index.get(word)
            if final is not None:
                remap[word_id] = final
        return remap

    def remove(self) -> None:
        self.ids_path.unlink(missing_ok=True)
        self.ends_path.unlink(missing_ok=True)


def read_parts(jobs: list[PartJob], total_bytes: int, progress: bool, while_reading: Callable[[], object] | None) -> list[PartResult]:
    """Read every part, in one worker process each where forking is safe, else here one after the other.

    `while_reading` is called once the workers are reading.
    """
    context = _process_context() if len(jobs) > 1 else None
    if context is None:
        with _bar(total_bytes, progress) as bar:
            # One part at a time in this process, each reporting its bytes as it goes.
            return [_read_part(job, bar.update) for job in jobs]
    done = context.Value("q", 0)
    with context.Pool(len(jobs), initializer=_start_worker, initargs=(done,)) as pool:
        pending = pool.map_async(_read_part, jobs)
        if while_reading is not None:
            while_reading()  # the workers are forked by now
        with _bar(total_bytes, progress) as bar:
            while not pending.ready():
                pending.wait(0.2)
                bar.update(max(0, min(done.value, total_bytes) - bar.n))
        results = pending.get()
        # Let the workers end by themselves: terminating them while one holds
        # the pool's queue lock can leave another waiting for it forever.
        pool.close()
        pool.join()
        return results


def _bar(total_bytes: int, progress: bool):
    return tqdm(total=total_bytes, desc="reading", unit="B", unit_scale=True, disable=not progress, smoothing=0.1)


def _process_context():
    """A context that starts worker processes by forking, or None where that is not safe.

    Forking is fast and needs no `if __name__ == "__main__"` guard in the
    caller's script (spawning re-runs the main module in every child). It is
    safe only before TensorFlow or JAX start their threads; after that, the
    pass runs in this process alone.
    """
    if any(name in sys.modules for name in ("tensorflow", "jax")) or "fork" not in multiprocessing.get_all_start_methods():
        logger.debug("reading the corpus in one process: TensorFlow or JAX is already running")
        return None
    return multiprocessing.get_context("fork")


_shared_counter = None


def _start_worker(counter) -> None:
    """In each worker process: the shared byte counter, and the default signal handling.

    The parent's handlers (which save a checkpoint, or raise to report an
    interruption) were copied by fork; a worker just ends on SIGTERM and
    leaves Ctrl-C to the parent, which stops the pool.
    """
    global _shared_counter  # one per worker process of the pool
    _shared_counter = counter
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _count_bytes(delta: int) -> None:
    with _shared_counter.get_lock():
        _shared_counter.value += delta


def _read_part(job: PartJob, report: Callable[[int], None] | None = None) -> PartResult:
    """Tokenise one part, writing provisional ids and sentence ends; runs in a worker process or inline."""
    report = report or _count_bytes
    corpus = job.corpus.quiet_copy()  # the main process logs the warnings, once
    # A missing word gets the next provisional id on lookup, all at C speed.
    index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    lookup = index.__getitem__
    counts = np.zeros(0, dtype=np.int64)
    floor = 1
    pending: list[int] = []
    ends: list[int] = []
    written = 0
    reported = 0
    with open(job.prefix + ".ids.i32", "wb") as ids_file, open(job.prefix + ".ends.i64", "wb") as ends_file:

        def flush() -> None:
            nonlocal counts, written
            ids = np.asarray(pending, dtype=np.int32)
            if ids.size:
                found = np.bincount(ids)
                if found.shape[0] > counts.shape[0]:
                    counts = np.concatenate([counts, np.zeros(found.shape[0] - counts.shape[0], np.int64)])
                counts[: found.shape[0]] += found
            ids.tofile(ids_file)
            np.asarray(ends, dtype=np.int64).tofile(ends_file)
            written += ids.size
            pending.clear()
            ends.clear()

        for file, start, stop in corpus.pieces(job.shard):
            for sentence in corpus.read_piece(file, start, stop):
                pending.extend(map(lookup, sentence))
                ends.append(written + len(pending))
                if len(pending) >= _FLUSH_TOKENS:
                    flush()
                    if len(index) > job.count_limit:
                        floor = _prune(index, counts, floor)
                if corpus.stats.bytes_read != reported:
                    report(corpus.stats.bytes_read - reported)
                    reported = corpus.stats.bytes_read
        flush()
    return PartResult(job.prefix, dict(index), counts, corpus.stats, floor)


def _prune(index: dict[str, int], counts: np.ndarray, floor: int) -> int:
    """Drop the words seen at most `floor` times so far; return the next floor."""
    before = len(index)
    for word in [word for word, word_id in index.items() if word_id >= counts.shape[0] or counts[word_id] <= floor]:
        del index[word]
    logger.debug("counting pruned %d rare tokens (seen at most %d times)", before - len(index), floor)
    return floor + 1
