"""The Keras model: word2vec's tables as `Embedding` layers, an objective, and a compiled block step.

`Word2VecModel` holds
- `word_embedding`, the input table (the vectors that are exported), word2vec's
  initialisation: uniform in +-0.5/dim; with subwords, its rows are the
  words' and then `buckets` rows of character n-grams (fastText's input
  matrix);
- `context_embedding`, word2vec's output table for neighbours and noise words,
  starting at zero, or the word table itself (`context_table="shared"`);
  the naive distance objectives use the word table alone;
- the objective layer (objectives.py); the noise words come with each block, drawn by the host.

`model.fit` (or `train_on_batch`) on blocks (blocks.py) trains it against
dummy zero targets: `train_step` runs a whole block of SGD steps in one
compiled call (step.py), with the tables as loop-carried values that XLA
updates in place. On TensorFlow, Keras compiles the step with
`jit_compile=True`; on JAX, Keras jits the stateless step and donates the
tables. Calling the model on one step's inputs returns its per-centre loss.
"""

from __future__ import annotations

import keras
import numpy as np

from . import backend
from .objectives import CbowNegativeSampling, Distance, SkipGramNegativeSampling
from .step import step_pairs, train_block

ARCHITECTURES = ("skipgram", "cbow")


def uniform_slices(rows: int, dim: int, scale: float, seed: int | None, slice_rows: int = 65_536):
    """(start, float32 values) of a (rows, dim) table uniform in +-scale, drawn by NumPy a slice of rows at a time.

    The values are a function of the seed alone, the same on every backend.
    Drawn in float32: six times faster than float64 draws cast down, which
    took 3 s of fastText's 2M-row table.
    """
    generator = np.random.default_rng(seed)
    for start in range(0, rows, slice_rows):
        values = generator.random((min(slice_rows, rows - start), dim), dtype=np.float32)
        values *= np.float32(2 * scale)
        values -= np.float32(scale)
        yield start, values


