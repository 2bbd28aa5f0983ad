"""The tf.distribute strategy behind `--strategy`, and the one collective the pipeline needs.

- `default`: no strategy; one device, the compiled step of model.py.
- `mirrored`: `MirroredStrategy` over this machine's devices. One process
  reads the corpus; replicas take turns at its blocks.
- `multi-worker`: `MultiWorkerMirroredStrategy` from `TF_CONFIG`. Every worker
  reads its own shard, all hold the whole tables, and the gradients of each
  step are all-reduced. Gradients of an Embedding lookup are `IndexedSlices`,
  which the collective all-reduce exchanges by all-gathering indices and rows:
  traffic grows with the rows a step touches, not with the table.
- `parameter-server`: see parameter_server.py.

The vocabulary of a multi-worker run is counted in parts, each worker its
own shard, and the counts are merged with an all-gather through the
strategy's own collectives (`merge_counts`): every worker then holds the same
merged counts, in the same order, and so the same ids.
"""

from __future__ import annotations

import logging

import numpy as np

from .cluster import ClusterRole

logger = logging.getLogger(__name__)


def make_strategy(name: str, role: ClusterRole, peer_timeout: float):
    """The tf.distribute strategy for `--strategy name`; None for `default`.

    `peer_timeout` bounds every collective of a multi-worker run, so a dead
    worker ends the others' wait with an error instead of a hang.
    """
    import tensorflow as tf

    if name == "default":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    if name == "multi-worker":
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING, timeout_seconds=peer_timeout
        )
        return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver, communication_options=options)
    if name == "parameter-server":
        partitioner = tf.distribute.experimental.partitioners.FixedShardsPartitioner(role.ps_count)
        return tf.distribute.experimental.ParameterServerStrategy(resolver, variable_partitioner=partitioner)
    raise ValueError(f"unknown strategy {name!r}")


def merge_counts(strategy, payload: bytes) -> list[bytes]:
    """Every worker's `payload`, in worker order, gathered through the strategy's collectives."""
    import tensorflow as tf

    # Collectives move numbers, not bytes: send the length, then the bytes
    # padded to whole int32 words.
    padded = payload + b"\0" * (-len(payload) % 4)
    words = np.frombuffer(padded, dtype=np.int32)

    @tf.function
    def gather():
        context = tf.distribute.get_replica_context()
        lengths = context.all_gather(tf.constant([len(payload)], tf.int64), axis=0)
        # all_gather pads unequal first dimensions itself and strips the padding.
        data = context.all_gather(tf.constant(words), axis=0)
        return lengths, data

    lengths, data = (strategy.experimental_local_results(value)[0].numpy() for value in strategy.run(gather))
    sizes = -(-lengths // 4)  # int32 words each payload took
    payloads, offset = [], 0
    for length, size in zip(lengths.tolist(), sizes.tolist()):
        payloads.append(data[offset : offset + size].tobytes()[:length])
        offset += size
    return payloads


def cluster_errors() -> tuple:
    """TensorFlow errors that mean another task died or timed out (not a bug in this process)."""
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError, tf.errors.CancelledError)


def local_replicas(strategy) -> int:
    """Replicas this process feeds (each takes whole blocks)."""
    if strategy is None:
        return 1
    return strategy.extended.worker_devices.__len__()
