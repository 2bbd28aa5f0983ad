"""`unsup-embed serve`: the TensorFlow server of a parameter server or worker task.

Under `--strategy parameter-server` these processes run no Python of this
tool while training: the chief (the coordinator) places the tables on the
parameter servers and sends each worker the training function and its
blocks. A task serves until it is killed.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def serve(cluster: dict, task_type: str, task_index: int) -> None:
    # A worker's calls to a parameter server that is gone fail at once
    # instead of waiting for it, so the coordinator can report the failure.
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")
    import tensorflow as tf

    server = tf.distribute.Server(
        tf.train.ClusterSpec(cluster), job_name=task_type, task_index=task_index, protocol="grpc", start=True
    )
    logger.info("serving as %s %d at %s", task_type, task_index, cluster[task_type][task_index])
    server.join()
