"""The skip-gram Keras model: one shared Embedding, an objective, a sparse SGD step.

`SkipGramModel` looks up the word and its neighbour in one
`keras.layers.Embedding` (with negative sampling, the neighbour and noise
words may instead come from word2vec's second, output table,
`context_table="separate"`), and returns the per-pair loss of its objective.
`model.fit` trains it against dummy zero targets.

The training step is custom because speed needs it: one call runs a whole
block of `steps_per_call` SGD steps in a compiled loop (dispatching one step
per Python call costs more than its arithmetic), and each step sets
word2vec's decayed learning rate that the data pipeline computed for it.
Gradients of an Embedding lookup are `tf.IndexedSlices`, which Keras' SGD
applies with a scatter-subtract: only the rows in the batch are touched, and
updates of a row repeated in the batch are summed, as in sequential SGD.
The step uses only the model, its optimizer and `GradientTape`; under a
`tf.distribute` strategy each replica trains a whole block of its own, the
gradients of every step are all-reduced, and the loop over the block's steps
is unrolled (tf.distribute allows no synchronisation inside a loop).

The layers and objectives are written with `keras.ops`. The step has one
form per backend: on TensorFlow, `GradientTape` and Keras' SGD (whose sparse
`IndexedSlices` update is a scatter); on JAX (the GPU machines' backend),
gradients of the gathered rows scattered into the tables with `.at[].add`.
Both apply the same word2vec SGD with the same row-update cap.
"""

from __future__ import annotations

import keras
from keras import ops

from .objectives import DistanceObjective, NegativeSamplingObjective


