"""The run's vocabulary and encoded corpus: read once for a new run, reused by a resumed one.

A new run reads the corpus in one pass (text/ingest.py); under
`--strategy multi-worker` each worker reads its own shard and the counts are
merged through the cluster's collectives, so every worker holds the same
vocabulary. The vocabulary is then saved in the checkpoint directory.

A resumed run takes the vocabulary from the checkpoint. The encoded corpus
in the work directory is reused when a marker says it was completed for
this run (same corpus and hyperparameters); otherwise the corpus is read
again, and the counts must give the checkpoint's vocabulary.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import RunOptions, TrainConfig
from ..distributed.cluster import ClusterRole
from ..errors import CheckpointError, ClusterFailure, CorpusError, VocabularyError
from ..text.corpus import TextCorpus
from ..text.encode import EncodedCorpus
from ..text.ingest import ingest
from ..text.vocab import Vocabulary
from .checkpoint import Checkpointer

logger = logging.getLogger(__name__)

_MARKER = "complete"


@dataclass
class CorpusIds:
    vocabulary: Vocabulary
    encoded: EncodedCorpus
    corpus_tokens: int  # tokens read by this pass (0 when the encoded corpus was reused)


def corpus_ids(
    corpus: TextCorpus,
    config: TrainConfig,
    options: RunOptions,
    role: ClusterRole,
    work: Path,
    checkpointer: Checkpointer,
    state: dict | None,
    run_fingerprint: dict,
    distribution: dict,
    while_reading: Callable[[], object] | None = None,
) -> CorpusIds:
    """The run's vocabulary and encoded corpus; `while_reading` as for `ingest`."""
    started = time.perf_counter()
    marker = work / _MARKER
    if state is not None:
        vocabulary = Vocabulary.load(checkpointer.vocabulary_path)
        logger.info("resuming: vocabulary of %s words from %s", f"{len(vocabulary):,}", checkpointer.vocabulary_path)
        if marker.is_file() and marker.read_text() == run_fingerprint["digest"]:
            logger.info("reusing the encoded corpus in %s", work)
            return CorpusIds(vocabulary, EncodedCorpus(work), 0)
    shutil.rmtree(work, ignore_errors=True)
    merge = _cluster_merge(options) if role.shard_count > 1 else None
    read = ingest(
        corpus, work, config.min_count, config.max_vocab, config.count_limit,
        progress=not options.quiet and role.is_chief, merge=merge, while_reading=while_reading,
    )  # fmt: skip
    stats = read.stats
    logger.info(
        "read %d file(s), %s sentences, %s tokens in %.1f s",
        stats.files_read, f"{stats.lines:,}", f"{stats.tokens:,}", time.perf_counter() - started,
    )  # fmt: skip
    if stats.undecodable_bytes:
        logger.warning("%s undecodable bytes were replaced by U+FFFD", f"{stats.undecodable_bytes:,}")
    vocabulary = read.vocabulary
    if len(vocabulary) == 1:  # it would train, and its report would call one vector "collapsed"
        raise VocabularyError(
            f"the vocabulary holds one word ({vocabulary.words[0]!r}); vectors need two or more words to tell apart: "
            + ("raise --max-vocab" if config.max_vocab == 1 else f"lower --min-count (now {config.min_count}), or give more text")
        )
    if read.encoded.paired_tokens() == 0 and role.shard_count == 1:
        raise CorpusError(
            f"no line of {str(corpus.path)!r} holds two or more in-vocabulary words, so there is no (word, neighbour) pair "
            "to train on; a sentence is a line: put whole sentences on a line (one word per line, as in CoNLL files, gives none), "
            "or lower --min-count"
        )
    if state is not None:
        saved = Vocabulary.load(checkpointer.vocabulary_path)
        if saved.digest() != vocabulary.digest():
            raise CheckpointError(
                f"the corpus no longer gives the vocabulary of the checkpoint in {checkpointer.directory}/; "
                "resume with the corpus it was made from, or pass --force to start over"
            )
        vocabulary = saved
    else:
        checkpointer.start(vocabulary, run_fingerprint, distribution)
    marker.write_text(run_fingerprint["digest"])
    return CorpusIds(vocabulary, read.encoded, read.corpus_tokens)


def _cluster_merge(options: RunOptions):
    """A function merging this worker's counts with every other worker's, through the cluster's collectives."""

    def merge(payload: bytes) -> list[bytes]:
        from ..distributed.strategies import cluster_errors, cluster_strategy, merge_counts

        try:
            return merge_counts(cluster_strategy(options), payload)
        except cluster_errors() as error:
            first_line = (str(error).strip().splitlines() or [""])[0][:200]
            raise ClusterFailure(
                f"a task of the cluster failed or stopped answering while the workers merged their counts "
                f"({error.__class__.__name__}: {first_line}); nothing was trained. Restart every task and run the same commands"
            ) from None

    return merge
