"""Training end to end: corpus -> vocabulary -> ids -> pairs -> Keras model -> vectors.

`train(corpus_path, output_path, config)` is the library entry point the CLI
calls. It checks everything cheap first (options, corpus path, output
directory), then counts, encodes, trains with `model.fit`, reports collapse,
and exports the vectors and the vocabulary atomically.

Pairs are produced by a NumPy generator wrapped in `tf.data` with prefetch, so
the next block is built on another thread while the compiled step runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from .collapse import SAMPLE_WORDS, CollapseReport, collapse_report
from .config import ConfigError, TrainConfig
from .corpus import TextCorpus, Tokenizer
from .encode import EncodedCorpus
from .export import check_output_path, output_format, save_vocabulary, save_word2vec
from .model import SkipGramModel
from .pairs import PairBlocks
from .vocab import Vocabulary

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    vectors_path: Path
    vocabulary_path: Path
    corpus_tokens: int
    training_tokens: int  # in-vocabulary tokens, the word2vec convention for words/s
    vocabulary_size: int
    epochs: int
    seconds: float
    training_seconds: float
    final_loss: float
    collapse: CollapseReport
    stats: dict = field(default_factory=dict)

    @property
    def words_per_second(self) -> float:
        """In-vocabulary corpus tokens x epochs / end-to-end wall time."""
        return self.training_tokens * self.epochs / max(self.seconds, 1e-9)


def train(corpus_path: str | os.PathLike, output_path: str | os.PathLike, config: TrainConfig, force: bool = False) -> TrainResult:
    started = time.perf_counter()
    config.validate()
    if config.objective == "negative-sampling" and config.batch_size % config.negative_group:
        raise ConfigError(
            f"--batch-size ({config.batch_size}) must be a multiple of the negative group size ({config.negative_group})"
        )
    output_path = Path(output_path)
    binary = output_format(output_path, config.output_format) == "binary"
    check_output_path(output_path, force=force)
    _configure_threads(config.threads)
    keras.utils.set_random_seed(config.seed)
    progress = not config.quiet

    corpus = TextCorpus(corpus_path, Tokenizer(config.token_pattern, config.lowercase))
    phase = time.perf_counter()
    vocabulary = Vocabulary.build(
        corpus, config.min_count, config.max_vocab, config.count_limit, progress=progress
    )
    _log_corpus_stats(corpus)
    logger.info("counting took %.1f s", time.perf_counter() - phase)
    corpus_tokens = corpus.stats.tokens

    work_directory = output_path.with_name(output_path.name + ".work")
    try:
        phase = time.perf_counter()
        encoded = EncodedCorpus.write(corpus, vocabulary, work_directory, corpus_tokens, progress=progress)
        logger.info("encoding took %.1f s", time.perf_counter() - phase)
        training_started = time.perf_counter()
        model, initial_vectors, final_loss = fit(encoded, vocabulary, config)
        training_seconds = time.perf_counter() - training_started
    finally:
        if not config.keep_work:
            shutil.rmtree(work_directory, ignore_errors=True)

    logger.info("training took %.1f s", training_seconds)
    phase = time.perf_counter()
    vectors = model.word_vectors()
    if not (np.isfinite(vectors).all() and np.isfinite(final_loss)):
        raise FloatingPointError(
            "training diverged (non-finite loss or vectors); nothing was written. Lower --alpha, --batch-size or --row-update-cap"
        )
    report = collapse_report(vectors, initial_vectors)
    if not report.healthy:
        logger.warning(report.describe())
    logger.info("collapse check took %.1f s", time.perf_counter() - phase)
    phase = time.perf_counter()
    save_word2vec(output_path, vocabulary.words, vectors, binary=binary)
    vocabulary_path = output_path.with_name(output_path.name + ".vocab.tsv")
    save_vocabulary(vocabulary_path, vocabulary)
    logger.info("export took %.1f s", time.perf_counter() - phase)
    return TrainResult(
        vectors_path=output_path,
        vocabulary_path=vocabulary_path,
        corpus_tokens=corpus_tokens,
        training_tokens=len(encoded),
        vocabulary_size=len(vocabulary),
        epochs=config.epochs,
        seconds=time.perf_counter() - started,
        training_seconds=training_seconds,
        final_loss=final_loss,
        collapse=report,
    )


def fit(encoded: EncodedCorpus, vocabulary: Vocabulary, config: TrainConfig) -> tuple[SkipGramModel, np.ndarray, float]:
    """Train a SkipGramModel on the encoded corpus.

    Returns the model, the starting rows of the most frequent words (for the
    collapse report) and the last block's mean loss per pair.
    """
    if len(encoded) < 2:
        raise ConfigError("the corpus has fewer than 2 in-vocabulary tokens, so it has no (word, neighbour) pairs")
    blocks = PairBlocks(encoded, vocabulary, config)
    model = SkipGramModel(
        len(vocabulary),
        config.dim,
        objective=config.objective,
        context_table=config.context_table,
        negative_group=config.negative_group,
        row_update_cap=config.row_update_cap,
        steps_per_call=config.steps_per_call,
        seed=config.seed,
    )
    model.build()
    initial_vectors = model.word_vectors()[:SAMPLE_WORDS].copy()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.alpha), jit_compile=True)
    model.optimizer.build(model.trainable_variables)
    progress = TrainingProgress(blocks.words_total(), disable=config.quiet)
    with warnings.catch_warnings():
        # Keras warns at the end of every dataset of unknown length; ours is one.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        model.fit(_block_dataset(blocks, config), epochs=config.epochs, verbose=0, shuffle=False, callbacks=[progress])
    logger.info("trained %d epochs over %d tokens, last loss %.4f", config.epochs, len(encoded), progress.last_loss)
    return model, initial_vectors, progress.last_loss


def _block_dataset(blocks: PairBlocks, config: TrainConfig) -> tf.data.Dataset:
    steps, batch = config.steps_per_call, config.batch_size
    signature = {
        "word": tf.TensorSpec((steps, batch), tf.int32),
        "neighbour": tf.TensorSpec((steps, batch), tf.int32),
        "weight": tf.TensorSpec((steps, batch), tf.float32),
        "learning_rate": tf.TensorSpec((steps,), tf.float32),
        "words": tf.TensorSpec((steps,), tf.float32),
    }
    if blocks.negative_sampling:
        signature["negatives"] = tf.TensorSpec((steps, batch // config.negative_group, config.negative), tf.int32)

    epochs = iter(range(config.epochs))

    def next_epoch():
        # tf.data calls this once per Keras epoch.
        yield from blocks.epoch(next(epochs))

    dataset = tf.data.Dataset.from_generator(next_epoch, output_signature=signature)
    # Blocks always hold `steps` steps; re-batching them gives tf.data a batch
    # axis, which tf.distribute needs to split the steps across replicas.
    dataset = dataset.unbatch().batch(steps, drop_remainder=True)
    dataset = dataset.map(lambda block: (block, tf.zeros_like(block["weight"])))
    return dataset.prefetch(2)


class TrainingProgress(keras.callbacks.Callback):
    """A tqdm bar over corpus words, with words/s, loss and learning rate."""

    def __init__(self, words_total: int, disable: bool = False):
        super().__init__()
        self.bar = tqdm(total=words_total, desc="training", unit=" words", unit_scale=True, disable=disable, smoothing=0.05)
        self.last_loss = float("nan")

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.last_loss = float(logs.get("loss", float("nan")))
        self.bar.update(int(round(float(logs.get("words", 0.0)))))
        self.bar.set_postfix(loss=f"{self.last_loss:.3f}", refresh=False)
        if not np.isfinite(self.last_loss):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.bar.close()


def _configure_threads(threads: int) -> None:
    if threads > 0:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            logger.warning("TensorFlow threads were already set up; --threads ignored")


def _log_corpus_stats(corpus: TextCorpus) -> None:
    stats = corpus.stats
    if stats.undecodable_bytes:
        logger.warning("%d undecodable bytes were replaced by U+FFFD", stats.undecodable_bytes)
    if stats.skipped:
        logger.warning("%d file(s) skipped: %s", len(stats.skipped), ", ".join(stats.skipped[:5]))
    logger.info("read %d file(s), %d sentences, %d tokens", stats.files_read, stats.lines, stats.tokens)
