"""The model and its trainer for a run: built from the config, restored on resume, trained by the loop.

`train_tables` is where TensorFlow (or JAX) starts. It builds the Keras
model (word2vec/model.py) from the hyperparameters, picks the trainer of the
strategy (`default`: one process; `mirrored`, `multi-worker`: copies
merged every few blocks, distributed/local_sgd.py; `parameter-server`:
distributed/parameter_server.py), or of the device pipeline on a GPU
(pipeline.py), restores a checkpoint's tables and position, and runs the
one epoch loop (loop.py) with the progress bar, checkpoints and
TensorBoard curves. The trained tables leave the model
through handover.py, so that the export never holds them twice.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import RunOptions, TrainConfig, device_batch_size, flag
from ..distributed.cluster import ClusterRole
from ..text.encode import EncodedCorpus
from ..text.vocab import Vocabulary
from ..word2vec.blocks import BlockShape, BlockStream
from .callbacks import CheckpointAndStop, TensorBoardCurves, TrainingProgress
from .checkpoint import Checkpointer, TrainingPosition
from .collapse import SAMPLE_WORDS
from .handover import release_tables
from .loop import LocalTrainer, fit
from .pipeline import check_resumed_pipeline, device_trainer, on_device

logger = logging.getLogger(__name__)


@dataclass
class Trained:
    position: TrainingPosition
    final_loss: float
    seconds: float
    tables: dict[str, np.ndarray]  # "input" (words' rows, then any n-gram rows) and, with a separate context table, "output"
    initial_vectors: np.ndarray  # the most frequent words' vectors before training, for the collapse report
    subwords: object | None = None  # the SubwordTable of a --subwords run

    def word_vectors(self, vocabulary_size: int) -> np.ndarray:
        """The words' vectors: their own rows, or with subwords the mean of their own and their n-grams' rows."""
        if self.subwords is None:
            return self.tables["input"][:vocabulary_size]
        from ..text.subwords import word_vectors

        table = self.tables["input"]
        return word_vectors(lambda rows: table[rows], self.subwords, table.shape[1])


def build_model(vocabulary: Vocabulary, config: TrainConfig, shape: BlockShape):
    from ..word2vec.model import Word2VecModel

    model = Word2VecModel(
        len(vocabulary),
        config.dim,
        architecture=config.architecture,
        objective=config.objective,
        context_table=config.context_table,
        window=config.window,
        length=shape.length,
        negative=config.negative,
        negative_group=config.negative_group,
        noise_draws=config.noise_draws,
        row_update_cap=config.row_update_cap,
        buckets=config.buckets if config.subwords else 0,
        seed=config.seed,
    )
    model.build()
    model.compile(jit_compile=True)
    return model


def train_tables(
    encoded: EncodedCorpus,
    vocabulary: Vocabulary,
    config: TrainConfig,
    options: RunOptions,
    role: ClusterRole,
    checkpointer: Checkpointer,
    state: dict | None,
    work: Path,
) -> Trained:
    import keras

    if options.strategy in ("multi-worker", "parameter-server"):
        from ..distributed.strategies import cluster_strategy

        cluster_strategy(options)  # before any other TensorFlow op: the cluster runtime must start first
    device = on_device(options, config)
    if state is not None:
        check_resumed_pipeline(state, device)
    if device:  # where the blocks were cut, in every checkpoint of the run
        checkpointer.distribution = {**checkpointer.distribution, "pipeline": "device"}
    keep = vocabulary.keep_probabilities(config.sample) if config.sample > 0 else None  # word2vec's subsampling
    kept_counts = vocabulary.counts * (1.0 if keep is None else keep)
    if device and config.batch_size_by_default:
        config = dataclasses.replace(config, batch_size=device_batch_size(config.architecture, float(kept_counts.sum())))
    _configure_threads(options.threads)
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(config.seed)
    # Elsewhere every draw already takes the run's seed (the tables' too, model.py), and Keras' helper would import
    # TensorFlow only to seed it: 2.7 s of a JAX run.
    shape = BlockShape.for_batch(config.batch_size, config.steps_per_call, config.window)
    blocks_per_epoch = float(kept_counts.sum()) / role.shard_count / shape.centres  # the same on every worker
    noise = noise_words(vocabulary, config, shape)
    make_model = lambda: build_model(vocabulary, config, shape)  # noqa: E731
    if device:
        trainer = device_trainer(encoded, keep, noise, shape, config, make_model, len(vocabulary))
    else:
        trainer = _trainer(options, config, role, make_model, blocks_per_epoch)
    packer = subword_packer(vocabulary, config, shape, kept_counts) if config.subwords else None
    subwords = packer.table if packer else None
    # The initialisation is a function of the seed, so this holds on resume too.
    initial_vectors = _first_word_vectors(trainer, subwords, min(SAMPLE_WORDS, len(vocabulary)))
    position = TrainingPosition(0, 0, 0, 0.0)
    if state is not None:
        tables, position = checkpointer.restore(state)
        trainer.load(tables)
        logger.info("resuming at %s", position.describe(config.epochs))
    stream = BlockStream(
        encoded, keep, shape, config.epochs, config.alpha, config.min_alpha, config.seed, shard=role.shard_index,
        subwords=packer, noise=noise,
    )  # fmt: skip
    every_seconds, every_steps = options.checkpoint_interval()
    checkpoints = CheckpointAndStop(checkpointer, position, config.steps_per_call, every_seconds, every_steps)
    # Words of the whole corpus (all shards): the logs carry every worker's words.
    progress = TrainingProgress(vocabulary.total * config.epochs, position.words, disable=options.quiet or not role.is_chief)
    extra = [TensorBoardCurves(options.tensorboard, config.steps_per_call, position.steps)] if options.tensorboard and role.is_chief else []
    started = time.perf_counter()
    result = fit(trainer, trainer.epoch_blocks(stream), config.epochs, checkpoints, progress, extra, _cluster_errors(options))
    seconds = time.perf_counter() - started
    first = getattr(trainer, "first_block_seconds", None)
    logger.info("training took %.1f s%s", seconds, "" if first is None else f", the first block {first:.1f} s of it (compiling the step, or loading it from --compile-cache)")
    load_tables = release_tables(trainer, work, checkpointer.newest_tables(result.position))
    del trainer, checkpoints, progress, extra  # the model's own copy of the tables goes before the export reads them
    from ..word2vec.backend import forget_custom_gradients

    forget_custom_gradients()  # TensorFlow's registry would keep the traced step, and through it the tables
    gc.collect()
    return Trained(result.position, result.final_loss, seconds, load_tables(), initial_vectors, subwords)


def _first_word_vectors(trainer, subwords, count: int) -> np.ndarray:
    """The first `count` words' vectors, read from the trainer's tables without copying them whole."""
    if subwords is None:
        return trainer.gather_rows("input", np.arange(count))
    from ..text.subwords import word_vectors

    return word_vectors(lambda rows: trainer.gather_rows("input", rows), subwords, trainer.table_shapes()["input"][1], count)


def noise_words(vocabulary: Vocabulary, config: TrainConfig, shape: BlockShape):
    """The host's draws of noise words for each block (word2vec/noise_words.py), with negative sampling; else None."""
    if config.objective != "negative-sampling":
        return None
    from ..word2vec.noise_words import NoiseWords

    return NoiseWords(vocabulary.noise_table(config.ns_exponent), min(config.negative_group, shape.length), config.noise_draws)


