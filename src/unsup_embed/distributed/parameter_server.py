"""`--strategy parameter-server`: tables partitioned across parameter servers, blocks trained on the workers.

TensorFlow's designed path for tables larger than one machine: under
`ParameterServerStrategy` with a `variable_partitioner`, each table is a
`ShardedVariable`, its rows split into one slice per parameter server. The
chief (this process, the coordinator) reads the corpus, cuts blocks as a
single process does (with their noise words), and `ClusterCoordinator.schedule`s
one block at a time on whichever worker is free. On the worker, a block:

1. gathers every row it will touch (its words and noise words), each
   distinct row once, from the parameter servers;
2. runs the same XLA-compiled block step as a single process
   (word2vec/step.py) on those rows, held locally, with the block's ids
   mapped to local positions;
3. sends each row's change back with one scatter-add per table.

So the traffic of a block grows with its distinct rows, never with the
table, and the block's 32 steps run compiled without a network round trip.
Workers update the tables asynchronously, as word2vec's threads do.

The chief keeps a copy of the tables, pulled from the parameter servers,
for checkpoints and the export, so the files are those of every other
strategy. A checkpoint may contain the updates of the few blocks in flight
beyond its position, which a resume trains again (docs/scaling.md).
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 2  # blocks scheduled ahead per worker, so none waits for the chief


class ParameterServerTrainer:
    def __init__(self, model, strategy, workers: int):
        import tensorflow as tf

        self.model = model  # the chief's copy, for checkpoints and export
        self.strategy = strategy
        self.coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
        self.in_flight: deque = deque()
        self.limit = IN_FLIGHT_PER_WORKER * workers
        with strategy.scope():
            # The strategy's partitioner splits each table by rows, one slice per parameter server.
            self.tables_on_servers = {name: tf.Variable(np.asarray(table), name=name) for name, table in self._chief_tables().items()}
        self.train_block = self._block_function()

    @classmethod
    def for_cluster(cls, options, role, make_model) -> "ParameterServerTrainer":
        from .strategies import cluster_strategy

        strategy = cluster_strategy(options)
        return cls(make_model(), strategy, role.worker_count)

    def epoch_blocks(self, stream):
        return stream.epoch  # its blocks carry their noise words (noise_words.py): a worker gathers every row first

    def submit(self, block: dict) -> list[dict]:
        self.in_flight.append((self.coordinator.schedule(self.train_block, args=(block,)), block))
        if len(self.in_flight) >= self.limit:
            return [self._fetch(*self.in_flight.popleft())]
        return []

    def finish_epoch(self) -> list[dict]:
        logs = [self._fetch(*self.in_flight.popleft()) for _ in range(len(self.in_flight))]
        self.coordinator.join()
        return logs

    def tables(self) -> dict[str, np.ndarray]:
        """The tables as the parameter servers hold them now (waiting for the blocks in flight)."""
        import tensorflow as tf

        self.coordinator.join()
        tables = {}
        for name, table in self.tables_on_servers.items():
            shards = getattr(table, "variables", [table])  # one parameter server: a plain variable
            tables[name] = tf.concat([shard.read_value() for shard in shards], 0).numpy()
        return tables

    def table_shapes(self) -> dict[str, tuple[int, int]]:
        return self.model.table_shapes()

    def gather_rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Rows as the parameter servers hold them now (waiting for the blocks in flight)."""
        import tensorflow as tf

        self.coordinator.join()
        return tf.nn.embedding_lookup(self.tables_on_servers[name], tf.constant(ids)).numpy()

    def load(self, tables: dict[str, np.ndarray]) -> None:
        import tensorflow as tf

        for name, table in self.tables_on_servers.items():
            shards = getattr(table, "variables", [table])
            offset = 0
            for shard in shards:
                rows = shard.shape[0]
                shard.assign(tf.constant(tables[name][offset : offset + rows]))
                offset += rows

    def _chief_tables(self) -> dict[str, np.ndarray]:
        return self.model.table_values()

    def _fetch(self, remote, block) -> dict:
        loss_sum, pair_sum, words = (float(value) for value in remote.fetch())
        return {"loss": loss_sum / max(pair_sum, 1.0), "words": words, "learning_rate": float(block["learning_rate"][0])}

    def _block_function(self):
        import tensorflow as tf

        from ..word2vec.step import train_block

        model = self.model
        on_servers = self.tables_on_servers
        dim = model.embedding_dim

        @tf.function(jit_compile=True)
        def compiled(tables, block):
            return train_block(model, tables, block)

        @tf.function
        def remote_block(block):
            ids = block["ids"]
            noise = block["noise"] if "noise" in block else tf.zeros([0], tf.int32)  # none without negative sampling
            every = tf.concat([tf.reshape(ids, [-1]), tf.reshape(noise, [-1])], 0)
            distinct, local = tf.unique(every)
            # A fixed row count keeps one compiled shape: at most every id of the block, at most the vocabulary.
            capacity = min(int(np.prod(ids.shape)) + int(np.prod(noise.shape)), model.vocabulary_size)
            padding = [[0, capacity - tf.shape(distinct)[0]], [0, 0]]
            before = {name: tf.pad(tf.nn.embedding_lookup(table, distinct), padding) for name, table in on_servers.items()}
            split = tf.size(ids)
            local_block = dict(block)
            local_block["ids"] = tf.reshape(local[:split], tf.shape(ids))
            if "noise" in block:
                local_block["noise"] = tf.reshape(local[split:], tf.shape(noise))
            after, loss_sum, pair_sum = compiled(before, local_block)
            count = tf.shape(distinct)[0]
            for name, table in on_servers.items():
                change = (after[name] - before[name])[:count]
                table.scatter_add(tf.IndexedSlices(tf.reshape(change, [-1, dim]), distinct))
            return tf.stack([loss_sum, pair_sum, tf.reduce_sum(block["words"])])

        return remote_block
