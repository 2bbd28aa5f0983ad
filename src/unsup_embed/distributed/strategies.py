"""The tf.distribute strategies behind `--strategy`, and the collectives the pipeline needs.

- `default`: one process, one copy of the tables (training/loop.py).
- `mirrored`: one process, one copy of the tables per local device (CPU or
  GPU), each trained on its own blocks and averaged every few blocks
  (averaging.py).
- `multi-worker`: `MultiWorkerMirroredStrategy` from `TF_CONFIG`, used for
  its collectives only: every worker trains its own copy of the tables on
  its own shard with the same compiled block step as a single process, and
  the copies are averaged every few blocks through the strategy's
  all-gather (averaging.py).
- `parameter-server`: `ParameterServerStrategy`; see parameter_server.py.

The vocabulary of a multi-worker run is counted in parts, each worker its
own shard, and the counts are merged with an all-gather (`merge_counts`):
every worker then holds the same merged counts, in the same order, and so
the same ids.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from ..config import RunOptions
from .cluster import cluster_role

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def _strategy(name: str, peer_timeout: float):
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    if name == "multi-worker":
        # No timeout on each collective: TensorFlow keeps a thread alive for
        # the whole timeout of every collective it launches, so thousands of
        # merges would pile up thousands of threads (the process then dies
        # when it cannot start another). A dead peer is found instead by the
        # strategy's own health check, which pings every peer in turn and
        # aborts the collectives of the others when one stops answering.
        options = tf.distribute.experimental.CommunicationOptions(implementation=tf.distribute.experimental.CommunicationImplementation.RING)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver, communication_options=options)
        extended = strategy.extended
        if hasattr(extended, "_check_health_interval"):  # TensorFlow's defaults: every 30 s, 10 s per ping, 3 tries
            extended._check_health_interval = max(1.0, peer_timeout / 4)
            extended._check_health_timeout = max(1.0, peer_timeout / 4)
        return strategy
    if name == "parameter-server":
        partitioner = tf.distribute.experimental.partitioners.FixedShardsPartitioner(cluster_role(name).ps_count)
        return tf.distribute.experimental.ParameterServerStrategy(resolver, variable_partitioner=partitioner)
    raise ValueError(f"no cluster strategy for --strategy {name}")


def cluster_strategy(options: RunOptions):
    """The process's one strategy object of a multi-process run (made on first use, then reused)."""
    return _strategy(options.strategy, options.peer_timeout)


def merge_counts(strategy, payload: bytes) -> list[bytes]:
    """Every worker's `payload`, in worker order, gathered through the strategy's collectives."""
    # Collectives move numbers, not bytes: send the length, then the bytes
    # padded to whole int32 words.
    padded = payload + b"\0" * (-len(payload) % 4)
    lengths, data = all_gather(strategy, np.array([len(payload)], np.int64), np.frombuffer(padded, dtype=np.int32))
    sizes = -(-lengths // 4)  # int32 words each payload took
    payloads, offset = [], 0
    for length, size in zip(lengths.tolist(), sizes.tolist()):
        payloads.append(data[offset : offset + size].tobytes()[:length])
        offset += size
    return payloads


def all_reduce_sum(strategy, value: np.ndarray) -> np.ndarray:
    """`value` added up over every worker (the same shape on each)."""
    import tensorflow as tf

    return strategy.experimental_local_results(_summer(strategy, value.dtype.str, value.shape)(tf.constant(value)))[0].numpy()


@functools.lru_cache(maxsize=None)
def _summer(strategy, dtype: str, shape: tuple):
    import tensorflow as tf

    def sum_on_replica(tensor):
        return tf.distribute.get_replica_context().all_reduce("sum", tf.identity(tensor))

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.dtypes.as_dtype(np.dtype(dtype)))])
    def summed(tensor):
        return strategy.run(sum_on_replica, args=(tensor,))

    return summed


def all_gather(strategy, *values: np.ndarray) -> list[np.ndarray]:
    """Each value concatenated over every worker, in worker order (first dimensions may differ)."""
    import tensorflow as tf

    signature = tuple((value.dtype.str, value.shape[1:]) for value in values)
    gathered = _gatherer(strategy, signature)(*(tf.constant(value) for value in values))
    return [strategy.experimental_local_results(value)[0].numpy() for value in gathered]


@functools.lru_cache(maxsize=None)
def _gatherer(strategy, signature: tuple):
    """One traced all-gather per strategy and kind of values, reused by every call (first dimension free)."""
    import tensorflow as tf

    specs = [tf.TensorSpec((None, *shape), tf.dtypes.as_dtype(np.dtype(dtype))) for dtype, shape in signature]

    def gather_on_replica(*tensors):
        context = tf.distribute.get_replica_context()
        # identity() places each value on this replica's device, which the collective needs to know;
        # all_gather pads unequal first dimensions itself and strips the padding.
        return [context.all_gather(tf.identity(tensor), axis=0) for tensor in tensors]

    @tf.function(input_signature=specs)
    def gather(*tensors):
        return strategy.run(gather_on_replica, args=tensors)

    return gather


def cluster_errors() -> tuple:
    """TensorFlow errors that mean another task died or timed out (not a bug in this process)."""
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError, tf.errors.CancelledError)
