"""Training under `--strategy parameter-server`: tables partitioned across parameter servers.

TensorFlow's designed path for embeddings larger than one machine: under
`ParameterServerStrategy` with a `variable_partitioner`, each table is a
`ShardedVariable`, its rows split into one contiguous slice per parameter
server. The chief (this process, the coordinator) reads the corpus, cuts
blocks as in single-process training, and `ClusterCoordinator.schedule`s one
block at a time on whichever worker is free. A worker's step gathers only
the rows its pairs touch from the parameter servers (`tf.nn.embedding_lookup`
on a `ShardedVariable` looks up each shard separately), differentiates with
respect to those rows, sums duplicates, and sends back one scatter-subtract
per shard: the traffic of a step grows with its distinct rows, never with
the table. Workers update the tables asynchronously, as word2vec's threads do.

Keras 3's `fit` does not support this strategy, so the loop is ours; it drives
the same callbacks (progress bar, checkpoints, stop requests) as fit does.
Checkpoints and the export pull the tables onto the chief into an ordinary
SkipGramModel, so the files are the same as under every other strategy.

Limits, stated in docs/scaling.md: the chief holds a full copy of the tables
while it checkpoints and exports; a checkpoint may contain the updates of the
few blocks in flight beyond its position, which a resume trains again.
"""

from __future__ import annotations

import logging
import warnings
from collections import deque

import numpy as np

from .checkpoint import Checkpointer, TrainingPosition
from .cluster import cluster_failure
from .collapse import SAMPLE_WORDS
from .config import TrainConfig
from .encode import EncodedCorpus
from .pairs import PairBlocks
from .strategies import cluster_errors
from .vocab import Vocabulary

logger = logging.getLogger(__name__)


def fit_parameter_server(
    encoded: EncodedCorpus, vocabulary: Vocabulary, config: TrainConfig, checkpointer: Checkpointer, state: dict | None, strategy, workers: int
):
    """Train under ParameterServerStrategy with `workers` workers; returns what train.fit returns."""
    import tensorflow as tf

    from .callbacks import CheckpointAndStop, TrainingProgress, stop_requests
    from .train import build_model, training_outcome

    coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
    chief_copy = build_model(vocabulary, config)  # outside the strategy: the chief's copy, for checkpoints and export
    initial_vectors = chief_copy.word_vectors()[:SAMPLE_WORDS].copy()
    position = TrainingPosition(0, 0, 0, 0.0)
    if state is not None:
        position = checkpointer.restore(chief_copy, state)
        logger.info("resuming from epoch %d, block %d (step %d)", position.epoch, position.blocks, position.steps)
    tables = PartitionedTables(chief_copy, strategy)
    train_block = tables.block_function(config, workers)

    blocks = PairBlocks(encoded, vocabulary, config)
    seconds, steps = config.checkpoint_interval()
    checkpoints = CheckpointAndStop(checkpointer, position, config.steps_per_call, seconds, steps)
    progress = TrainingProgress(vocabulary.total * config.epochs, position.words, disable=config.quiet)
    callbacks = [progress, checkpoints]
    if config.tensorboard:
        from .tensorboard import skipgram_curves

        callbacks.append(skipgram_curves(config.tensorboard, config.steps_per_call, position.steps))
    handle = _ChiefHandle(chief_copy, tables, coordinator)
    for callback in callbacks:
        callback.set_model(handle)
    # Two blocks in flight per worker keep every worker busy while the chief
    # cuts the next block.
    in_flight_limit = 2 * workers
    skip_blocks = position.blocks
    try:
        with stop_requests(checkpoints), warnings.catch_warnings():
            for epoch in range(position.epoch, config.epochs):
                in_flight: deque = deque()
                for index, block in enumerate(blocks.epoch(epoch)):
                    if index < skip_blocks:
                        continue
                    in_flight.append(coordinator.schedule(train_block, args=(block,)))
                    if len(in_flight) >= in_flight_limit:
                        _report(in_flight.popleft(), callbacks)
                    if handle.stop_training:
                        break
                while in_flight and not handle.stop_training:
                    _report(in_flight.popleft(), callbacks)
                coordinator.join()
                skip_blocks = 0
                if checkpoints.stopped:
                    break
                if epoch + 1 < config.epochs:
                    checkpoints.epoch_completed(epoch)
            coordinator.join()
    except cluster_errors() as error:
        progress.close()
        raise cluster_failure(error, checkpointer.kept()) from None
    progress.close()
    handle.pull()
    final_loss = progress.last_loss
    training_outcome(checkpoints, checkpointer, position, config)
    logger.info(
        "trained %d epochs over %d tokens in %d SGD steps, last loss %.4f", config.epochs, len(encoded), position.steps, final_loss
    )
    return chief_copy, initial_vectors, final_loss, position


