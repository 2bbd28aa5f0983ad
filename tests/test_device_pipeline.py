"""--pipeline device: blocks cut by JAX from the corpus on the device, checked on the CPU against the corpus itself."""

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from gensim.models import KeyedVectors
from random_corpus import encoded_random_corpus

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")

from unsup_embed.word2vec.blocks import BlockShape, block_schema  # noqa: E402

SHAPE = BlockShape.for_batch(32, steps=3, window=3)


@pytest.fixture(scope="module")
def read(tmp_path_factory):
    return encoded_random_corpus(tmp_path_factory.mktemp("device-blocks"), lines=400, words=40, longest=25)


def device_corpus(read, sample=0.0, epochs=2, seed=3, noise=True):
    from unsup_embed.word2vec.device_blocks import DeviceCorpus

    keep = read.vocabulary.keep_probabilities(sample) if sample else None
    from unsup_embed.word2vec.noise_words import NoiseWords

    noise_words = NoiseWords(read.vocabulary.noise_table(), group=8, draws=5) if noise else None
    return DeviceCorpus(read.encoded, keep, noise_words, SHAPE, epochs, 0.025, 0.0001, seed)


def epoch_blocks(corpus, epoch):
    tokens = corpus.epoch_tokens(epoch)
    blocks = [corpus.cut_block(tokens.ids, tokens.sentence, tokens.kept, tokens.stripe, epoch, number) for number in range(corpus.blocks_in(tokens))]
    return tokens, [{name: np.asarray(value) for name, value in block.items()} for block in blocks]


def corpus_arrays(read):
    ids = np.fromfile(read.encoded.ids_path, dtype=np.int32)
    ends = np.fromfile(read.encoded.ends_path, dtype=np.int64)
    return ids, np.repeat(np.arange(ends.shape[0]), np.diff(ends, prepend=0))


def test_every_token_is_a_centre_once_with_its_own_neighbours(read):
    corpus = device_corpus(read)
    ids, sentence = corpus_arrays(read)
    tokens, blocks = epoch_blocks(corpus, 0)
    assert tokens.kept == ids.shape[0]  # no subsampling: every token kept
    window, length = SHAPE.window, SHAPE.length
    seen = np.zeros(ids.shape[0], int)
    for block in blocks:
        for step in range(SHAPE.steps):
            for row in range(SHAPE.rows):
                for column in np.flatnonzero(block["centres"][step, row]):
                    # Row r of step t holds stripe r's centres t * length.. onwards: its corpus position.
                    in_epoch = block["seed"][step, 1]  # the step's place in the epoch
                    position = row * tokens.stripe + in_epoch * length + column
                    seen[position] += 1
                    span = block["ids"][step, row]
                    assert span[window + column] == ids[position]
                    for offset in range(-window, window + 1):
                        near = position + offset
                        inside = 0 <= near < ids.shape[0]
                        assert span[window + column + offset] == (ids[near] if inside else 0)
                        same = inside and sentence[near] == sentence[position]
                        assert (block["sentence"][step, row, window + column + offset] == block["sentence"][step, row, window + column]) == same
    assert (seen == 1).all()


def test_learning_rate_words_and_noise_follow_the_schema(read):
    corpus = device_corpus(read, epochs=2)
    rates, words = [], 0.0
    schema = block_schema(SHAPE, noise=corpus_noise_words())
    for epoch in range(2):
        _, blocks = epoch_blocks(corpus, epoch)
        for block in blocks:
            for name, (shape, dtype) in schema.items():
                assert block[name].shape == shape, name
                assert block[name].dtype == np.dtype(dtype), name
            rates += list(block["learning_rate"])
            words += float(block["words"].sum())
            assert ((block["noise"] >= 0) & (block["noise"] < len(read.vocabulary))).all()
    assert rates[0] == pytest.approx(0.025)
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:]))
    assert words == pytest.approx(2 * len(read.encoded), rel=1e-5)  # the steps stand for every corpus token, each epoch


