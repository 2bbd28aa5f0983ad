"""The one epoch loop, for every strategy: blocks in, callbacks after each, a result out.

`fit(trainer, blocks, callbacks, ...)` walks the epochs from the run's
position, hands each block to the trainer, and calls the callbacks with the
logs of every block the trainer finished, as `model.fit` would. The trainer
is the only part that differs between strategies:

- `LocalTrainer` (here): one process, the model's compiled block step;
- `AveragingTrainer` (distributed/averaging.py): every worker trains its own
  copy on its own shard, and the copies are averaged every few blocks;
- `ParameterServerTrainer` (distributed/parameter_server.py): blocks run on
  the workers against tables held by parameter servers.

A trainer has `epoch_blocks(stream)` (which blocks of an epoch it trains),
`submit(block) -> [logs]` (logs of the blocks it finished so
far, in order), `finish_epoch() -> [logs]` (waits for the rest, and for the
other workers), `tables()` (the current tables as NumPy arrays, for the
export), `table_shapes()` and `gather_rows(name, ids)` (what a checkpoint
writes, a slice at a time) and `load(tables)`.

The host cuts the next blocks in a thread while the trainer trains
(prefetch.py). The loop is written once: skipping the blocks a resumed epoch already
trained, checkpoints (every `--checkpoint-every`, at an epoch's end when one
is due, and always at the end of the last epoch, so an export that fails can
be redone with --resume without training again), stop requests,
divergence, and a dead peer, each turned into the project's error with what
was kept.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..distributed.cluster import cluster_failure
from ..errors import TrainingDiverged, TrainingInterrupted
from .callbacks import CheckpointAndStop, TrainingProgress, stop_requests
from .checkpoint import Checkpointer, TrainingPosition
from .prefetch import ahead

logger = logging.getLogger(__name__)


@dataclass
class LoopResult:
    position: TrainingPosition
    final_loss: float  # the last block's mean loss per pair


class LocalTrainer:
    """One process: each block is one call of the model's compiled step."""

    def __init__(self, model):
        self.model = model

    def epoch_blocks(self, stream):
        """`(epoch, skip) -> blocks`: every block of the stream is this process's."""
        return stream.epoch

    def submit(self, block: dict) -> list[dict]:
        return [self.model.train_on_batch(block, return_dict=True)]

    def finish_epoch(self) -> list[dict]:
        return []

    def tables(self) -> dict[str, np.ndarray]:
        return self.model.table_values(copy=False)  # asked for once, after training

    def table_shapes(self) -> dict[str, tuple[int, int]]:
        return self.model.table_shapes()

    def gather_rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        return self.model.gather_rows(name, ids)

    def load(self, tables: dict[str, np.ndarray]) -> None:
        self.model.load_tables(tables)


class RunHandle:
    """What the callbacks see as `self.model`: the stop flag, and the trainer (whose tables a checkpoint saves)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.stop_training = False


@contextlib.contextmanager
def _closing(progress: TrainingProgress):
    """Close the progress bar however the loop ends, so it never writes after the run's messages."""
    try:
        yield
    finally:
        progress.close()


def fit(
    trainer,
    epoch_blocks: Callable[[int, int], object],
    epochs: int,
    checkpoints: CheckpointAndStop,
    progress: TrainingProgress,
    extra_callbacks: list,
    cluster_errors: tuple = (),
) -> LoopResult:
    """Train from `checkpoints.position` to the end of `epochs`; `epoch_blocks(epoch, skip)` yields an epoch's blocks."""
    position = checkpoints.position
    checkpointer: Checkpointer = checkpoints.checkpointer
    handle = RunHandle(trainer)
    callbacks = [progress, checkpoints, *extra_callbacks]
    for callback in callbacks:
        callback.set_model(handle)

    def report(logs_list: list[dict]) -> None:
        for logs in logs_list:
            for callback in callbacks:
                callback.on_train_batch_end(position.blocks, logs)
            if handle.stop_training:
                return

    try:
        with stop_requests(checkpoints), _closing(progress):
            for epoch in range(position.epoch, epochs):
                with ahead(epoch_blocks(epoch, position.blocks)) as blocks:
                    for block in blocks:
                        report(trainer.submit(block))
                        if handle.stop_training:
                            break
                if not handle.stop_training:
                    report(trainer.finish_epoch())
                if checkpoints.stopped:
                    break
                checkpoints.epoch_completed(epoch)
                if epoch + 1 == epochs or checkpoints.due():
                    checkpoints.save()  # the last epoch always: the export reads that checkpoint's tables
    except cluster_errors as error:
        raise cluster_failure(error, checkpointer.kept()) from None
    if checkpoints.diverged_at is not None:
        last = checkpoints.diverged_at
        kept = f"the last good checkpoint is kept in {checkpointer.directory}/" if checkpointer.exists() else "no checkpoint had been saved yet"
        raise TrainingDiverged(
            f"training diverged between steps {last - checkpoints.steps_per_call + 1:,} and {last:,} (non-finite loss); "
            f"nothing was exported and {kept}. Lower --alpha, --batch-size or --row-update-cap"
        )
    if checkpoints.interrupted_by is not None:
        raise TrainingInterrupted(
            f"{checkpoints.interrupted_by}: stopped at {position.describe()}; checkpoint saved in {checkpointer.directory}/. "
            "Run the same command with --resume to continue",
            checkpoints.interrupted_by,
        )
    logger.info("trained %d epoch(s) in %s SGD steps, last loss %.4f", epochs, f"{position.steps:,}", progress.last_loss)
    return LoopResult(position, progress.last_loss)
