"""`unsup-embed serve`: the TensorFlow server of a parameter server or worker task (from TF_CONFIG)."""

from __future__ import annotations

import argparse

from ..errors import ConfigError
from .common import run_command

PROG = "unsup-embed serve"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "serve",
        help="run a parameter server or worker task of a --strategy parameter-server cluster (from TF_CONFIG)",
        description="Start the TensorFlow server of this process's TF_CONFIG task and serve until killed. "
        "Under --strategy parameter-server, every 'ps' and 'worker' task runs this; the chief runs train-unsup.",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    return run_command(PROG, _serve)


def _serve() -> int:
    from ..distributed.cluster import read_tf_config
    from ..distributed.serve import serve

    cluster, task_type, task_index = read_tf_config()
    if task_type not in ("ps", "worker"):
        raise ConfigError(f"TF_CONFIG says {task_type} {task_index}; only 'ps' and 'worker' tasks serve (the chief runs train-unsup)")
    serve(cluster, task_type, task_index)
    return 0
