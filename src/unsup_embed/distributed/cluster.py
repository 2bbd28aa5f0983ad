"""Which role this process plays in a training cluster, read from `TF_CONFIG`.

Pure Python (no TensorFlow), so a wrong `TF_CONFIG` is answered in one line
before anything heavy starts. `TF_CONFIG` is TensorFlow's own description of
a cluster, the same JSON every tf.distribute program reads:

    {"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"],
                 "ps": ["host3:2222"]},
     "task": {"type": "worker", "index": 1}}

Roles, per strategy:
- `multi-worker`: every process trains and reads its own shard of the corpus.
  The chief is the task of type "chief", or worker 0 when there is none; it
  alone writes the vectors and checkpoints. Shard numbers run over chief
  then workers.
- `parameter-server`: the chief is the coordinator (the only process that
  runs this tool's Python); "worker" and "ps" tasks run `unsup-embed serve`,
  a bare TensorFlow server the coordinator sends work to.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..config import STRATEGIES
from ..errors import ClusterFailure, ConfigError

MULTI_PROCESS = ("multi-worker", "parameter-server")


@dataclass(frozen=True)
class ClusterRole:
    task_type: str  # "chief", "worker", "ps"; "" for a single process
    task_index: int
    shard_index: int  # which shard of the corpus this process reads
    shard_count: int  # how many processes read the corpus
    cluster: dict

    @property
    def is_chief(self) -> bool:
        return self.shard_index == 0 and self.task_type in ("", "chief", "worker")

    @property
    def shard(self) -> tuple[int, int] | None:
        """(this shard, shards) when the corpus is split between processes, else None."""
        return (self.shard_index, self.shard_count) if self.shard_count > 1 else None

    @property
    def ps_count(self) -> int:
        return len(self.cluster.get("ps", []))

    @property
    def worker_count(self) -> int:
        return len(self.cluster.get("worker", []))

    def describe(self) -> str:
        if not self.task_type:
            return "single process"
        return f"{self.task_type} {self.task_index} of a cluster of " + ", ".join(
            f"{len(addresses)} {kind}" + ("s" if len(addresses) > 1 and kind != "ps" else "")
            for kind, addresses in sorted(self.cluster.items())
        )


def cluster_failure(error: Exception, kept: str) -> ClusterFailure:
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return ClusterFailure(
        f"a task of the cluster failed or stopped answering ({error.__class__.__name__}: {first_line}); {kept}. "
        "Restart every task and run the same commands with --resume"
    )


SINGLE_PROCESS = ClusterRole("", 0, 0, 1, {})


def cluster_role(strategy: str, environment: dict | None = None) -> ClusterRole:
    """This process's role under `strategy`; ConfigError if TF_CONFIG does not fit it."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy not in MULTI_PROCESS:
        return SINGLE_PROCESS
    cluster, task_type, task_index = read_tf_config(environment)
    if strategy == "multi-worker":
        if "ps" in cluster:
            raise ConfigError("TF_CONFIG lists 'ps' tasks, which --strategy multi-worker does not use; use --strategy parameter-server")
        trainers = [("chief", index) for index in range(len(cluster.get("chief", [])))]
        trainers += [("worker", index) for index in range(len(cluster.get("worker", [])))]
        if (task_type, task_index) not in trainers:
            raise ConfigError(f"TF_CONFIG task {task_type} {task_index} is not a chief or worker of the cluster")
        return ClusterRole(task_type, task_index, trainers.index((task_type, task_index)), len(trainers), cluster)
    # parameter-server: this tool runs on the coordinator only.
    if task_type != "chief":
        raise ConfigError(
            f"under --strategy parameter-server, train-unsup runs on the chief (the coordinator); "
            f"this TF_CONFIG says {task_type} {task_index}: run `unsup-embed serve` there instead"
        )
    if not cluster.get("ps") or not cluster.get("worker"):
        raise ConfigError("--strategy parameter-server needs at least one 'ps' and one 'worker' task in TF_CONFIG's cluster")
    return ClusterRole("chief", task_index, 0, 1, cluster)


def read_tf_config(environment: dict | None = None) -> tuple[dict, str, int]:
    """(cluster, task type, task index) from TF_CONFIG, checked."""
    environment = os.environ if environment is None else environment
    text = environment.get("TF_CONFIG", "")
    if not text.strip():
        raise ConfigError(
            "multi-process strategies read the cluster from the TF_CONFIG environment variable, which is not set; see docs/scaling.md"
        )
    try:
        tf_config = json.loads(text)
        cluster = {kind: list(addresses) for kind, addresses in tf_config["cluster"].items()}
        task_type, task_index = str(tf_config["task"]["type"]), int(tf_config["task"]["index"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(
            f"TF_CONFIG is not valid: expected JSON with 'cluster' and 'task': {{'type', 'index'}} ({error.__class__.__name__}: {error})"
        ) from None
    unknown = sorted(set(cluster) - {"chief", "worker", "ps", "evaluator"})
    if unknown:
        raise ConfigError(f"TF_CONFIG's cluster has unknown task types {unknown}; use chief, worker and ps")
    if task_type not in cluster or not 0 <= task_index < len(cluster[task_type]):
        raise ConfigError(f"TF_CONFIG's task {task_type} {task_index} is not in its cluster {cluster}")
    return cluster, task_type, task_index