def subword_packer(vocabulary: Vocabulary, config: TrainConfig, shape: BlockShape, kept_counts: np.ndarray):
    """The packer of the input rows of each step of a --subwords run (word2vec/subword_inputs.py)."""
    from ..text.subwords import SubwordTable
    from ..word2vec.subword_inputs import SubwordPacker

    started = time.perf_counter()
    table = SubwordTable.build(vocabulary.words, config.min_n, config.max_n, config.buckets)
    centres_only = config.architecture == "skipgram"
    packer = SubwordPacker(table, kept_counts, shape.rows, shape.length if centres_only else shape.span, centres_only)
    logger.info(
        "subwords: %s n-grams of %d-%d characters for %s words (%.1f input rows per word in the text) in %.1f s; %s input rows per step",
        f"{int(table.sizes().sum()) - len(vocabulary):,}", config.min_n, config.max_n, f"{len(vocabulary):,}",
        float((table.sizes() * vocabulary.counts).sum() / vocabulary.counts.sum()), time.perf_counter() - started, f"{packer.budget:,}",
    )  # fmt: skip
    if config.mode_defaults:
        told = ", ".join(f"{flag(name)} {value:g}" for name, value in config.mode_defaults.items())
        logger.info("subwords: a skip-gram --subwords run's own defaults, for rare and unseen words: %s (each can be set)", told)
    return packer


def _trainer(options: RunOptions, config: TrainConfig, role: ClusterRole, make_model, blocks_per_epoch: float):
    if options.strategy == "default":
        return LocalTrainer(make_model())
    if options.strategy in ("mirrored", "multi-worker"):
        from ..distributed.local_sgd import LocalSgdTrainer

        return LocalSgdTrainer.for_strategy(options, make_model, blocks_per_epoch, config.steps_per_call)
    from ..distributed.parameter_server import ParameterServerTrainer

    return ParameterServerTrainer.for_cluster(options, role, make_model)


def _cluster_errors(options: RunOptions) -> tuple:
    if options.strategy in ("default", "mirrored"):
        return ()
    from ..distributed.strategies import cluster_errors

    return cluster_errors()


def _configure_threads(threads: int) -> None:
    import keras

    if threads > 0 and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            logger.warning("TensorFlow threads were already set up; --threads ignored")
