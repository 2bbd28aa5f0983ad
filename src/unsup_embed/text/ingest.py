"""One pass over the text: count the words and encode the corpus to ids in the same read.

Reading and tokenising is the slow part of the text side, so it is done
once, by several processes when the corpus is large enough to pay for them:

1. the corpus is cut into byte-range parts (shards.py), one per process;
2. each process tokenises its part into provisional ids and counts them
   (read_parts.py);
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

import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusChanged, CorpusError
from .corpus import CorpusStats, TextCorpus
from .encode import EncodedCorpus, EncodedWriter
from .read_parts import PartJob, read_parts
from .vocab import Vocabulary, encode_counts, merge_encoded_counts

logger = logging.getLogger(__name__)

# Below this many bytes per part, another process costs more to start than it saves.
PART_BYTES = 16 << 20


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
        PartJob(corpus, (shard[0] * parts + index, shard[1] * parts), str(directory / f"part-{index}"), count_limit)
        for index in range(parts)
    ]
    results = read_parts(jobs, corpus.total_bytes() // shard[1], progress, while_reading)
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


def remove_parts(directory: Path) -> None:
    """Remove what an interrupted pass left in `directory`."""
    shutil.rmtree(directory, ignore_errors=True)
