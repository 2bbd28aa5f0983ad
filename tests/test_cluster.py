import json
import socket

import pytest
from loopback import free_loopback_ports

from unsup_embed.distributed.cluster import ClusterRole, cluster_failure, cluster_role, read_tf_config
from unsup_embed.errors import ClusterFailure, ConfigError, RunFailure

TWO_WORKERS = {"worker": ["host0:2222", "host1:2222"]}
CHIEF_AND_TWO_WORKERS = {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"]}
PARAMETER_SERVER_CLUSTER = {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"], "ps": ["host3:2222"]}


def tf_config(cluster: dict, task_type: str, task_index: int) -> dict:
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": task_index}})}


@pytest.mark.parametrize("strategy", ["default", "mirrored"])
def test_single_process_strategies_ignore_tf_config(strategy):
    role = cluster_role(strategy, {})
    assert (role.shard_index, role.shard_count, role.is_chief) == (0, 1, True)
    assert role.describe() == "single process"
    assert role.shard is None
    assert cluster_role(strategy, tf_config(TWO_WORKERS, "worker", 1)) == role  # TF_CONFIG is not read


def test_multi_worker_without_chief_makes_worker_0_the_chief():
    first = cluster_role("multi-worker", tf_config(TWO_WORKERS, "worker", 0))
    second = cluster_role("multi-worker", tf_config(TWO_WORKERS, "worker", 1))
    assert (first.is_chief, first.shard_index, first.shard_count) == (True, 0, 2)
    assert (second.is_chief, second.shard_index, second.shard_count) == (False, 1, 2)
    assert (first.shard, second.shard) == ((0, 2), (1, 2))
    assert second.describe() == "worker 1 of a cluster of 2 workers"


def test_multi_worker_with_chief_numbers_shards_chief_first():
    chief = cluster_role("multi-worker", tf_config(CHIEF_AND_TWO_WORKERS, "chief", 0))
    assert (chief.is_chief, chief.shard_index, chief.shard_count) == (True, 0, 3)
    for index in (0, 1):
        worker = cluster_role("multi-worker", tf_config(CHIEF_AND_TWO_WORKERS, "worker", index))
        assert (worker.is_chief, worker.shard_index, worker.shard_count) == (False, index + 1, 3)


def test_multi_worker_rejects_ps_tasks():
    with pytest.raises(ConfigError, match="parameter-server"):
        cluster_role("multi-worker", tf_config(PARAMETER_SERVER_CLUSTER, "worker", 0))


def test_multi_worker_rejects_an_evaluator_task():
    cluster = {**TWO_WORKERS, "evaluator": ["host9:2222"]}
    with pytest.raises(ConfigError, match="evaluator 0 is not a chief or worker"):
        cluster_role("multi-worker", tf_config(cluster, "evaluator", 0))


def test_parameter_server_chief_is_the_single_reading_coordinator():
    role = cluster_role("parameter-server", tf_config(PARAMETER_SERVER_CLUSTER, "chief", 0))
    assert (role.is_chief, role.shard_index, role.shard_count) == (True, 0, 1)
    assert (role.worker_count, role.ps_count) == (2, 1)


@pytest.mark.parametrize("task_type", ["worker", "ps"])
def test_parameter_server_on_a_non_chief_task_says_to_run_serve(task_type):
    with pytest.raises(ConfigError, match="run `unsup-embed serve` there instead"):
        cluster_role("parameter-server", tf_config(PARAMETER_SERVER_CLUSTER, task_type, 0))


def test_parameter_server_without_ps_tasks_is_rejected():
    with pytest.raises(ConfigError, match="at least one 'ps'"):
        cluster_role("parameter-server", tf_config(CHIEF_AND_TWO_WORKERS, "chief", 0))


def test_parameter_server_without_workers_is_rejected():
    cluster = {"chief": ["host0:2222"], "ps": ["host3:2222"]}
    with pytest.raises(ConfigError, match="one 'worker'"):
        cluster_role("parameter-server", tf_config(cluster, "chief", 0))


@pytest.mark.parametrize("strategy", ["multi-worker", "parameter-server"])
@pytest.mark.parametrize("environment", [{}, {"TF_CONFIG": "  "}])
def test_missing_tf_config_is_named(strategy, environment):
    with pytest.raises(ConfigError, match="TF_CONFIG environment variable, which is not set"):
        cluster_role(strategy, environment)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"cluster": TWO_WORKERS}),  # no task
        json.dumps({"cluster": TWO_WORKERS, "task": {"type": "worker", "index": "first"}}),
        json.dumps(["worker", 0]),
    ],
)
def test_malformed_tf_config_is_named(text):
    with pytest.raises(ConfigError, match="TF_CONFIG is not valid"):
        cluster_role("multi-worker", {"TF_CONFIG": text})


@pytest.mark.parametrize("task_index", [2, -1])
def test_task_index_out_of_range_is_named(task_index):
    with pytest.raises(ConfigError, match=f"task worker {task_index} is not in its cluster"):
        cluster_role("multi-worker", tf_config(TWO_WORKERS, "worker", task_index))


def test_task_type_missing_from_the_cluster_is_named():
    with pytest.raises(ConfigError, match="task chief 0 is not in its cluster"):
        cluster_role("multi-worker", tf_config(TWO_WORKERS, "chief", 0))


def test_unknown_task_type_in_the_cluster_is_named():
    cluster = {**TWO_WORKERS, "trainer": ["host5:2222"]}
    with pytest.raises(ConfigError, match=r"unknown task types \['trainer'\]"):
        cluster_role("multi-worker", tf_config(cluster, "worker", 0))


def test_unknown_strategy_lists_the_choices():
    with pytest.raises(ConfigError, match="must be one of default, mirrored, multi-worker, parameter-server, got 'tpu'"):
        cluster_role("tpu", {})


def test_cluster_failure_names_the_error_what_was_kept_and_resume():
    failure = cluster_failure(ConnectionResetError("peer went away\nsecond line"), "the last checkpoint is in out/ckpt")
    assert isinstance(failure, ClusterFailure) and isinstance(failure, RunFailure)
    assert failure.exit_status == 1
    message = str(failure)
    assert "ConnectionResetError: peer went away" in message
    assert "second line" not in message
    assert "the last checkpoint is in out/ckpt" in message
    assert "--resume" in message


def test_read_tf_config_returns_cluster_and_task():
    cluster, task_type, task_index = read_tf_config(tf_config(PARAMETER_SERVER_CLUSTER, "ps", 0))
    assert cluster == PARAMETER_SERVER_CLUSTER and (task_type, task_index) == ("ps", 0)


def test_role_describes_the_whole_cluster():
    role = cluster_role("parameter-server", tf_config(PARAMETER_SERVER_CLUSTER, "chief", 0))
    assert isinstance(role, ClusterRole)
    assert role.describe() == "chief 0 of a cluster of 1 chief, 1 ps, 2 workers"


def test_free_loopback_ports_are_distinct_and_bindable():
    ports = free_loopback_ports(4)
    assert len(set(ports)) == 4
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