def corpus_noise_words():
    from unsup_embed.word2vec.noise_words import NoiseWords

    return NoiseWords(np.zeros(1, np.int32), group=8, draws=5)


def test_subsampling_keeps_order_draws_afresh_each_epoch_and_again_on_resume(read):
    ids, _ = corpus_arrays(read)
    corpus = device_corpus(read, sample=1e-2)
    first, again, second = corpus.epoch_tokens(0), corpus.epoch_tokens(0), corpus.epoch_tokens(1)
    kept = np.asarray(first.ids)[: first.kept]
    assert 0 < first.kept < ids.shape[0]
    # The kept tokens are a subsequence of the corpus, in its order.
    cursor = 0
    for word in kept:
        while ids[cursor] != word:
            cursor += 1
        cursor += 1
    assert np.array_equal(np.asarray(again.ids), np.asarray(first.ids))  # a function of the seed and the epoch
    assert not np.array_equal(np.asarray(second.ids), np.asarray(first.ids))
    assert (np.asarray(first.sentence)[first.kept :] == -1).all()


def run_train(arguments, backend="jax"):
    return subprocess.run(
        [sys.executable, "-m", "unsup_embed", "train", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend},
        timeout=600,
    )


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_device_pipeline_learns_the_shipped_corpus(tmp_path, toy_corpus, toy_questions, toy_groups, architecture):
    output = tmp_path / "device.bin"
    result = run_train([str(toy_corpus), "-o", str(output), "--epochs", "4", "--pipeline", "device", "--architecture", architecture])
    assert result.returncode == 0, result.stderr[-2000:]
    host_batch = {"skipgram": "1,024", "cbow": "2,048"}[architecture]  # a small corpus: the host's batch, for steps enough
    assert re.search(f"blocks are cut on [A-Z]+[^,]*, {host_batch} centres per step", result.stderr)  # CPU, or GPU (its name)
    assert "spread out and learned" in result.stdout
    vectors = KeyedVectors.load_word2vec_format(str(output), binary=True)
    score, _ = vectors.evaluate_word_analogies(str(toy_questions))
    assert score >= 0.8
    capitals = toy_groups["capitals"]
    assert sum(other in capitals for other, _ in vectors.most_similar(capitals[0], topn=5)) >= 4


