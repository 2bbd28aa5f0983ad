"""The trainer on Keras' JAX backend (what the GPU machines run): same objective, same SGD, same results."""

import importlib.util
import os
import subprocess
import sys

import pytest
from gensim.models import KeyedVectors

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


def test_jax_backend_learns_the_shipped_corpus(tmp_path, toy_corpus, toy_questions, toy_groups):
    output = tmp_path / "jax.bin"
    result = subprocess.run(
        [sys.executable, "-m", "unsup_embed", "train", str(toy_corpus), "-o", str(output), "--epochs", "4", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "spread out and learned" in result.stdout
    vectors = KeyedVectors.load_word2vec_format(str(output), binary=True)
    score, _ = vectors.evaluate_word_analogies(str(toy_questions))
    assert score >= 0.8
    capitals = toy_groups["capitals"]
    neighbours = [other for other, _ in vectors.most_similar(capitals[0], topn=5)]
    assert sum(other in capitals for other in neighbours) >= 4
