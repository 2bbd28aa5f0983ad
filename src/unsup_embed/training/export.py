"""The end of a run: the collapse report, then the vectors, the vocabulary and the projector files.

The vectors are the input (word) table, as word2vec exports them, in the
vocabulary's order (most frequent first), written in word2vec text or
binary (vectors.py); `<output>.vocab.tsv` lists `word<TAB>count` in the
same order. A `--subwords` run writes fastText's binary model instead
(`model.bin`, which fastText and gensim load and which gives vectors for
unseen words), and its words' vectors as word2vec text beside it
(`model.vec`), as fastText itself does. Every file is written atomically. A run whose vectors are not
finite exports nothing.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..config import RunOptions, TrainConfig
from ..errors import TrainingDiverged
from ..files import atomic_path, beside
from ..text.vocab import Vocabulary
from ..vectors import save_fasttext, save_word2vec
from .collapse import CollapseReport, collapse_report

logger = logging.getLogger(__name__)


def export(
    output: Path, binary: bool, vocabulary: Vocabulary, trained, config: TrainConfig, options: RunOptions, advice: str
) -> tuple[Path, Path, CollapseReport, object | None]:
    """Write the vectors and the vocabulary (and projector files); returns their paths, the collapse report, and
    with `options.keep_vectors` the vectors as gensim KeyedVectors (else None)."""
    started = time.perf_counter()
    vectors = trained.word_vectors(len(vocabulary))
    if not np.isfinite(vectors).all():
        raise TrainingDiverged("training diverged (non-finite vectors); nothing was exported. Lower --alpha or --batch-size")
    report = collapse_report(vectors, trained.initial_vectors)
    if not report.healthy:
        logger.warning(report.describe(advice))
    if config.subwords:
        _save_subword_model(output, vocabulary, trained, vectors, config)
    else:
        save_word2vec(output, vocabulary.words, vectors, binary=binary)
    vocabulary_path = beside(output, ".vocab.tsv")
    with atomic_path(vocabulary_path) as temporary:
        vocabulary.save(temporary)
    if options.tensorboard:
        from ..tensorboard import PROJECTOR_WORDS, write_projector

        write_projector(options.tensorboard, vocabulary.words[:PROJECTOR_WORDS], vectors[:PROJECTOR_WORDS])
        logger.info("TensorBoard: curves and the %d most frequent words' vectors in %s", min(PROJECTOR_WORDS, len(vocabulary)), options.tensorboard)
    logger.info("export took %.1f s", time.perf_counter() - started)
    kept = _keyed_vectors(vocabulary.words, vectors, trained, config) if options.keep_vectors else None  # imports gensim
    return output, vocabulary_path, report, kept


def _keyed_vectors(words: list[str], vectors: np.ndarray, trained, config: TrainConfig):
    """The written vectors as gensim KeyedVectors, in memory; with subwords a FastTextKeyedVectors over the
    trained n-gram rows (not copied), which answers unseen words as the written model does.

    Reading the model back instead (0.8 GB of n-gram rows) took gensim's loader twice that in memory.
    """
    from gensim.models import KeyedVectors

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if config.subwords:
        from gensim.models.fasttext import FastTextKeyedVectors

        kept = FastTextKeyedVectors(vectors.shape[1], config.min_n, config.max_n, config.buckets)
        kept.vectors_ngrams = trained.tables["input"][len(words) :]
    else:
        kept = KeyedVectors(vectors.shape[1])
    kept.index_to_key = list(words)
    kept.key_to_index = {word: row for row, word in enumerate(words)}
    kept.vectors = vectors
    return kept


def _save_subword_model(output: Path, vocabulary: Vocabulary, trained, vectors: np.ndarray, config: TrainConfig) -> None:
    """fastText's own pair of files: the model (for unseen words), and its words' vectors as text.

    The text is formatted in a thread while the model, mostly its 0.8 GiB of
    n-gram rows, is written. If the model cannot be written, the text is removed too.
    """
    text_path = output.with_suffix(".vec")
    with ThreadPoolExecutor(1, thread_name_prefix="vec") as pool:
        text = pool.submit(save_word2vec, text_path, vocabulary.words, vectors, binary=False)
        try:
            save_fasttext(
                output, vocabulary.words, vocabulary.counts, trained.tables["input"], trained.tables.get("output", trained.tables["input"]),
                min_n=config.min_n, max_n=config.max_n, buckets=config.buckets, window=config.window, negative=config.negative,
                sample=config.sample, epochs=config.epochs, architecture=config.architecture, total_words=vocabulary.total,
            )  # fmt: skip
        except BaseException:
            if text.exception() is None:  # waits for the text to be written, then takes it back
                text_path.unlink(missing_ok=True)
            raise
        text.result()
