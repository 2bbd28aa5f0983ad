"""Copies of the tables trained apart and averaged every few blocks: `--strategy mirrored` and `multi-worker`.

Distributed word2vec systems do not synchronise every SGD step; they train
locally and periodically average the rows that were trained (Ji et al. 2016,
distributed SGNS; Spark MLlib's Word2Vec averages once per pass). Here every
copy of the tables (a replica) trains its own blocks with the same compiled
block step a single process runs, and every `AVERAGE_EVERY` blocks per
replica the copies are averaged:

- each replica's change since the last average is found row by row, and
  only the rows it changed take part (the rows it touched);
- a row becomes its value at the last average plus the mean of the changes
  of the replicas that touched it, so a word only one replica saw keeps that
  replica's whole update instead of a diluted share;
- under `multi-worker`, each process contributes its replicas' changed rows
  through the cluster's all-gather (TensorFlow's collectives), and every
  process applies the same sums in the same order, so all copies are equal
  again after an average.

A worker whose shard runs out first keeps taking part in averages, with
nothing new, until every worker says it is done with the epoch.

Under `mirrored`, the replicas are one per local device (GPU, else CPU),
trained by one thread each; the average needs no network.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np

logger = logging.getLogger(__name__)

AVERAGE_EVERY = 16  # blocks per replica between two averages


class AveragingTrainer:
    def __init__(self, models: list, gather=None, average_every: int = AVERAGE_EVERY, devices: list[str] | None = None):
        import keras

        self.models = models
        self.devices = devices or [None] * len(models)  # where each replica's tables live
        self.gather = gather  # None in a single process; else gathers numpy arrays from every worker
        self.average_every = average_every
        self.pending: list[dict] = []
        self.blocks_since_average = 0
        self.base = {name: keras.ops.convert_to_numpy(table) for name, table in models[0].tables().items()}
        for model in models[1:]:  # every replica starts from the same tables
            self._assign(model, self.base)
        self.pool = ThreadPoolExecutor(len(models)) if len(models) > 1 else None
        self.averages = 0
        self.words_since_average = 0.0  # this process's, to tell the other workers

    @classmethod
    def for_strategy(cls, options, make_model) -> "AveragingTrainer":
        import tensorflow as tf

        if options.strategy == "mirrored":
            devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            models = []
            for device in devices:
                with tf.device(device.name):
                    models.append(make_model())
            logger.info("--strategy mirrored: %d replica(s), one per device (%s)", len(models), ", ".join(device.name for device in devices))
            return cls(models, devices=[device.name for device in devices])
        from .strategies import all_gather, cluster_strategy

        strategy = cluster_strategy(options)
        model = make_model()  # outside the strategy's scope: this worker's own copy
        return cls([model], gather=lambda *values: all_gather(strategy, *values))

    @property
    def model(self):
        return self.models[0]

    def epoch_blocks(self, stream):
        return stream.epoch

    def submit(self, block: dict) -> list[dict]:
        self.pending.append(block)
        if len(self.pending) < len(self.models):
            return []
        logs = self._train_pending()
        self.blocks_since_average += 1
        if self.blocks_since_average >= self.average_every:
            logs += self._average(done=False)
        return logs

    def finish_epoch(self) -> list[dict]:
        logs = self._train_pending()
        while True:
            more = self._average(done=True)
            logs += more[:-1]
            if more[-1]["done"]:
                return logs

    def tables(self) -> dict[str, np.ndarray]:
        import keras

        return {name: keras.ops.convert_to_numpy(table) for name, table in self.models[0].tables().items()}

    def load(self, tables: dict[str, np.ndarray]) -> None:
        self.base = {name: np.array(table) for name, table in tables.items()}
        for model in self.models:
            self._assign(model, self.base)

    def _train_pending(self) -> list[dict]:
        work = list(zip(self.models, self.devices, self.pending))
        self.pending = []
        if self.pool is None or len(work) == 1:
            logs = [_train_on(*each) for each in work]
        else:
            logs = list(self.pool.map(lambda each: _train_on(*each), work))
        self.words_since_average += sum(float(entry["words"]) for entry in logs)
        return logs

    def _average(self, done: bool) -> list[dict]:
        """Average every table over the replicas and workers.

        Returns the other workers' words since the last average as one log
        entry that is no block of this process's (`blocks` 0), and last an
        entry whose `done` says whether every worker is done with the epoch.
        """
        import keras

        self.blocks_since_average = 0
        all_done, others = done, 0.0
        if self.gather is not None:
            flags, words = self.gather(np.array([int(done)], np.int64), np.array([self.words_since_average]))
            all_done, others = bool(flags.all()), float(words.sum()) - self.words_since_average
        self.words_since_average = 0.0
        for name, base in self.base.items():
            ids, changes = [], []
            for model in self.models:
                change = keras.ops.convert_to_numpy(model.tables()[name]) - base
                touched = np.flatnonzero(np.any(change != 0, axis=1))
                ids.append(touched.astype(np.int64))
                changes.append(change[touched])
            ids, changes = np.concatenate(ids), np.concatenate(changes)
            if self.gather is not None:
                # TensorFlow's all-gather crashes when every worker sends nothing: send one row that is no row.
                ids, changes = self.gather(np.append(ids, -1), np.concatenate([changes, np.zeros_like(base[:1])]))
                ids, changes = ids[ids >= 0], changes[ids >= 0]
            rows, summed, touchers = _sum_by_row(ids, changes)
            base[rows] += summed / touchers[:, None]
            for model in self.models:
                self._assign_table(model.tables()[name], base)
        self.averages += 1
        return [{"words": others, "blocks": 0}, {"done": all_done}]

    @staticmethod
    def _assign(model, tables: dict[str, np.ndarray]) -> None:
        for name, table in model.tables().items():
            table.assign(tables[name])

    @staticmethod
    def _assign_table(table, values: np.ndarray) -> None:
        table.assign(values)


def _train_on(model, device: str | None, block: dict) -> dict:
    """One block on one replica, run on the device that holds its tables."""
    if device is None:
        return model.train_on_batch(block, return_dict=True)
    import tensorflow as tf

    with tf.device(device):
        return model.train_on_batch(block, return_dict=True)


def _sum_by_row(ids: np.ndarray, changes: np.ndarray):
    """(distinct rows, summed changes per row, how many contributions each row had)."""
    if ids.shape[0] == 0:
        return ids, changes, np.zeros(0)
    order = np.argsort(ids, kind="stable")
    ids, changes = ids[order], changes[order]
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    return ids[starts], np.add.reduceat(changes, starts, axis=0), np.diff(np.append(starts, ids.shape[0])).astype(changes.dtype)
