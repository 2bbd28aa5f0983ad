"""Copies of the tables trained apart and merged every few blocks: `--strategy mirrored` and `multi-worker`.

Distributed word2vec systems do not synchronise every SGD step; they train
locally and periodically merge the rows that were trained (Ji et al. 2016,
distributed SGNS; Spark MLlib's Word2Vec merges once per pass). Here every
copy of the tables (a replica) trains its own blocks with the same compiled
block step a single process runs, and the copies are merged:

- a replica's change of a row is its value now minus the row's value at the
  last merge; only rows that changed take part;
- a merged row is its value at the last merge plus the mean of the changes
  of the copies that changed it: a word only one copy saw keeps that copy's
  whole update, and a word every copy saw is not pushed twice as far as
  one sequential pass would push it;
- the `HOT_ROWS` most frequent words, which every replica updates in every
  block and whose copies drift apart fastest, are merged every `HOT_EVERY`
  blocks with one all-reduce; every other row every `MERGE_EVERY` blocks
  and at the end of each epoch, with an all-gather of the rows that changed
  (docs/scaling.md has the measurements behind these numbers: merging
  costs time on every merge, mostly waiting for the slower worker, and
  merging seldom costs quality);
- changes travel as float16, half the bytes;
- a corpus of few blocks per epoch has its blocks trained in pieces (a block's
  steps split into equal runs, each its own compiled call), merged between
  pieces: at least `HOT_MERGES_PER_EPOCH` merges an epoch, whatever the
  corpus size;
- under `multi-worker`, the collectives are TensorFlow's, through the
  strategy; every process adds up the same changes in the same order, so
  all copies are equal after a merge.

A worker whose shard runs out first keeps taking part in merges, with nothing
new, until every worker says it is done with the epoch. Under `mirrored`,
the replicas are one per local device (GPU, else CPU), trained by one
thread each, and the merge needs no network.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ConfigError

logger = logging.getLogger(__name__)

HOT_ROWS = 16384  # the most frequent words (the lowest ids)
HOT_EVERY = 2  # at most this many blocks per replica between two merges of the hot rows
MERGE_EVERY = 32  # at most this many blocks per replica between two merges of every row
# At least this many merges per epoch, so a small corpus (a few blocks per
# epoch) is merged as often as it needs: its copies would otherwise drift
# apart for most of an epoch.
HOT_MERGES_PER_EPOCH = 40
MERGES_PER_EPOCH = 3


class LocalSgdTrainer:
    def __init__(
        self, models: list, blocks_per_epoch: float, steps_per_block: int, cluster=None, devices: list[str] | None = None,
        hot_rows: int = HOT_ROWS,
    ):  # fmt: skip
        self.models = models
        self.cluster = cluster  # None in a single process; else the strategy whose collectives reach every worker
        self.devices = devices or [None] * len(models)  # where each replica's tables live
        # A block may be trained in pieces, so that a small corpus is still merged often enough.
        per_replica = blocks_per_epoch / len(models)
        self.pieces = _smallest_divisor_at_least(steps_per_block, int(np.ceil(HOT_MERGES_PER_EPOCH / max(per_replica, 1e-9))))
        pieces_per_epoch = per_replica * self.pieces
        self.hot_every = int(np.clip(pieces_per_epoch // HOT_MERGES_PER_EPOCH, 1, HOT_EVERY))
        self.merge_every = int(np.clip(pieces_per_epoch // MERGES_PER_EPOCH, 1, MERGE_EVERY))
        self.pending: list[dict] = []
        self.pieces_since_merge = 0
        self.words_since_merge = 0.0  # this process's, to tell the other workers
        tables = models[0].table_values()
        self.hot = min(hot_rows, len(next(iter(tables.values()))))
        self.pool = ThreadPoolExecutor(len(models)) if len(models) > 1 else None
        self._hot_base = None
        self.seconds = {"hot": 0.0, "cold": 0.0, "train": 0.0}
        self.merges = {"hot": 0, "cold": 0}
        self.load(tables)  # every replica starts from the same tables
        self._merge_hot_rows = self._hot_merger()

    @classmethod
    def for_strategy(cls, options, make_model, blocks_per_epoch: float, steps_per_block: int) -> "LocalSgdTrainer":
        """The trainer of --strategy mirrored or multi-worker; `blocks_per_epoch` is what this process trains in an epoch."""
        import keras
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":
            raise ConfigError(f"--strategy {options.strategy} runs on the TensorFlow backend (KERAS_BACKEND=tensorflow)")
        if options.strategy == "mirrored":
            devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            models = []
            for device in devices:
                with tf.device(device.name):
                    models.append(make_model())
            logger.info("--strategy mirrored: %d replica(s), one per device (%s)", len(models), ", ".join(device.name for device in devices))
            return cls(models, blocks_per_epoch, steps_per_block, devices=[device.name for device in devices])
        from .strategies import cluster_strategy

        strategy = cluster_strategy(options)
        model = make_model()  # outside the strategy's scope: this worker's own copy
        return cls([model], blocks_per_epoch, steps_per_block, cluster=strategy)

    @property
    def alone(self) -> bool:
        """One replica and no other worker: nothing to merge."""
        return len(self.models) == 1 and (self.cluster is None or self.cluster.num_replicas_in_sync == 1)

    @property
    def model(self):
        return self.models[0]

    def epoch_blocks(self, stream):
        return stream.epoch

    def submit(self, block: dict) -> list[dict]:
        self.pending.append(block)
        if len(self.pending) < len(self.models):
            return []
        blocks, self.pending = self.pending, []
        if self.alone:
            return self._train(blocks)
        done, merged = [], []
        steps = blocks[0]["ids"].shape[0] // self.pieces
        for piece in range(self.pieces):
            done.append(self._train([{name: value[piece * steps : (piece + 1) * steps] for name, value in block.items()} for block in blocks]))
            self.pieces_since_merge += 1
            if self.pieces_since_merge % self.hot_every == 0:
                self._timed("hot", self._merge_hot_rows)
            if self.pieces_since_merge >= self.merge_every:
                merged += self._timed("cold", self._merge_cold, False)[:-1]
        return [_block_logs([logs[index] for logs in done]) for index in range(len(blocks))] + merged

    def finish_epoch(self) -> list[dict]:
        logs = self._train(self.pending) if self.pending else []
        self.pending = []
        if self.alone:
            return logs
        self._timed("hot", self._merge_hot_rows)
        while True:
            merged = self._timed("cold", self._merge_cold, True)
            logs += merged[:-1]
            if merged[-1]["done"]:
                logger.info(
                    "merging the copies took %.1f s (hot rows %.1f s in %d merges, the other rows %.1f s in %d), training %.1f s",
                    self.seconds["hot"] + self.seconds["cold"], self.seconds["hot"], self.merges["hot"],
                    self.seconds["cold"], self.merges["cold"], self.seconds["train"],
                )  # fmt: skip
                return logs

    def tables(self) -> dict[str, np.ndarray]:
        return self.models[0].table_values(copy=False)  # asked for once, after training

    def table_shapes(self) -> dict[str, tuple[int, int]]:
        return self.models[0].table_shapes()

    def gather_rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        return self.models[0].gather_rows(name, ids)

    def load(self, tables: dict[str, np.ndarray]) -> None:
        # The rows' values at the last merge: the hot rows on the device, the others here.
        self.cold_base = {name: np.array(table[self.hot :]) for name, table in tables.items()}
        for model in self.models:
            model.load_tables(tables)
        if self._hot_base is None:
            import tensorflow as tf

            self._hot_base = {name: tf.Variable(table[: self.hot], trainable=False) for name, table in tables.items()}
        else:
            for name, table in tables.items():
                self._hot_base[name].assign(table[: self.hot])

    def _timed(self, kind: str, function, *arguments):
        started = time.perf_counter()
        result = function(*arguments)
        self.seconds[kind] += time.perf_counter() - started
        self.merges[kind] += 1
        return result

    def _train(self, blocks: list[dict]) -> list[dict]:
        """Train each replica on its block (in parallel threads for several replicas); their logs."""
        started = time.perf_counter()
        work = list(zip(self.models, self.devices, blocks))
        if self.pool is None or len(work) == 1:
            logs = [_train_on(*each) for each in work]
        else:
            logs = list(self.pool.map(lambda each: _train_on(*each), work))
        self.words_since_merge += sum(float(entry["words"]) for entry in logs)
        self.seconds["train"] += time.perf_counter() - started
        return logs

    def _hot_merger(self):
        """A compiled function merging the hot rows of every table: one all-reduce, no copy through NumPy."""
        import tensorflow as tf

        names = list(self._hot_base)
        hot, cluster = self.hot, self.cluster
        replica_tables = {name: [model.tables()[name].value for model in self.models] for name in names}

        def sum_over_workers(tensor):
            return tf.distribute.get_replica_context().all_reduce("sum", tf.identity(tensor))

        @tf.function
        def merge():
            changes, touched = [], []
            for name in names:
                each = [table[:hot] - self._hot_base[name] for table in replica_tables[name]]
                changes.append(tf.add_n(each))
                touched.append(tf.add_n([tf.cast(tf.reduce_any(change != 0, axis=1, keepdims=True), tf.float32) for change in each]))
            # One message: the changes, and one column counting the copies that changed each row.
            summed = tf.concat([tf.concat(changes, 0), tf.concat(touched, 0)], 1)
            if cluster is not None:
                # It travels as float16: half the bytes, and 3 significant digits of a change are plenty.
                summed = cluster.run(sum_over_workers, args=(tf.cast(summed, tf.float16),))
                summed = tf.cast(cluster.experimental_local_results(summed)[0], tf.float32)
            changes = summed[:, :-1]
            for index, name in enumerate(names):
                merged = self._hot_base[name] + changes[index * hot : (index + 1) * hot]
                self._hot_base[name].assign(merged)
                for table in replica_tables[name]:
                    table[:hot].assign(merged)

        return merge

    def _merge_cold(self, done: bool) -> list[dict]:
        """Merge every changed row past the hot ones.

        Returns the other workers' words since the last merge as one log
        entry that is no block of this process's (`blocks` 0), and last an
        entry whose `done` says whether every worker is done with the epoch.
        """
        import tensorflow as tf

        from .strategies import all_gather

        self.pieces_since_merge = 0
        all_done, others = done, 0.0
        if self.cluster is not None:
            flags, words = all_gather(self.cluster, np.array([int(done)], np.int64), np.array([self.words_since_merge]))
            all_done, others = bool(flags.all()), float(words.sum()) - self.words_since_merge
        self.words_since_merge = 0.0
        for name, base in self.cold_base.items():
            if base.shape[0] == 0:
                continue  # every row is a hot row
            ids, changes = [], []
            for model in self.models:
                change = model.tables()[name].value[self.hot :].numpy() - base
                touched = np.flatnonzero(np.any(change != 0, axis=1))
                ids.append(touched.astype(np.int64))
                changes.append(change[touched])
            ids, changes = np.concatenate(ids), np.concatenate(changes)
            if self.cluster is not None:
                # TensorFlow's all-gather crashes when every worker sends nothing: send one row that is no row.
                sent = np.concatenate([changes, np.zeros((1, base.shape[1]), base.dtype)]).astype(np.float16)
                ids, changes = all_gather(self.cluster, np.append(ids, -1), sent)
                ids, changes = ids[ids >= 0], changes[ids >= 0].astype(np.float32)
            rows, summed, touchers = _sum_by_row(ids, changes)
            base[rows] += summed
            for model in self.models:
                model.tables()[name].value.scatter_update(tf.IndexedSlices(base[rows], rows + self.hot))
        return [{"words": others, "blocks": 0}, {"done": all_done}]


def _train_on(model, device: str | None, block: dict) -> dict:
    """One block on one replica, run on the device that holds its tables."""
    if device is None:
        return model.train_on_batch(block, return_dict=True)
    import tensorflow as tf

    with tf.device(device):
        return model.train_on_batch(block, return_dict=True)


def _block_logs(pieces: list[dict]) -> dict:
    """The logs of a block trained in pieces, as if it had been trained in one call."""
    words = [float(piece["words"]) for piece in pieces]
    loss = sum(float(piece["loss"]) * weight for piece, weight in zip(pieces, words)) / max(sum(words), 1.0)
    return {"loss": loss, "words": sum(words), "learning_rate": float(pieces[0]["learning_rate"])}


def _smallest_divisor_at_least(number: int, wanted: int) -> int:
    """The smallest divisor of `number` that is at least `wanted` (`number` itself at most)."""
    return next(divisor for divisor in range(max(1, wanted), number + 1) if number % divisor == 0) if wanted <= number else number


def _sum_by_row(ids: np.ndarray, changes: np.ndarray):
    """(distinct rows, the changes of each row added up, how many copies changed each row)."""
    if ids.shape[0] == 0:
        return ids, changes, np.ones(0, changes.dtype)
    order = np.argsort(ids, kind="stable")
    ids, changes = ids[order], changes[order]
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    touchers = np.diff(np.append(starts, ids.shape[0])).astype(changes.dtype)
    return ids[starts], np.add.reduceat(changes, starts, axis=0), touchers
