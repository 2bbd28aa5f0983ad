"""One pass over the text: count the words and encode the corpus to ids in the same read.

Reading and tokenising is the slow part of the text side, so it is done
once, by several processes when the corpus is large enough to pay for them:

1. the corpus is cut into byte-range parts (shards.py), one per process;
2. each process tokenises its part, gives every new word a provisional id
   (the order of first appearance), writes those ids to a file of its own and
   counts them; beyond `count_limit` distinct words it drops every word seen
   at most `floor` times and raises the floor by one, as word2vec's
   `ReduceVocab` does (a dropped word that comes back starts counting again
   from zero, and its earlier occurrences are not trained);
3. the counts are merged in part order, so ties in frequency still go to the
   word seen first, and the vocabulary is built (vocab.py); a multi-worker
   run merges its workers' counts at this point too (`merge` below);
4. each part's provisional ids are mapped to vocabulary ids, out-of-vocabulary
   tokens dropped, and the parts appended in order into the encoded corpus
   (encode.py).

The corpus files are pinned: their sizes and modification times are read
before the pass and checked after it; a file that changed meanwhile stops the
run (`CorpusChanged`) rather than training on a mixture.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import CorpusChanged, CorpusError
from .corpus import CorpusStats, TextCorpus
from .encode import EncodedCorpus, EncodedWriter
from .vocab import Vocabulary, encode_counts, merge_encoded_counts

logger = logging.getLogger(__name__)

# Below this many bytes per part, another process costs more to start than it saves.
PART_BYTES = 16 << 20
_FLUSH_TOKENS = 1 << 20


@dataclass
class Ingested:
    vocabulary: Vocabulary
    encoded: EncodedCorpus
    corpus_tokens: int  # every token read, in vocabulary or not (of all workers' shards)
    stats: CorpusStats  # of this process's share of the corpus


def ingest(
    corpus: TextCorpus,
    directory: Path,
    min_count: int,
    max_vocab: int | None,
    count_limit: int,
    processes: int = 0,
    progress: bool = True,
    merge: Callable[[bytes], list[bytes]] | None = None,
    while_reading: Callable[[], object] | None = None,
) -> Ingested:
    """Count and encode `corpus` into `directory` in one read; `merge` combines a cluster's counts.

    `processes` 0 means one per core, fewer for small corpora. `merge`, when
    given, takes this process's counts (`encode_counts` bytes) and returns
    every worker's, in worker order. `while_reading` is called once worker
    processes are reading (never when the pass runs in this process alone):
    this process only waits for them then, so it can start other work.
    """
    pinned = pin(corpus)
    parts = _part_count(corpus, processes)
    directory.mkdir(parents=True, exist_ok=True)
    shard = corpus.shard or (0, 1)
    jobs = [
        _PartJob(corpus, (shard[0] * parts + index, shard[1] * parts), str(directory / f"part-{index}"), count_limit)
        for index in range(parts)
    ]
    results = _run_parts(jobs, corpus.total_bytes() // shard[1], progress, while_reading)
    stats = CorpusStats()
    for result in results:
        stats.add(result.stats)
    for message in stats.warnings:
        logger.warning("%s", message)
    if stats.files_read == 0 and corpus.shard is None:
        raise CorpusError(
            f"none of the {len(corpus.files)} file(s) in {str(corpus.path)!r} could be read as text "
            f"({', '.join(Path(name).name for name in stats.skipped[:3])}...); give text files"
        )
    check_pinned(corpus, pinned)
    floor = max(result.floor for result in results)
    if floor > 1:
        logger.warning(
            "counting held more than %s distinct tokens, so words seen at most %d times early on were dropped and "
            "may be counted low; raise the counting limit if that matters", f"{count_limit:,}", floor - 1,
        )  # fmt: skip

    counts = Counter()
    seen_tokens = 0
    for result in results:
        counts.update(result.counts())
        seen_tokens += result.stats.tokens
    if merge is not None:
        payloads = merge(encode_counts(counts, seen_tokens))
        logger.info("merged the counts of %d shards (%s bytes sent by this one)", len(payloads), f"{len(payloads[0]):,}")
        counts, seen_tokens = merge_encoded_counts(payloads)
    vocabulary = Vocabulary.from_counts(counts, seen_tokens, min_count, max_vocab)

    started = time.perf_counter()
    with EncodedWriter(directory) as writer:
        for result in results:
            remap = result.remap(vocabulary.index)
            writer.append_remapped(result.ids_path, result.ends_path, remap)
            result.remove()
    encoded = EncodedCorpus(directory)
    logger.info(
        "encoded %s in-vocabulary tokens in %s sentences to %s (%.1f s)",
        f"{len(encoded):,}", f"{encoded.sentences:,}", directory, time.perf_counter() - started,
    )  # fmt: skip
    return Ingested(vocabulary, encoded, seen_tokens, stats)


def pin(corpus: TextCorpus) -> list[tuple[str, int | None, int | None]]:
    """(file, size, mtime in ns) of every corpus file now."""
    pinned = []
    for file in corpus.files:
        try:
            status = file.stat()
            pinned.append((str(file), status.st_size, status.st_mtime_ns))
        except OSError:
            pinned.append((str(file), None, None))
    return pinned


def check_pinned(corpus: TextCorpus, pinned: list) -> None:
    """Raise CorpusChanged if a corpus file's size or modification time differs from `pinned`."""
    changed = [name for (name, *before), (_, *now) in zip(pinned, pin(corpus)) if before != now]
    if changed:
        raise CorpusChanged(
            f"corpus file(s) changed while they were being read: {', '.join(changed[:3])}; "
            "nothing was trained. Run again once the files are complete"
        )


def _part_count(corpus: TextCorpus, processes: int) -> int:
    """One part per core (or per `processes`), each of at least `PART_BYTES`."""
    if processes:
        return processes
    by_size = corpus.total_bytes() // max(corpus.shard[1] if corpus.shard else 1, 1) // PART_BYTES
    return int(max(1, min(os.cpu_count() or 1, by_size)))


@dataclass
class _PartJob:
    corpus: TextCorpus
    shard: tuple[int, int]
    prefix: str
    count_limit: int


class _PartResult:
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


def _run_parts(jobs: list[_PartJob], total_bytes: int, progress: bool, while_reading: Callable[[], object] | None) -> list[_PartResult]:
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


def _read_part(job: _PartJob, report: Callable[[int], None] | None = None) -> _PartResult:
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
    return _PartResult(job.prefix, dict(index), counts, corpus.stats, floor)


def _prune(index: dict[str, int], counts: np.ndarray, floor: int) -> int:
    """Drop the words seen at most `floor` times so far; return the next floor."""
    before = len(index)
    for word in [word for word, word_id in index.items() if word_id >= counts.shape[0] or counts[word_id] <= floor]:
        del index[word]
    logger.debug("counting pruned %d rare tokens (seen at most %d times)", before - len(index), floor)
    return floor + 1


def remove_parts(directory: Path) -> None:
    """Remove what an interrupted pass left in `directory`."""
    shutil.rmtree(directory, ignore_errors=True)
