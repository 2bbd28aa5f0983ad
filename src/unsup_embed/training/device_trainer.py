"""The trainer of `--pipeline device`: blocks cut and trained on the accelerator, tables that never leave it.

`DeviceTrainer` has the interface of the loop's `LocalTrainer` (loop.py), so
the one epoch loop drives it: checkpoints, resume, stop requests,
divergence and progress work as on every other path. What differs is what
travels. The loop's "blocks" are tickets (the epoch's kept tokens, already
on the device, and the block's number); one compiled call cuts the block
from them (word2vec/device_blocks.py) and runs its SGD steps
(word2vec/step.py, the same step as every other path) on the tables, which
stay device arrays from the first block to the export. The host reads
three scalars per block, the logs of the block just submitted: the loop's
position and the tables a checkpoint saves then agree (handing back the
block before's logs, to queue the next block first, would save tables one
block ahead of the position a resumed run starts from).

JAX backend only (Keras' `KERAS_BACKEND=jax`); `--pipeline auto` takes it
where JAX has a GPU.
"""

from __future__ import annotations

import contextlib
import time

import jax
import numpy as np

from ..errors import RunFailure
from ..word2vec.device_blocks import DeviceCorpus
from ..word2vec.step import train_block


# What a device run holds there per corpus token: ids and sentence numbers, an epoch's kept copy of both, and the
# subsampling's draws and positions while it runs.
DEVICE_BYTES_PER_TOKEN = 32


def check_device_memory(tokens: int, table_bytes: int) -> None:
    """Refuse, before the corpus is copied, a run that cannot fit the GPU's free memory (where JAX reports it), or its int32 positions."""
    if tokens >= 2**31:
        raise RunFailure(f"--pipeline device indexes the corpus with 32-bit positions, and it has {tokens:,} tokens; train with --pipeline host")
    stats = jax.devices()[0].memory_stats()
    if not stats or "bytes_limit" not in stats:
        return
    free = stats["bytes_limit"] - stats.get("bytes_in_use", 0)
    needed = tokens * DEVICE_BYTES_PER_TOKEN + 2 * table_bytes  # the tables once more while they are handed over
    if needed > free:
        raise RunFailure(
            f"--pipeline device needs about {needed / 2**30:.1f} GiB on the GPU ({tokens:,} corpus tokens and the tables), "
            f"and JAX can use {free / 2**30:.1f} GiB there; train with --pipeline host, or on part of the corpus"
        )


@contextlib.contextmanager
def out_of_device_memory_as_failure(doing: str):
    """JAX's out-of-memory error as one line, not a traceback."""
    try:
        yield
    except jax.errors.JaxRuntimeError as error:
        if "RESOURCE_EXHAUSTED" not in str(error):
            raise
        raise RunFailure(
            f"the GPU ran out of memory {doing} ({str(error).splitlines()[0][:160]}); "
            "lower --batch-size, or train with --pipeline host (with --force: a checkpoint continues only with its own settings)"
        ) from None


class DeviceTrainer:
    def __init__(self, model, corpus: DeviceCorpus):
        self.model = model
        self.corpus = corpus
        # Copies: the compiled call takes its tables' buffers over, and the model's variables keep theirs.
        self._tables = {name: jax.numpy.array(variable.value, copy=True) for name, variable in model.tables().items()}
        self._train = jax.jit(self._train_block, donate_argnums=0)
        self.first_block_seconds: float | None = None  # compiling the step (or loading it from --compile-cache), then training

    def _train_block(self, tables, ids, sentence, kept, stripe, epoch, number, noise_table):
        block = self.corpus.cut_block(ids, sentence, kept, stripe, epoch, number, noise_table)
        tables, loss_sum, pair_sum = train_block(self.model, tables, block)
        logs = {"loss": loss_sum / jax.numpy.maximum(pair_sum, 1.0), "words": block["words"].sum(), "learning_rate": block["learning_rate"][0]}
        return tables, logs

    def epoch_blocks(self, stream=None):
        """`(epoch, skip) -> tickets`: the epoch is subsampled on the device when its first ticket is asked for."""

        def tickets(epoch: int, skip: int):
            tokens = self.corpus.epoch_tokens(epoch)
            for number in range(skip, self.corpus.blocks_in(tokens)):
                yield {"tokens": tokens, "epoch": epoch, "number": number}

        return tickets

    def submit(self, ticket: dict) -> list[dict]:
        if self.first_block_seconds is None:  # reported with the training time (trainers.py), not under the progress bar
            started = time.perf_counter()
            finished = self._submit(ticket)
            jax.block_until_ready(self._tables)
            self.first_block_seconds = time.perf_counter() - started
            return finished
        return self._submit(ticket)

    def _submit(self, ticket: dict) -> list[dict]:
        tokens = ticket["tokens"]
        with out_of_device_memory_as_failure("training"):
            self._tables, logs = self._train(
                self._tables, tokens.ids, tokens.sentence, np.int32(tokens.kept), np.int32(tokens.stripe), np.int32(ticket["epoch"]), np.int32(ticket["number"]),
                self.corpus.noise_table,
            )  # fmt: skip
        return [logs]

    def finish_epoch(self) -> list[dict]:
        return []

    def tables(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(table) for name, table in self._tables.items()}

    def table_shapes(self) -> dict[str, tuple[int, int]]:
        return {name: tuple(table.shape) for name, table in self._tables.items()}

    def gather_rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        # From the table's host copy, which JAX makes once per array and keeps with it: a gather on the device
        # compiled for each new count of rows, 0.2 s at a time on the H200 (the first vectors, each checkpoint's slices).
        return np.asarray(self._tables[name])[ids]

    def load(self, tables: dict[str, np.ndarray]) -> None:
        self._tables = {name: jax.numpy.asarray(tables[name]) for name in self._tables}
