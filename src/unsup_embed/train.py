"""Training end to end: corpus -> vocabulary -> ids -> pairs -> Keras model -> vectors.

`train(corpus_path, output_path, config)` is the library entry point the CLI
calls. It checks everything cheap first (options, corpus path, output
directory, an unfinished run's checkpoint), then counts, encodes, trains with
`model.fit`, reports collapse, and exports the vectors and the vocabulary
atomically. Checkpoints go to `<output>.ckpt/` (see checkpoint.py); with
`resume=True` the run continues from there. The encoded corpus in
`<output>.work/` is kept while a run is unfinished, so a resume need not
encode again.

Pairs are produced by a NumPy generator wrapped in `tf.data` with prefetch, so
the next block is built on another thread while the compiled step runs.

Under `--strategy multi-worker` (see strategies.py and docs/scaling.md) every
worker runs this same function on its own shard of the corpus: the counts are
merged so all hold one vocabulary, each encodes and trains on its shard, and
only the chief writes checkpoints and outputs. Under `parameter-server` the
chief alone runs it and parameter_server.py does the training.
TensorFlow is imported only once the cheap checks have passed: a mistake in
the options is answered in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checkpoint import Checkpointer, TrainingPosition, fingerprint
from .cluster import cluster_failure, cluster_role
from .collapse import SAMPLE_WORDS, CollapseReport, collapse_report
from .config import ConfigError, TrainConfig
from .corpus import CorpusError, TextCorpus, Tokenizer
from .encode import EncodedCorpus
from .export import check_output_path, output_format, save_vocabulary, save_word2vec
from .pairs import PairBlocks
from .strategies import cluster_errors, merge_counts
from .vocab import Vocabulary, VocabularyError, count_tokens, encode_counts, merge_encoded_counts

logger = logging.getLogger(__name__)


class TrainingInterrupted(RuntimeError):
    """SIGINT or SIGTERM stopped training after a checkpoint; `signal` names which."""

    def __init__(self, message: str, signal_name: str):
        super().__init__(message)
        self.signal_name = signal_name


@dataclass
class TrainResult:
    vectors_path: Path | None
    vocabulary_path: Path | None  # None on a worker that is not the chief: it writes nothing
    corpus_tokens: int
    training_tokens: int  # in-vocabulary tokens, the word2vec convention for words/s
    vocabulary_size: int
    epochs: int
    seconds: float
    training_seconds: float
    final_loss: float
    collapse: CollapseReport | None  # None on a worker that is not the chief
    resumed_from: TrainingPosition | None = None

    @property
    def words_per_second(self) -> float:
        """In-vocabulary corpus tokens x epochs / end-to-end wall time."""
        return self.training_tokens * self.epochs / max(self.seconds, 1e-9)


def train(
    corpus_path: str | os.PathLike, output_path: str | os.PathLike, config: TrainConfig, force: bool = False, resume: bool = False
) -> TrainResult:
    started = time.perf_counter()
    config.validate()
    role = cluster_role(config.strategy)
    output_path = Path(output_path)
    binary = output_format(output_path, config.output_format) == "binary"
    check_output_path(output_path, force=force)
    progress = not config.quiet and role.is_chief
    shard = (role.shard_index, role.shard_count) if role.shard_count > 1 else None
    corpus = TextCorpus(corpus_path, Tokenizer(config.token_pattern, config.lowercase), shard=shard)
    checkpointer = Checkpointer(_beside(output_path, ".ckpt"), writer=role.is_chief)
    run = fingerprint(corpus.files, config.as_dict())
    state = None
    if resume:
        state = checkpointer.read_state(run)
    elif checkpointer.exists() and not force:
        raise ConfigError(
            f"{checkpointer.directory}/ holds the checkpoint of an unfinished run; pass --resume to continue it, or --force to start over"
        )
    import keras

    if config.tensorboard and keras.backend.backend() != "tensorflow":
        raise ConfigError("--tensorboard writes its files with TensorFlow; run with the TensorFlow backend (KERAS_BACKEND=tensorflow)")
    _configure_threads(config.threads)
    from .strategies import make_strategy

    if role.task_type:
        logger.info("--strategy %s: this process is %s; waiting for the others", config.strategy, role.describe())
    strategy = make_strategy(config.strategy, role, config.peer_timeout)
    keras.utils.set_random_seed(config.seed)

    phase = time.perf_counter()
    work_directory = _beside(output_path, ".work")
    if state is None:
        try:
            vocabulary, corpus_tokens = _count_vocabulary(corpus, config, strategy if shard else None, progress)
        except VocabularyError:
            if corpus.stats.files_read == 0 and shard is None:
                raise CorpusError(
                    f"none of the {len(corpus.files)} file(s) in {str(corpus.path)!r} could be read as text "
                    f"(binary or unreadable: {', '.join(Path(name).name for name in corpus.stats.skipped[:3])}); give text files"
                ) from None
            raise
        _log_corpus_stats(corpus)
        if vocabulary.total < 2:
            raise ConfigError("the corpus has fewer than 2 in-vocabulary tokens, so it has no (word, neighbour) pairs")
    else:
        vocabulary = Vocabulary.load(checkpointer.vocabulary_path)
        corpus_tokens = 0  # not counted again: the summary shows the in-vocabulary tokens
        logger.info("resuming: vocabulary of %d words from %s", len(vocabulary), checkpointer.vocabulary_path)
    logger.info("counting took %.1f s", time.perf_counter() - phase)
    phase = time.perf_counter()
    try:
        if state is None:
            checkpointer.start(vocabulary, run)
        shard_directory = work_directory / f"shard-{shard[0]}-of-{shard[1]}" if shard else work_directory
        encoded = _encoded_corpus(corpus, vocabulary, shard_directory, run["digest"], progress)
    except BaseException:
        if state is None:  # nothing trained yet: leave nothing behind
            checkpointer.remove()
            shutil.rmtree(work_directory, ignore_errors=True)
        raise
    logger.info("encoding took %.1f s", time.perf_counter() - phase)

    training_started = time.perf_counter()
    try:
        if config.strategy == "parameter-server":
            from .parameter_server import fit_parameter_server

            model, initial_vectors, final_loss, position = fit_parameter_server(
                encoded, vocabulary, config, checkpointer, state, strategy, role.worker_count
            )
        else:
            model, initial_vectors, final_loss, position = fit(encoded, vocabulary, config, checkpointer, state, strategy)
    except FloatingPointError:
        if not checkpointer.exists():  # nothing to resume: leave nothing behind
            checkpointer.remove()
            shutil.rmtree(work_directory, ignore_errors=True)
        raise
    training_seconds = time.perf_counter() - training_started
    logger.info("training took %.1f s", training_seconds)
    if not role.is_chief:
        if not config.keep_work:
            shutil.rmtree(shard_directory, ignore_errors=True)
        logger.info("%s done; the chief writes the vectors", role.describe())
        return TrainResult(None, None, corpus.stats.tokens or len(encoded), len(encoded), len(vocabulary), config.epochs,
                           time.perf_counter() - started, training_seconds, final_loss, None,
                           None if state is None else TrainingPosition(**state["position"]))

    vectors = model.word_vectors()
    if not np.isfinite(vectors).all():
        raise FloatingPointError(f"training diverged (non-finite vectors); nothing was exported. Lower --alpha or --batch-size")
    report = collapse_report(vectors, initial_vectors)
    if not report.healthy:
        logger.warning(report.describe())
    phase = time.perf_counter()
    save_word2vec(output_path, vocabulary.words, vectors, binary=binary)
    vocabulary_path = _beside(output_path, ".vocab.tsv")
    save_vocabulary(vocabulary_path, vocabulary)
    if config.tensorboard:
        from .tensorboard import PROJECTOR_WORDS, write_projector

        write_projector(config.tensorboard, vocabulary.words[:PROJECTOR_WORDS], vectors[:PROJECTOR_WORDS])
        logger.info("TensorBoard: curves and the %d most frequent words' vectors in %s", min(PROJECTOR_WORDS, len(vocabulary)), config.tensorboard)
    logger.info("export took %.1f s", time.perf_counter() - phase)
    checkpointer.remove()
    if not config.keep_work:
        shutil.rmtree(work_directory, ignore_errors=True)
    return TrainResult(
        vectors_path=output_path,
        vocabulary_path=vocabulary_path,
        corpus_tokens=corpus_tokens or vocabulary.total,  # every shard's
        training_tokens=vocabulary.total if shard else len(encoded),  # every shard's tokens
        vocabulary_size=len(vocabulary),
        epochs=config.epochs,
        seconds=time.perf_counter() - started,
        training_seconds=training_seconds,
        final_loss=final_loss,
        collapse=report,
        resumed_from=None if state is None else TrainingPosition(**state["position"]),
    )


def fit(
    encoded: EncodedCorpus,
    vocabulary: Vocabulary,
    config: TrainConfig,
    checkpointer: Checkpointer,
    state: dict | None = None,
    strategy=None,
) -> tuple["SkipGramModel", np.ndarray, float, TrainingPosition]:
    """Train a SkipGramModel on the encoded corpus, from the start or from `state`, under `strategy` if any.

    Returns the model, the starting rows of the most frequent words (for the
    collapse report), the last block's mean loss per pair, and the position.
    Raises TrainingInterrupted after a stop request, FloatingPointError on a
    non-finite loss (the last checkpoint is kept in both cases).
    """
    import keras

    from .callbacks import CheckpointAndStop, StopWhenEveryShardIsDone, TrainingProgress, stop_requests

    from .strategies import local_replicas

    blocks = PairBlocks(encoded, vocabulary, config)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = build_model(vocabulary, config)
        # The initialisation is a function of the seed, so this holds on resume too.
        initial_vectors = model.word_vectors()[:SAMPLE_WORDS].copy()
        # Keras compiles with XLA only without a strategy.
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.alpha), jit_compile=strategy is None)
        model.optimizer.build(model.trainable_variables)
    position = TrainingPosition(0, 0, 0, 0.0)
    if state is not None:
        position = checkpointer.restore(model, state)
        logger.info("resuming from epoch %d, block %d (step %d)", position.epoch, position.blocks, position.steps)
    seconds, steps = config.checkpoint_interval()
    checkpoints = CheckpointAndStop(checkpointer, position, config.steps_per_call, seconds, steps)
    # Words of the whole corpus (all shards): logs carry every worker's words.
    progress = TrainingProgress(vocabulary.total * config.epochs, position.words, disable=config.quiet or not checkpointer.writer)
    callbacks = [progress, checkpoints]
    if strategy is not None:
        callbacks.append(StopWhenEveryShardIsDone())
    # A call trains one block on each local replica.
    replicas = local_replicas(strategy)
    if config.tensorboard:
        from .tensorboard import skipgram_curves

        callbacks.append(skipgram_curves(config.tensorboard, config.steps_per_call, position.steps))
    skip_blocks = position.blocks * replicas  # a resumed epoch starts after its trained blocks
    with warnings.catch_warnings(), stop_requests(checkpoints):
        # Keras warns at the end of every dataset of unknown length; ours is one.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        # One fit() per epoch: an epoch's block count varies with subsampling,
        # and within one fit() Keras would cut every later epoch to the first
        # one's length. The compiled step is reused from call to call.
        for epoch in range(position.epoch, config.epochs):
            dataset = block_dataset(blocks, config, epoch, skip_blocks, strategy)
            try:
                model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
            except cluster_errors() as error:
                if strategy is None:
                    raise
                progress.close()
                raise cluster_failure(error, checkpointer.kept()) from None
            skip_blocks = 0
            if checkpoints.stopped:
                break
            # The last epoch needs no checkpoint: the export follows at once.
            if epoch + 1 < config.epochs:
                checkpoints.epoch_completed(epoch)
    progress.close()
    training_outcome(checkpoints, checkpointer, position, config)
    logger.info(
        "trained %d epochs over %d tokens in %d SGD steps, last loss %.4f", config.epochs, len(encoded), position.steps, progress.last_loss
    )
    return model, initial_vectors, progress.last_loss, position


def training_outcome(checkpoints, checkpointer: Checkpointer, position: TrainingPosition, config: TrainConfig) -> None:
    """Raise FloatingPointError after a divergence, TrainingInterrupted after a stop request."""
    if checkpoints.diverged_at is not None:
        last, first = checkpoints.diverged_at, checkpoints.diverged_at - config.steps_per_call + 1
        kept = (
            f"the last good checkpoint is kept in {checkpointer.directory}/"
            if checkpointer.exists()
            else "no checkpoint had been saved yet"
        )
        raise FloatingPointError(
            f"training diverged between steps {first} and {last} (non-finite loss); nothing was exported and {kept}. "
            "Lower --alpha, --batch-size or --row-update-cap"
        )
    if checkpoints.interrupted_by is not None:
        raise TrainingInterrupted(
            f"{checkpoints.interrupted_by}: stopped at epoch {position.epoch + 1}, step {position.steps}; "
            f"checkpoint saved in {checkpointer.directory}/. Run the same command with --resume to continue",
            checkpoints.interrupted_by,
        )


def build_model(vocabulary: Vocabulary, config: TrainConfig) -> "SkipGramModel":
    from .model import SkipGramModel

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
    return model


def block_dataset(blocks: PairBlocks, config: TrainConfig, epoch: int, skip_blocks: int = 0, strategy=None):
    """One epoch of (block, zero targets) after the first `skip_blocks`.

    On TensorFlow, a prefetched tf.data pipeline; on other backends (JAX on
    the GPU machines, which have no TensorFlow), a plain generator.

    Under a strategy, every replica takes whole blocks from this process's
    stream, and the stream goes on with empty blocks (weight 0, no words)
    after its last real one: shards end a few blocks apart, and a worker
    must keep stepping, at no cost to the tables, until every shard is done
    (`StopWhenEveryShardIsDone`).
    """
    import keras

    def epoch_blocks():
        for index, block in enumerate(blocks.epoch(epoch)):
            if index >= skip_blocks:
                yield block
        if strategy is not None:
            empty = blocks.empty_block()
            while True:
                yield empty

    if keras.backend.backend() != "tensorflow":
        return ((block, np.zeros_like(block["weight"])) for block in epoch_blocks())
    import tensorflow as tf

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
    def dataset_of_this_process(context=None):
        dataset = tf.data.Dataset.from_generator(epoch_blocks, output_signature=signature)
        dataset = dataset.map(lambda block: (block, tf.zeros_like(block["weight"])))
        return dataset.prefetch(2)

    if strategy is None:
        return dataset_of_this_process()
    # Each process feeds its own replicas from its own shard: no automatic
    # sharding, no re-batching (each element is one replica's block).
    return strategy.distribute_datasets_from_function(dataset_of_this_process)


def _count_vocabulary(corpus: TextCorpus, config: TrainConfig, strategy, progress: bool) -> tuple[Vocabulary, int]:
    """The vocabulary and the corpus tokens; with a strategy, this worker's counts merged with every other worker's."""
    counts, seen_tokens = count_tokens(corpus, config.count_limit, progress=progress)
    if strategy is not None:
        payloads = merge_counts(strategy, encode_counts(counts, seen_tokens))
        logger.info("merged the counts of %d shards (%s bytes sent by this one)", len(payloads), f"{len(payloads[0]):,}")
        counts, seen_tokens = merge_encoded_counts(payloads)
    return Vocabulary.from_counts(counts, seen_tokens, config.min_count, config.max_vocab), seen_tokens


def _encoded_corpus(corpus: TextCorpus, vocabulary: Vocabulary, directory: Path, digest: str, progress: bool) -> EncodedCorpus:
    """The encoded corpus of this run: reused if an earlier, unfinished run of it left it complete."""
    marker = directory / "complete"
    if marker.is_file() and marker.read_text() == digest:
        logger.info("reusing the encoded corpus in %s", directory)
        return EncodedCorpus(directory)
    shutil.rmtree(directory, ignore_errors=True)
    encoded = EncodedCorpus.write(corpus, vocabulary, directory, corpus.stats.tokens or None, progress=progress)
    marker.write_text(digest)
    return encoded


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _configure_threads(threads: int) -> None:
    import keras

    if threads > 0 and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

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