def test_a_batch_size_given_is_kept_on_the_device(tmp_path, toy_corpus):
    result = run_train([str(toy_corpus), "-o", str(tmp_path / "given.bin"), "--epochs", "1", "--pipeline", "device", "--batch-size", "2048"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search("blocks are cut on [A-Z]+[^,]*, 2,048 centres per step", result.stderr)


def test_the_device_batch_grows_with_the_corpus_and_leaves_an_epoch_its_steps():
    from unsup_embed.config import device_batch_size

    assert device_batch_size("skipgram", 12_600_000) == 8192  # text8like's kept tokens: 1,538 steps an epoch
    assert device_batch_size("skipgram", 4_000_000) == 2048
    assert device_batch_size("skipgram", 100_000) == 1024  # never below the host's default
    assert device_batch_size("cbow", 20_000_000) == 16384
    assert device_batch_size("cbow", 10_000_000) == 8192


@pytest.mark.parametrize(
    "extra, backend, expected",
    [
        ([], "tensorflow", "--pipeline device runs on Keras' JAX backend"),
        (["--subwords"], "jax", "--pipeline device does not cut --subwords blocks"),
        (["--strategy", "mirrored"], "jax", "--pipeline device trains in one process"),
    ],
)
def test_device_pipeline_refuses_what_it_cannot_run_before_any_work(tmp_path, toy_corpus, extra, backend, expected):
    output = tmp_path / "refused.bin"
    result = run_train([str(toy_corpus), "-o", str(output), "--pipeline", "device", *extra], backend=backend)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_an_interrupted_device_run_resumes_to_the_vectors_of_an_uninterrupted_one(tmp_path, toy_corpus):
    corpus = tmp_path / "small.txt"
    corpus.write_text("".join(toy_corpus.read_text().splitlines(keepends=True)[:6000]))
    # Blocks of one step of 128 centres, a checkpoint every 6 steps: long enough to be interrupted half way.
    options = ["--epochs", "4", "--dim", "16", "--batch-size", "128", "--steps-per-call", "1", "--checkpoint-every", "6", "--pipeline", "device", "--quiet"]

    def start(output, *extra):
        command = [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), *options, *extra]
        # On a GPU, XLA's scatter-adds sum in a varying order unless told not to: without this, two runs differ by ~1e-4.
        deterministic = f"{os.environ.get('XLA_FLAGS', '')} --xla_gpu_deterministic_ops=true".strip()
        environment = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": deterministic}
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)

    whole = tmp_path / "whole.bin"
    process = start(whole)
    assert process.wait(timeout=300) == 0, process.stderr.read()[-2000:]
    output = tmp_path / "v.bin"
    process = start(output)
    state = tmp_path / "v.bin.ckpt" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be interrupted"
        try:
            if json.loads(state.read_text())["position"]["epoch"] >= 2:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "--resume" in err
    elsewhere = start(output, "--resume", "--pipeline", "host")  # the host cuts other blocks: refused, the checkpoint kept
    _, err = elsewhere.communicate(timeout=120)
    assert elsewhere.returncode == 2 and "resume with --pipeline device" in err and state.exists()
    process = start(output, "--resume")
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    resumed, uninterrupted = (KeyedVectors.load_word2vec_format(str(path), binary=True) for path in (output, whole))
    assert resumed.index_to_key == uninterrupted.index_to_key
    np.testing.assert_allclose(resumed.vectors, uninterrupted.vectors, rtol=1e-5, atol=1e-6)


class _Gpu:
    def __init__(self, limit, in_use):
        self.stats = {"bytes_limit": limit, "bytes_in_use": in_use}

    def memory_stats(self):
        return self.stats


def test_a_corpus_too_big_for_the_gpu_is_refused_before_it_is_copied(monkeypatch):
    import jax

    from unsup_embed.errors import RunFailure
    from unsup_embed.training import device_trainer

    monkeypatch.setattr(jax, "devices", lambda: [_Gpu(limit=8 << 30, in_use=1 << 30)])
    device_trainer.check_device_memory(tokens=100_000_000, table_bytes=1 << 30)  # 3.0 + 2.0 GiB of 7 free: fits
    with pytest.raises(RunFailure, match=r"needs about 31\.8 GiB on the GPU \(1,000,000,000 corpus tokens.*can use 7\.0 GiB.*--pipeline host"):
        device_trainer.check_device_memory(tokens=1_000_000_000, table_bytes=1 << 30)
    monkeypatch.setattr(jax, "devices", lambda: [type("Cpu", (), {"memory_stats": lambda self: None})()])
    device_trainer.check_device_memory(tokens=10**9, table_bytes=1 << 40)  # no figure to hold it against: left to JAX
    with pytest.raises(RunFailure, match=r"32-bit positions, and it has 2,147,483,648 tokens"):
        device_trainer.check_device_memory(tokens=2**31, table_bytes=0)


def test_running_out_of_gpu_memory_is_one_line_and_other_errors_pass(monkeypatch):
    import jax

    from unsup_embed.errors import RunFailure
    from unsup_embed.training.device_trainer import out_of_device_memory_as_failure

    with pytest.raises(RunFailure) as failure:
        with out_of_device_memory_as_failure("training"):
            raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 1234 bytes.\nmore detail")
    assert str(failure.value).startswith("the GPU ran out of memory training (RESOURCE_EXHAUSTED: Out of memory")
    assert "\n" not in str(failure.value) and "--batch-size" in str(failure.value)
    with pytest.raises(jax.errors.JaxRuntimeError):
        with out_of_device_memory_as_failure("training"):
            raise jax.errors.JaxRuntimeError("INTERNAL: something else")