def _report(result, callbacks) -> None:
    """Wait for one scheduled block and tell the callbacks, as fit would after a batch."""
    loss_sum, weight_sum, words = (float(value) for value in result.fetch())
    logs = {"loss": loss_sum / max(weight_sum, 1.0), "words": words}
    for callback in callbacks:
        callback.on_train_batch_end(0, logs)


class PartitionedTables:
    """The model's tables as ShardedVariables on the parameter servers, and the step that trains them."""

    def __init__(self, chief_copy, strategy):
        import tensorflow as tf

        self.chief_copy = chief_copy
        self.layers = [chief_copy.word_embedding]
        if chief_copy.context_embedding is not chief_copy.word_embedding:
            self.layers.append(chief_copy.context_embedding)
        with strategy.scope():
            # The partitioner of the strategy splits each table by rows, one
            # slice per parameter server; each slice is created on its server.
            self.tables = {
                id(layer): tf.Variable(_rows_of(layer.embeddings), name=layer.name) for layer in self.layers
            }

    def block_function(self, config: TrainConfig, workers: int):
        """A tf.function training one block on a worker: gather, gradient, scatter-subtract per shard."""
        import tensorflow as tf

        model = self.chief_copy
        # Workers update the same rows at once: each gets its share of the cap.
        cap = float(config.row_update_cap) / workers
        dim = config.dim

        @tf.function
        def train_block(block):
            def one_step(step, loss_sum):
                inputs = {name: block[name][step] for name in ("word", "neighbour", "negatives") if name in block}
                lookups = [(self.tables[id(layer)], ids) for layer, ids in model._lookups(inputs)]
                rows = [_gathered_once(table, ids) for table, ids in lookups]
                weight = block["weight"][step]
                with tf.GradientTape() as tape:
                    tape.watch(rows)
                    loss = tf.reduce_sum(weight * tf.abs(model.objective(*rows)))
                gradients = tape.gradient(loss, rows)
                rate = block["learning_rate"][step]
                for table in {id(table): table for table, _ in lookups}.values():
                    ids = tf.concat([tf.reshape(i, [-1]) for t, i in lookups if t is table], 0)
                    grads = tf.concat([tf.reshape(g, [-1, dim]) for (t, _), g in zip(lookups, gradients) if t is table], 0)
                    distinct, position, count = tf.unique_with_counts(ids)
                    # The row-update cap of model.py: at most `cap` pair updates' worth per row and step.
                    scale = tf.minimum(1.0, cap / tf.cast(tf.gather(count, position), tf.float32))
                    update = tf.math.unsorted_segment_sum(grads * scale[:, None], position, tf.shape(distinct)[0])
                    table.scatter_sub(tf.IndexedSlices(rate * update, distinct))
                return loss_sum + loss

            loss_sum = tf.constant(0.0)
            for step in tf.range(tf.shape(block["word"])[0]):
                loss_sum = one_step(step, loss_sum)
            return tf.stack([loss_sum, tf.reduce_sum(block["weight"]), tf.reduce_sum(block["words"])])

        return train_block

    def pull(self) -> None:
        """Copy the tables from the parameter servers into the chief's model."""
        import tensorflow as tf

        for layer in self.layers:
            table = self.tables[id(layer)]
            shards = getattr(table, "variables", [table])  # one parameter server: a plain variable
            layer.embeddings.assign(tf.concat([shard.read_value() for shard in shards], 0).numpy())


class _ChiefHandle:
    """What the callbacks see as `self.model`: saving first waits for the workers and pulls the tables."""

    def __init__(self, chief_copy, tables: PartitionedTables, coordinator):
        self.chief_copy = chief_copy
        self.tables = tables
        self.coordinator = coordinator
        self.stop_training = False

    def pull(self) -> None:
        self.coordinator.join()
        self.tables.pull()

    def save_weights(self, path: str) -> None:
        self.pull()
        self.chief_copy.save_weights(path)


def _gathered_once(table, ids):
    """table[ids], fetching each distinct row from its parameter server once."""
    import tensorflow as tf

    distinct, position = tf.unique(tf.reshape(ids, [-1]))
    rows = tf.gather(tf.nn.embedding_lookup(table, distinct), position)
    return tf.reshape(rows, tf.concat([tf.shape(ids), [-1]], 0))


def _rows_of(embeddings) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(embeddings)