class Word2VecModel(keras.Model):
    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        architecture: str = "skipgram",
        objective: str = "negative-sampling",
        context_table: str = "separate",
        window: int = 5,
        length: int = 128,
        negative: int = 5,
        negative_group: int = 16,
        noise_draws: int = 16,
        row_update_cap: float = 32.0,
        buckets: int = 0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.buckets = buckets  # subword n-gram rows after the words' rows in the input table
        self.embedding_dim = embedding_dim
        self.architecture = architecture
        self.objective_name = objective
        self.context_table = context_table
        self.window = window
        self.length = length
        self.negative = negative
        self.negative_group = min(negative_group, length)
        self.noise_draws = noise_draws
        self.row_update_cap = row_update_cap
        self.negative_sampling = objective == "negative-sampling"
        scale = 0.5 / embedding_dim
        self._initial_scale, self._seed = scale, seed
        self.word_embedding = keras.layers.Embedding(
            vocabulary_size + buckets,
            embedding_dim,
            embeddings_initializer="zeros",  # then filled a slice at a time (build)
            name="word_embedding",
        )
        self.separate_context = self.negative_sampling and context_table == "separate"
        if self.separate_context:
            self.context_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, embeddings_initializer="zeros", name="context_embedding")
        else:
            self.context_embedding = self.word_embedding
        if not self.negative_sampling:
            self.objective = Distance(window, squared=objective == "distance-squared", name="distance")
        elif architecture == "cbow":
            self.objective = CbowNegativeSampling(window, negative, self.negative_group, noise_draws, name="cbow")
        else:
            self.objective = SkipGramNegativeSampling(window, negative, self.negative_group, noise_draws, name="skipgram")

    def build(self, input_shape=None):
        self.word_embedding.build((None,))
        # word2vec's initialisation, written into the zeroed table a slice at a
        # time: TensorFlow's uniform initialiser, or a whole NumPy table handed
        # to it, peaks at three tables' worth (+2.4 GiB for fastText's 2M x 100
        # input matrix, against +0.9 GiB this way), which set the peak memory
        # of a `--subwords` run.
        table = self.word_embedding.embeddings
        backend.advise_huge_pages(table)  # while it is still zeros: a step's rows are scattered over it
        backend.fill_rows(table, uniform_slices(*table.shape, self._initial_scale, self._seed))
        self.context_embedding.build((None,))
        if self.separate_context:
            backend.advise_huge_pages(self.context_embedding.embeddings)  # word2vec's context rows start at zero
        self.objective.build(None)  # no weights; marked built so fit() skips its symbolic build
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: `build()` creates every weight, and compile() has no loss or metrics."""

    def table_name(self, role: str) -> str:
        """The table an objective's "input" or "output" lookup reads."""
        return "output" if role == "output" and self.separate_context else "input"

    def tables(self) -> dict:
        """The trainable tables by name, as the step reads them."""
        tables = {"input": self.word_embedding.embeddings}
        if self.separate_context:
            tables["output"] = self.context_embedding.embeddings
        return tables

    def table_values(self, copy: bool = True) -> dict[str, np.ndarray]:
        """Every table as a NumPy array: a copy, or (`copy=False`, once training is over) a read-only array over the table as read.

        `copy=False` reads each table once and hands that memory to NumPy:
        for fastText's 2M-row input table it holds one more table (+0.8 GiB)
        where `convert_to_numpy` peaked at three (+2.3 GiB). TensorFlow copies
        on that read, because a table that took `scatter_update` (build) is
        read by copying it; so after training, big tables are read a slice
        at a time instead (training/handover.py).
        """
        if copy:
            return {name: keras.ops.convert_to_numpy(table) for name, table in self.tables().items()}
        return {name: backend.numpy_view(table.value) for name, table in self.tables().items()}

    def table_shapes(self) -> dict[str, tuple[int, int]]:
        return {name: tuple(table.shape) for name, table in self.tables().items()}

    def gather_rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Some rows of a table, without copying the rest (a checkpoint writes a big table a slice at a time)."""
        return keras.ops.convert_to_numpy(backend.gather_rows(self.tables()[name], ids))

    def load_tables(self, tables: dict[str, np.ndarray]) -> None:
        for name, table in self.tables().items():
            table.assign(tables[name])

    def call(self, step):
        """The per-centre loss of one step of a block (its fields without the leading step axis)."""
        pairs = step_pairs(self, step)
        lookups = self.objective.lookups(pairs)
        rows = [self.word_embedding(lookup.ids) if self.table_name(lookup.table) == "input" else self.context_embedding(lookup.ids) for lookup in lookups]
        rows = [lookup.compose(each) if lookup.compose else each for lookup, each in zip(lookups, rows)]
        return self.objective(rows, step=pairs)

    def train_step(self, *arguments):
        """One block of SGD steps; Keras calls it with (data) on TensorFlow, (state, data) on JAX."""
        if keras.backend.backend() == "jax":
            return self._jax_train_step(*arguments)
        (data,) = arguments
        block = data[0] if isinstance(data, tuple) else data
        variables = self.tables()
        tables, loss_sum, pair_sum = train_block(self, {name: variable.value for name, variable in variables.items()}, block)
        for name, variable in variables.items():
            variable.assign(tables[name])
        return self._block_logs(block, loss_sum, pair_sum)

    def _jax_train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        block = data[0] if isinstance(data, tuple) else data
        position = {id(variable): index for index, variable in enumerate(self.trainable_variables)}
        variables = self.tables()
        tables = {name: trainable[position[id(variable)]] for name, variable in variables.items()}
        # Any non-trainable variable the step reads takes its value from the state JAX passes in.
        with keras.StatelessScope(state_mapping=list(zip(self.non_trainable_variables, non_trainable))):
            tables, loss_sum, pair_sum = train_block(self, tables, block)
        trainable = list(trainable)
        for name, variable in variables.items():
            trainable[position[id(variable)]] = tables[name]
        return self._block_logs(block, loss_sum, pair_sum), (trainable, non_trainable, optimizer_variables, metrics_variables)

    @staticmethod
    def _block_logs(block, loss_sum, pair_sum):
        return {
            "loss": loss_sum / keras.ops.maximum(pair_sum, 1.0),
            "words": keras.ops.sum(block["words"]),
            "learning_rate": block["learning_rate"][0],
        }

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "architecture": self.architecture,
            "objective": self.objective_name,
            "context_table": self.context_table,
            "window": self.window,
            "length": self.length,
            "negative": self.negative,
            "negative_group": self.negative_group,
            "noise_draws": self.noise_draws,
            "row_update_cap": self.row_update_cap,
            "buckets": self.buckets,
        }
