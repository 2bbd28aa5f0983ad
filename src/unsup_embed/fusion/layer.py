"""The fused embedding: frozen source tables mixed by learned per-word weights.

For a word `w` and sources `E1 ... En` (pretrained tables, aligned to one task
vocabulary and frozen), the layer returns

    fused[w] = P1(x1[w] * E1[w]) + ... + Pn(xn[w] * En[w])

where `xi[w]` is learned per word and per source: a scalar (`weighting=
"scalar"`) or a vector of source i's dimension multiplied elementwise
(`"vector"`). Each table is a `keras.layers.Embedding(weights=[matrix],
trainable=False)`; each weight table is a trainable `Embedding`; they are
combined with `Multiply` and `Add`. `Pi` is one `Dense(common_dim,
use_bias=False)` per source whose dimension differs from the common one (the
largest, unless given): one matrix shared by every position and example,
orthogonally initialised so a projected vector keeps its length at the start.
Sources of the common dimension are added as they are.

With `normalise="softmax"` the scalar weights of a word are a softmax over the
sources (they sum to 1); with `"none"` they are free. Either way training
starts from the plain average of the sources (weights 1/n). Vector weights are
never normalised: sources of different dimensions have no coordinate in common
before projection.

Index 0 is padding: its output is zero and the layer's mask says False there,
so LSTMs skip it and the classifier's max pooling ignores it.

Left out on purpose: fine-tuning the source tables (they stay frozen, which is
what keeps the per-word weights meaningful), and attention over sources that
depends on context rather than on the word alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from .config import NORMALISATIONS, WEIGHTINGS


@keras.saving.register_keras_serializable(package="unsup_embed")
class FusedEmbedding(keras.layers.Layer):
    """Token ids (batch, length) in, fused vectors (batch, length, common_dim) out, padding masked."""

    def __init__(
        self,
        vocabulary_size: int,
        source_dims: Sequence[int],
        weighting: str = "scalar",
        normalise: str = "softmax",
        common_dim: int | None = None,
        matrices: Sequence[np.ndarray] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
        if normalise not in NORMALISATIONS:
            raise ValueError(f"normalise must be one of {', '.join(NORMALISATIONS)}, got {normalise!r}")
        if len(source_dims) < 2:
            raise ValueError(f"fusion needs two or more sources, got {len(source_dims)}")
        self.vocabulary_size = int(vocabulary_size)
        self.source_dims = [int(dim) for dim in source_dims]
        self.weighting = weighting
        self.normalise = normalise if weighting == "scalar" else "none"
        self.common_dim = int(common_dim or max(self.source_dims))
        self.supports_masking = True
        count = len(self.source_dims)
        start = 0.0 if self.normalise == "softmax" else 1.0 / count  # both start at the average
        self.sources = [
            keras.layers.Embedding(
                self.vocabulary_size,
                dim,
                weights=None if matrices is None else [np.asarray(matrices[i], dtype=np.float32)],
                trainable=False,
                mask_zero=True,
                name=f"source_{i}",
            )
            for i, dim in enumerate(self.source_dims)
        ]
        # mask_zero here too: Multiply zeroes padded positions only when every input is masked.
        self.source_weights = [
            keras.layers.Embedding(
                self.vocabulary_size,
                1 if weighting == "scalar" else dim,
                embeddings_initializer=keras.initializers.Constant(start),
                mask_zero=True,
                name=f"weight_{i}",
            )
            for i, dim in enumerate(self.source_dims)
        ]
        self.projections = [
            None
            if dim == self.common_dim
            else keras.layers.Dense(self.common_dim, use_bias=False, kernel_initializer="orthogonal", name=f"projection_{i}")
            for i, dim in enumerate(self.source_dims)
        ]
        self.multiplies = [keras.layers.Multiply(name=f"weigh_{i}") for i in range(count)]
        self.add = keras.layers.Add(name="fuse")

    def build(self, input_shape=None):
        for table, weight, projection, dim in zip(self.sources, self.source_weights, self.projections, self.source_dims):
            table.build()
            weight.build()
            if projection is not None:
                projection.build((None, None, dim))
        self.built = True

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        weights = [layer(token_ids) for layer in self.source_weights]
        if self.normalise == "softmax":
            normalised = ops.softmax(ops.concatenate(weights, axis=-1), axis=-1)
            weights = [normalised[..., i : i + 1] for i in range(len(weights))]
        parts = []
        for table, weight, multiply, projection in zip(self.sources, weights, self.multiplies, self.projections):
            weighted = multiply([table(token_ids), weight])
            parts.append(weighted if projection is None else projection(weighted))
        fused = self.add(parts)
        keep = ops.expand_dims(ops.cast(ops.not_equal(token_ids, 0), fused.dtype), -1)
        return fused * keep

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.common_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "source_dims": self.source_dims,
            "weighting": self.weighting,
            "normalise": self.normalise,
            "common_dim": self.common_dim,
        }

    def word_weights(self) -> np.ndarray:
        """(vocabulary_size, sources): the weight of each source for each word, as applied.

        Softmax-normalised where the layer normalises; the mean of the vector for
        vector weights.
        """
        columns = [layer.get_weights()[0].mean(axis=1) for layer in self.source_weights]
        weights = np.stack(columns, axis=1)
        if self.normalise == "softmax":
            weights = np.exp(weights - weights.max(axis=1, keepdims=True))
            weights /= weights.sum(axis=1, keepdims=True)
        return weights

    def fused_vectors(self, batch_size: int = 16_384) -> np.ndarray:
        """(vocabulary_size, common_dim): every word's fused vector (row 0, padding, is zero)."""
        ids = np.arange(self.vocabulary_size, dtype=np.int32)[:, None]
        blocks = [ops.convert_to_numpy(self(ids[start : start + batch_size]))[:, 0, :] for start in range(0, len(ids), batch_size)]
        return np.concatenate(blocks).astype(np.float32)