class SkipGramModel(keras.Model):
    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        objective: str = "negative-sampling",
        context_table: str = "separate",
        negative_group: int = 64,
        row_update_cap: float = 32.0,
        steps_per_call: int = 32,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.objective_name = objective
        self.context_table = context_table
        self.negative_group = negative_group
        self.row_update_cap = row_update_cap
        self.steps_per_call = steps_per_call
        self.negative_sampling = objective == "negative-sampling"
        # word2vec's initialisation: input rows uniform in +-0.5/dim, output rows zero.
        scale = 0.5 / embedding_dim
        self.word_embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=keras.initializers.RandomUniform(-scale, scale, seed=seed),
            name="word_embedding",
        )
        if self.negative_sampling and context_table == "separate":
            self.context_embedding = keras.layers.Embedding(
                vocabulary_size, embedding_dim, embeddings_initializer="zeros", name="context_embedding"
            )
        else:
            self.context_embedding = self.word_embedding
        if self.negative_sampling:
            self.objective = NegativeSamplingObjective(negative_group, name="negative_sampling")
        else:
            self.objective = DistanceObjective(squared=objective == "distance-squared", name="distance")

    def build(self, input_shape=None):
        self.word_embedding.build((None,))
        self.context_embedding.build((None,))
        self.objective.build(None)  # no weights; marked built so fit() skips its symbolic build
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: `build()` creates every weight, and compile() has no loss or metrics.

        Keras' TensorFlow trainer, under a tf.distribute strategy, takes one
        batch from the training iterator to build the model symbolically:
        that block would never be trained, and MultiWorkerMirroredStrategy
        cannot reduce a dict of blocks anyway.
        """

    def call(self, inputs):
        lookups = self._lookups(inputs)
        vectors = [
            _scale_gradient(table(ids), scale)
            for (table, ids), scale in zip(lookups, self._row_update_scales(lookups))
        ]
        return self.objective(*vectors)

    def _lookups(self, inputs):
        """(table, ids) for each input the objective takes, in the objective's order."""
        lookups = [(self.word_embedding, inputs["word"]), (self.context_embedding, inputs["neighbour"])]
        if self.negative_sampling:
            lookups.append((self.context_embedding, inputs["negatives"]))
        return lookups

    def _row_update_scales(self, lookups):
        """Per lookup, min(1, cap / pair updates its row takes in this batch).

        Rows of frequent words repeat hundreds of times in a large batch, and
        summing all their updates at word2vec's learning rate diverges. Up to
        `row_update_cap` updates a row is summed exactly as sequential SGD
        would; beyond it the row's step is held at `cap` updates' worth.
        A shared noise draw counts once: its gradient is one row of a matrix
        product over the group, not group_size separate updates (counting it
        group_size times halved every noise update and cost 7 analogy points
        on text8like after 1 epoch; counted once, the cap of 32 costs nothing
        there and still stops a 469-word corpus from diverging).
        """
        counts = {}
        for table, ids in lookups:
            flat = ops.reshape(ids, (-1, 1))
            added = ops.scatter(flat, ops.ones((ops.shape(flat)[0],), dtype="float32"), (self.vocabulary_size,))
            counts[id(table)] = counts[id(table)] + added if id(table) in counts else added
        # Under a strategy the replicas' updates are summed: each gets its share of the cap.
        cap = self.row_update_cap / _replicas_in_sync()
        return [ops.minimum(1.0, cap / ops.take(counts[id(table)], ids)) for table, ids in lookups]

    def word_vectors(self):
        """The trained word table as a NumPy array (the input table, as word2vec exports)."""
        return keras.ops.convert_to_numpy(self.word_embedding.embeddings)

    def train_step(self, *arguments):
        """One block of SGD steps; Keras calls it with (data) on TensorFlow, (state, data) on JAX."""
        if keras.backend.backend() == "jax":
            return self._jax_train_step(*arguments)
        return self._tensorflow_train_step(*arguments)

    def _tensorflow_train_step(self, data):
        import tensorflow as tf

        inputs, zero_targets = data
        pair_inputs = ["word", "neighbour"] + (["negatives"] if self.negative_sampling else [])
        variables = self.trainable_variables
        distributed = tf.distribute.has_strategy()

        def one_step(step, loss_sum):
            batch = {name: inputs[name][step] for name in pair_inputs}
            weight = inputs["weight"][step]
            self.optimizer.learning_rate.assign(inputs["learning_rate"][step])
            with tf.GradientTape() as tape:
                per_pair_loss = self(batch, training=True)
                # Summed, not averaged: each pair gets a full word2vec SGD update.
                loss = ops.sum(weight * ops.abs(per_pair_loss - zero_targets[step]))
            gradients = tape.gradient(loss, variables)
            if distributed:
                gradients = [_summed_by_row(gradient) for gradient in gradients]
            self.optimizer.apply(gradients, variables)
            return loss_sum + loss

        loss_sum = ops.zeros((), dtype="float32")
        if not tf.distribute.has_strategy():
            loss_sum = ops.fori_loop(0, ops.shape(inputs["word"])[0], one_step, loss_sum)
            return self._block_logs(inputs, loss_sum)
        # Each replica gets a whole block of its own. Replicas synchronise
        # inside each step (the gradient all-reduce), and tf.distribute allows
        # no synchronisation inside a loop: unroll.
        for step in range(self.steps_per_call):
            loss_sum = one_step(step, loss_sum)
        # Logs are sums over all replicas, so every worker sees the same
        # figures; words == 0 tells them all at once that every shard is done.
        context = tf.distribute.get_replica_context()
        totals = context.all_reduce("sum", ops.stack([loss_sum, ops.sum(inputs["weight"]), ops.sum(inputs["words"])]))
        logs = {
            "loss": totals[0] / ops.maximum(totals[1], 1.0),
            "words": totals[2],
            "learning_rate": inputs["learning_rate"][0],
        }
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras averages multi-worker logs along axis 0, which a scalar lacks.
            logs = {name: ops.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    def _jax_train_step(self, state, data):
        """The same SGD on JAX, stateless: gradients of the gathered rows, scattered into the tables.

        Differentiating with respect to the rows looked up (not the tables)
        keeps every step sparse: `table.at[ids].add(...)` touches only the rows
        in the batch, and Keras' jit donates the state so XLA updates in place.
        """
        import jax

        trainable, non_trainable, optimizer_variables, metrics_variables = state
        inputs, zero_targets = data
        position = {id(variable): index for index, variable in enumerate(self.trainable_variables)}

        def one_step(step, carry):
            tables, loss_sum = carry
            lookups = self._lookups({name: inputs[name][step] for name in ("word", "neighbour", "negatives") if name in inputs})
            indices = [position[id(table.embeddings)] for table, _ in lookups]
            rows = [ops.take(tables[index], ids, axis=0) for index, (_, ids) in zip(indices, lookups)]
            weight, target = inputs["weight"][step], zero_targets[step]

            def block_loss(rows):
                return ops.sum(weight * ops.abs(self.objective(*rows) - target))

            loss, gradients = jax.value_and_grad(block_loss)(rows)
            rate = inputs["learning_rate"][step]
            tables = list(tables)
            for index, (_, ids), gradient, scale in zip(indices, lookups, gradients, self._row_update_scales(lookups)):
                update = -rate * gradient * ops.expand_dims(scale, -1)
                tables[index] = tables[index].at[ops.reshape(ids, (-1,))].add(ops.reshape(update, (-1, self.embedding_dim)))
            return tuple(tables), loss_sum + loss

        tables, loss_sum = jax.lax.fori_loop(0, inputs["word"].shape[0], one_step, (tuple(trainable), ops.zeros((), "float32")))
        return self._block_logs(inputs, loss_sum), (list(tables), non_trainable, optimizer_variables, metrics_variables)

    @staticmethod
    def _block_logs(inputs, loss_sum):
        return {
            "loss": loss_sum / ops.maximum(ops.sum(inputs["weight"]), 1.0),
            "words": ops.sum(inputs["words"]),
            "learning_rate": inputs["learning_rate"][0],
        }

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "objective": self.objective_name,
            "context_table": self.context_table,
            "negative_group": self.negative_group,
            "row_update_cap": self.row_update_cap,
            "steps_per_call": self.steps_per_call,
        }


def _summed_by_row(gradient):
    """An IndexedSlices gradient with one row per distinct index (duplicates summed).

    A step's gradient holds one row per lookup: 8,192 pairs give 8,192 word
    rows even when they touch a few thousand distinct words. The replicas
    exchange gradients by all-gathering these rows, so summing duplicates
    first makes the traffic scale with the distinct rows a step touches.
    """
    import tensorflow as tf

    if not isinstance(gradient, tf.IndexedSlices):
        return gradient
    rows, position = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(rows)[0])
    return tf.IndexedSlices(values, rows, gradient.dense_shape)


def _replicas_in_sync() -> int:
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync if tf.distribute.has_strategy() else 1


def _scale_gradient(vectors, scale):
    """`vectors` unchanged in the forward pass; their gradient multiplied by `scale` (per row)."""
    scale = ops.expand_dims(scale, -1)
    frozen = ops.stop_gradient(vectors)
    return frozen + (vectors - frozen) * scale
