"""Every --strategy on one machine: real processes on 127.0.0.1, the shipped corpus, the planted answers.

Each strategy must learn what single-process training learns (the planted
neighbourhoods and analogies of data/toy_world.txt, same thresholds as
test_cli.py), resume from its checkpoints, and end with a clear error and
the last checkpoint kept when a task of the cluster dies.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from gensim.models import KeyedVectors

from loopback import free_loopback_ports

# Real processes that train for several seconds each: run by .ci/run after the README's test command.
slow = pytest.mark.slow

TRAIN = ["--epochs", "5", "--seed", "3"]
# A multi-worker run may wait this long for a dead peer before failing.
PEER_TIMEOUT = ["--peer-timeout", "30"]


class Cluster:
    """Processes of one TF_CONFIG cluster on loopback, killed at the end of the test."""

    def __init__(self, roles: dict[str, int], directory):
        ports = iter(free_loopback_ports(sum(roles.values())))
        self.spec = {kind: [f"127.0.0.1:{next(ports)}" for _ in range(count)] for kind, count in roles.items()}
        self.directory = directory
        self.processes: dict[tuple[str, int], subprocess.Popen] = {}

    def start(self, kind: str, index: int, command: list[str]) -> subprocess.Popen:
        environment = {**os.environ, "TF_CONFIG": json.dumps({"cluster": self.spec, "task": {"type": kind, "index": index}})}
        log = open(self.directory / f"{kind}{index}.log", "w")
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory, text=True)
        self.processes[(kind, index)] = process
        return process

    def log(self, kind: str, index: int) -> str:
        return (self.directory / f"{kind}{index}.log").read_text()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def cluster_factory(tmp_path):
    made = []

    def make(**roles):
        cluster = Cluster(roles, tmp_path)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop()


def train_command(corpus, output, *options) -> list[str]:
    return [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), *TRAIN, *options]


SERVE = [sys.executable, "-m", "unsup_embed", "serve"]


def assert_learned_the_planted_structure(path, toy_groups, toy_questions):
    vectors = KeyedVectors.load_word2vec_format(str(path), binary=True)
    purities = {
        group: np.mean([np.mean([other in members for other, _ in vectors.most_similar(word, topn=5)]) for word in members])
        for group, members in toy_groups.items()
    }
    assert min(purities.values()) >= 0.8, purities
    score, _ = vectors.evaluate_word_analogies(str(toy_questions))
    assert score >= 0.7


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def wait_all(processes, timeout: float = 240) -> list[int]:
    return [process.wait(timeout=timeout) for process in processes]


MIRRORED = textwrap.dedent(
    """
    import sys, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from unsup_embed.cli import train_main
    sys.exit(train_main(sys.argv[1:]))
    """
)


@slow
def test_mirrored_strategy_on_two_logical_cpus_learns_the_planted_structure(tmp_path, toy_corpus, toy_groups, toy_questions):
    output = tmp_path / "mirrored.bin"
    arguments = [str(toy_corpus), "-o", str(output), *TRAIN, "--strategy", "mirrored"]
    result = subprocess.run([sys.executable, "-c", MIRRORED, *arguments], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_learned_the_planted_structure(output, toy_groups, toy_questions)


@slow
def test_two_workers_learn_survive_a_dead_worker_and_resume(cluster_factory, tmp_path, toy_corpus, toy_groups, toy_questions):
    output = tmp_path / "multi.bin"
    command = train_command(toy_corpus, output, "--strategy", "multi-worker", "--checkpoint-every", "10", *PEER_TIMEOUT)
    cluster = cluster_factory(worker=2)
    chief = cluster.start("worker", 0, command)
    other = cluster.start("worker", 1, command)
    wait_for(lambda: (tmp_path / "multi.bin.ckpt" / "state.json").exists(), 200, "a first checkpoint")
    other.send_signal(signal.SIGKILL)

    assert chief.wait(timeout=120) == 1
    log = cluster.log("worker", 0)
    assert "failed or stopped answering" in log and "--resume" in log, log[-2000:]
    assert (tmp_path / "multi.bin.ckpt" / "state.json").exists()  # the last checkpoint is kept
    assert not output.exists()

    cluster = cluster_factory(worker=2)
    statuses = wait_all([cluster.start("worker", index, command + ["--resume"]) for index in (0, 1)])
    assert statuses == [0, 0], cluster.log("worker", 0)[-3000:] + cluster.log("worker", 1)[-3000:]
    assert "resuming at epoch" in cluster.log("worker", 1)
    assert "merged the counts" not in cluster.log("worker", 0)  # the vocabulary came from the checkpoint
    assert_learned_the_planted_structure(output, toy_groups, toy_questions)
    assert not (tmp_path / "multi.bin.ckpt").exists()
    assert not (tmp_path / "multi.bin.work").exists()


@slow
def test_two_workers_read_one_shard_each_and_share_one_vocabulary(cluster_factory, tmp_path, toy_corpus):
    output = tmp_path / "shards.bin"
    cluster = cluster_factory(worker=2)
    command = train_command(toy_corpus, output, "--strategy", "multi-worker", "--epochs", "1", "--keep-work", *PEER_TIMEOUT)
    assert wait_all([cluster.start("worker", index, command) for index in (0, 1)]) == [0, 0]
    shard_tokens = [(tmp_path / f"shards.bin.work/shard-{index}-of-2/ids.i32").stat().st_size // 4 for index in (0, 1)]
    vocabulary_total = sum(int(line.split("\t")[1]) for line in (tmp_path / "shards.bin.vocab.tsv").read_text().splitlines())
    assert sum(shard_tokens) == vocabulary_total  # every token in exactly one shard
    assert min(shard_tokens) > 0.4 * vocabulary_total  # and the shards are about even
    assert "the chief wrote the vectors" in cluster.log("worker", 1)


@slow
def test_parameter_server_cluster_learns_and_resumes_after_losing_its_parameter_server(
    cluster_factory, tmp_path, toy_corpus, toy_groups, toy_questions
):
    output = tmp_path / "ps.bin"
    command = train_command(toy_corpus, output, "--strategy", "parameter-server", "--checkpoint-every", "10")
    cluster = cluster_factory(chief=1, ps=1, worker=2)
    servers = [cluster.start("ps", 0, SERVE), cluster.start("worker", 0, SERVE), cluster.start("worker", 1, SERVE)]
    chief = cluster.start("chief", 0, command)
    wait_for(lambda: (tmp_path / "ps.bin.ckpt" / "state.json").exists(), 200, "a first checkpoint")
    servers[0].send_signal(signal.SIGKILL)

    assert chief.wait(timeout=120) == 1
    log = cluster.log("chief", 0)
    assert "failed or stopped answering" in log and "--resume" in log, log[-2000:]
    assert (tmp_path / "ps.bin.ckpt" / "state.json").exists()

    cluster.stop()
    cluster = cluster_factory(chief=1, ps=1, worker=2)
    for kind, index in (("ps", 0), ("worker", 0), ("worker", 1)):
        cluster.start(kind, index, SERVE)
    assert cluster.start("chief", 0, command + ["--resume"]).wait(timeout=240) == 0, cluster.log("chief", 0)[-3000:]
    assert "resuming at epoch" in cluster.log("chief", 0)
    assert_learned_the_planted_structure(output, toy_groups, toy_questions)


@slow
def test_parameter_server_training_goes_on_when_a_worker_dies(cluster_factory, tmp_path, toy_corpus, toy_groups, toy_questions):
    output = tmp_path / "lost-worker.bin"
    cluster = cluster_factory(chief=1, ps=1, worker=2)
    cluster.start("ps", 0, SERVE)
    lost = cluster.start("worker", 0, SERVE)
    cluster.start("worker", 1, SERVE)
    chief = cluster.start("chief", 0, train_command(toy_corpus, output, "--strategy", "parameter-server", "--checkpoint-every", "10"))
    wait_for(lambda: (tmp_path / "lost-worker.bin.ckpt" / "state.json").exists(), 200, "a first checkpoint")
    lost.send_signal(signal.SIGKILL)
    # TensorFlow's coordinator gives the lost worker's blocks to the other one.
    assert chief.wait(timeout=240) == 0, cluster.log("chief", 0)[-3000:]
    assert_learned_the_planted_structure(output, toy_groups, toy_questions)


@pytest.mark.parametrize(
    "strategy, tf_config, message",
    [
        ("multi-worker", None, "TF_CONFIG environment variable, which is not set"),
        ("multi-worker", "{not json", "TF_CONFIG is not valid"),
        ("parameter-server", {"cluster": {"chief": ["a:1"], "worker": ["b:1"], "ps": ["c:1"]}, "task": {"type": "worker", "index": 0}}, "unsup-embed serve"),
    ],
)
def test_a_wrong_cluster_is_one_line_and_exit_2(strategy, tf_config, message, tmp_path, toy_corpus):
    environment = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    if tf_config is not None:
        environment["TF_CONFIG"] = tf_config if isinstance(tf_config, str) else json.dumps(tf_config)
    result = subprocess.run(
        train_command(toy_corpus, tmp_path / "x.bin", "--strategy", strategy), env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(tmp_path.iterdir()) == []
