"""Keras callbacks of a training run: the progress bar, and checkpoints with stop requests.

`TrainingProgress` draws a tqdm bar over corpus words with words/s and loss.
`CheckpointAndStop` keeps the run's position (epoch, block, step, words),
saves a checkpoint every `--checkpoint-every` and, told by the training loop,
at the end of each epoch,
and stops training cleanly on a non-finite loss (saving nothing after it, so
the last checkpoint stays good) or when `stop_requests()` caught SIGINT or
SIGTERM: it saves at the next block boundary, a fraction of a second later.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time

import keras
import numpy as np
from tqdm import tqdm

from .checkpoint import Checkpointer, TrainingPosition

logger = logging.getLogger(__name__)


def log_value(logs: dict, name: str, default: float) -> float:
    """A block's log as a float; multi-worker runs log one-element arrays (see model.py)."""
    value = logs.get(name, default)
    return float(np.asarray(value).reshape(-1)[0])


class TrainingProgress(keras.callbacks.Callback):
    """A tqdm bar over corpus words, with words/s and the loss."""

    def __init__(self, words_total: int, words_done: float = 0.0, disable: bool = False):
        super().__init__()
        self.bar = tqdm(
            total=words_total, initial=int(words_done), desc="training", unit=" words", unit_scale=True, disable=disable, smoothing=0.05
        )
        self.last_loss = float("nan")
        # Kept as a float: rounding each block's share separately would drift past the total.
        self.words_done = words_done

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        words = log_value(logs, "words", 0.0)
        if words > 0:  # an empty block (a finished shard's filler) has no loss to show
            self.last_loss = log_value(logs, "loss", float("nan"))
        self.words_done += words
        self.bar.update(round(self.words_done) - self.bar.n)
        self.bar.set_postfix(loss=f"{self.last_loss:.3f}", refresh=False)

    def close(self) -> None:
        self.bar.close()


class CheckpointAndStop(keras.callbacks.Callback):
    def __init__(self, checkpointer: Checkpointer, position: TrainingPosition, steps_per_call: int, every_seconds: float | None, every_steps: int | None):
        super().__init__()
        self.checkpointer = checkpointer
        self.position = position
        self.steps_per_call = steps_per_call
        self.every_seconds = every_seconds
        self.every_steps = every_steps
        self.stop_signal: str | None = None  # set by the signal handler
        self.interrupted_by: str | None = None
        self.diverged_at: int | None = None
        self._last_save_time = time.monotonic()
        self._last_save_step = position.steps

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        if not np.isfinite(log_value(logs, "loss", np.nan)):
            self.diverged_at = self.position.steps + self.steps_per_call  # somewhere in this block
            self.model.stop_training = True
            return
        self.position.blocks += 1
        self.position.steps += self.steps_per_call
        self.position.words += log_value(logs, "words", 0.0)
        if self.stop_signal is not None:
            self.checkpointer.save(self.model, self.position)
            self.interrupted_by = self.stop_signal
            self.model.stop_training = True
        elif self._due():
            self.save()

    @property
    def stopped(self) -> bool:
        return self.diverged_at is not None or self.interrupted_by is not None

    def epoch_completed(self, epoch: int) -> None:
        """Called by the training loop once every block of `epoch` is trained."""
        self.position.epoch = epoch + 1
        self.position.blocks = 0
        self.save()

    def save(self) -> None:
        self.checkpointer.save(self.model, self.position)
        self._last_save_time = time.monotonic()
        self._last_save_step = self.position.steps

    def _due(self) -> bool:
        if self.every_steps is not None:
            return self.position.steps - self._last_save_step >= self.every_steps
        return time.monotonic() - self._last_save_time >= self.every_seconds


class StopWhenEveryShardIsDone(keras.callbacks.Callback):
    """Ends an epoch under a strategy once a call trained no words on any replica.

    Every replica's stream ends in empty blocks, and the step's logs sum the
    words over all replicas, so all workers see the zero at the same call
    and stop together.
    """

    def on_train_batch_end(self, batch, logs=None):
        if log_value(logs or {}, "words", 1.0) == 0.0:
            self.model.stop_training = True


@contextlib.contextmanager
def stop_requests(callback: CheckpointAndStop):
    """While training, SIGINT/SIGTERM ask `callback` to checkpoint and stop; a second one stops at once."""

    def request_stop(number, frame):
        name = signal.Signals(number).name
        if callback.stop_signal is not None:
            raise KeyboardInterrupt(name)
        callback.stop_signal = name
        logger.warning("%s received: saving a checkpoint and stopping (send it again to stop at once)", name)

    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, request_stop)
    except ValueError:
        pass  # not the main thread: leave signals alone
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
