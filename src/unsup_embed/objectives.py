"""The training objectives, as Keras layers that return one loss per pair.

Both are written with `keras.ops` only, so they run on any Keras 3 backend.
The model is trained against dummy zero targets: each layer's output is a
non-negative per-pair loss, and driving it to zero is the whole objective.

- `DistanceObjective`: the naive design. The two embeddings of a (word,
  neighbour) pair are subtracted and the difference reduced by its mean;
  that value is trained towards 0. `squared=True` squares the difference before
  the mean, which is the mean squared distance. Nothing pushes unrelated
  words apart, so "all vectors equal" is a perfect solution; the collapse
  report exists to show it.
- `NegativeSamplingObjective`: word2vec's SGNS. log sigma(w.c) for the true
  neighbour, log sigma(-w.n) for k noise words from the unigram^0.75
  distribution. Noise words are shared by each group of `group_size`
  consecutive pairs (Ji et al. 2016, "Parallelizing Word2Vec in Multi-Core and
  Many-Core Architectures"), which turns the noise scores into one batched
  matrix product and gathers k rows per group instead of per pair.
"""

from __future__ import annotations

import keras
from keras import ops


class DistanceObjective(keras.layers.Layer):
    def __init__(self, squared: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.squared = squared

    def call(self, word_vectors, neighbour_vectors):
        difference = word_vectors - neighbour_vectors
        if self.squared:
            return ops.mean(ops.square(difference), axis=-1)
        # Mean-reduced difference, trained towards a zero target with squared error.
        return ops.square(ops.mean(difference, axis=-1))

    def get_config(self):
        return {**super().get_config(), "squared": self.squared}


class NegativeSamplingObjective(keras.layers.Layer):
    def __init__(self, group_size: int, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, word_vectors, neighbour_vectors, negative_vectors):
        """word/neighbour: [pairs, dim]; negative: [pairs / group_size, k, dim] -> [pairs]."""
        positive_scores = ops.sum(word_vectors * neighbour_vectors, axis=-1)
        dim = ops.shape(word_vectors)[-1]
        grouped_words = ops.reshape(word_vectors, (-1, self.group_size, dim))
        negative_scores = ops.einsum("gpd,gkd->gpk", grouped_words, negative_vectors)
        negative_loss = ops.sum(ops.softplus(negative_scores), axis=-1)
        # -log sigma(x) = softplus(-x); -log sigma(-x) = softplus(x).
        return ops.softplus(-positive_scores) + ops.reshape(negative_loss, (-1,))

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
