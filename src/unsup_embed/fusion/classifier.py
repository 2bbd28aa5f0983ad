"""A text classifier over any embedding layer: Conv1D + max pooling, or an LSTM.

`build_classifier(embedding, num_classes, ...)` puts a classifier on top of a
layer that maps token ids (batch, length) to vectors (batch, length, dim) with
0 as padding: the fused embedding, a single frozen source, or a plain
trainable `Embedding` (the baselines `scripts/bench_fusion.py` compares).

- `conv` (default) follows Kim (2014), "Convolutional Neural Networks for
  Sentence Classification": one Conv1D (ReLU) per kernel width, each max-pooled
  over the sentence, concatenated, dropout, then the output layer. Padding is
  excluded from the max by `MaskedGlobalMaxPooling1D`; "same" convolution
  reads padded positions as zero vectors, exactly as it reads the border, so a
  sentence scores the same however much padding follows it.
- `lstm`: one LSTM that skips padded steps through the embedding's mask.

The output is `Dense(1, sigmoid)` for two classes and `Dense(n, softmax)` for
more, trained with Adam on (sparse) cross-entropy. `train_classifier` runs
`model.fit` on batches cut to their longest text (`padded_batches`, with
TensorFlow; other backends take the arrays whole).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from .config import CLASSIFIERS


@keras.saving.register_keras_serializable(package="unsup_embed")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Maximum over time of (batch, length, channels), ignoring positions where `mask` is False."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=1)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        lowest = ops.cast(-1e9, inputs.dtype)
        pooled = ops.max(ops.where(keep, inputs, lowest), axis=1)
        # A text with no tokens at all pools to zeros rather than -1e9.
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="unsup_embed")
class DropMask(keras.layers.Layer):
    """Passes its input through without the mask: Conv1D cannot use one, and the pooling gets it explicitly."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.copy(inputs)  # a new tensor: Keras would keep the mask attached to the same one

    def compute_mask(self, inputs, mask=None):
        return None


def build_classifier(
    embedding: keras.layers.Layer,
    num_classes: int,
    kind: str = "conv",
    filters: int = 100,
    kernel_sizes: Sequence[int] = (3, 4, 5),
    lstm_units: int = 100,
    dropout: float = 0.5,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """A compiled model: token ids in, class probabilities out."""
    if kind not in CLASSIFIERS:
        raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}, got {kind!r}")
    if num_classes < 2:
        raise ValueError(f"a classifier needs two or more classes, got {num_classes}")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    vectors = embedding(token_ids)
    if kind == "conv":
        mask = ops.not_equal(token_ids, 0)
        vectors = DropMask(name="unmasked")(vectors)
        pooled = [
            MaskedGlobalMaxPooling1D(name=f"max_over_time_{width}")(
                keras.layers.Conv1D(filters, width, padding="same", activation="relu", name=f"conv_{width}")(vectors), mask=mask
            )
            for width in kernel_sizes
        ]
        features = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="features")(pooled)
    else:
        features = keras.layers.LSTM(lstm_units, name="lstm")(vectors)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    if num_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(features)
        loss = "binary_crossentropy"
    else:
        outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(features)
        loss = "sparse_categorical_crossentropy"
    model = keras.Model(token_ids, outputs, name=f"{kind}_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    return model


def train_classifier(model, train, valid, epochs: int, batch_size: int, seed: int = 1, callbacks=(), verbose: int = 0):
    """`model.fit` on (ids, labels) pairs; returns (history dict, validation accuracy after the last epoch)."""
    if keras.backend.backend() == "tensorflow":
        batches = {"x": padded_batches(*train, batch_size, seed), "shuffle": False}  # the pipeline shuffles
        validation = padded_batches(*valid, 256)
    else:  # whole-width NumPy batches: the same model (padding is masked), only more of it to convolve
        batches = {"x": train[0], "y": train[1], "batch_size": batch_size, "shuffle": True}
        validation = valid
    history = model.fit(**batches, validation_data=validation, epochs=epochs, callbacks=list(callbacks), verbose=verbose)
    return {key: [float(value) for value in values] for key, values in history.history.items()}, accuracy(model, *valid)


def accuracy(model, ids: np.ndarray, labels: np.ndarray) -> float:
    """The model's accuracy on (ids, labels)."""
    if keras.backend.backend() == "tensorflow":
        _, value = model.evaluate(padded_batches(ids, labels, 256), verbose=0)
    else:
        _, value = model.evaluate(ids, labels, batch_size=256, verbose=0)
    return float(value)


def padded_batches(ids: np.ndarray, labels: np.ndarray, batch_size: int, seed: int | None = None):
    """A tf.data pipeline of (ids, labels) batches, each cut to its longest text; reshuffled every epoch with a seed.

    For the TensorFlow backend only (tf.data); other backends get NumPy arrays.

    Masking makes the result independent of how much padding a batch carries,
    so cutting it costs no accuracy and, with sentences averaging a third of
    the longest, saves about two thirds of the convolution.
    """
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((ids, labels))
    if seed is not None:
        dataset = dataset.shuffle(len(ids), seed=seed, reshuffle_each_iteration=True)

    def cut(batch_ids, batch_labels):
        # Padding (0) only ever follows the tokens, so the longest text is the widest non-zero count.
        width = tf.maximum(1, tf.reduce_max(tf.reduce_sum(tf.cast(batch_ids != 0, tf.int32), axis=1)))
        return batch_ids[:, :width], batch_labels

    return dataset.batch(batch_size).map(cut).prefetch(tf.data.AUTOTUNE)


def predicted_classes(model: keras.Model, token_ids, batch_size: int = 256):
    """Class index per row of `token_ids`."""
    probabilities = model.predict(token_ids, batch_size=batch_size, verbose=0)
    if probabilities.shape[-1] == 1:
        return (probabilities[:, 0] >= 0.5).astype("int32")
    return probabilities.argmax(axis=-1).astype("int32")
