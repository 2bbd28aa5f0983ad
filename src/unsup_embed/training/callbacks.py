"""Keras callbacks of a training run: the progress bar, checkpoints and stop requests, TensorBoard curves.

The epoch loop (loop.py) calls `on_train_batch_end` after every block, with
the block's logs (`loss`, `words`, `learning_rate`), as `model.fit` would;
`self.model` is the loop's `RunHandle`, whose trainer gives the tables to
save (pulled from wherever the strategy keeps them).

- `TrainingProgress`: a tqdm bar over corpus words, with words/s and the loss.
- `CheckpointAndStop`: keeps the run's position (epoch, block, step, words),
  saves a checkpoint every `--checkpoint-every` and at the end of each epoch,
  and stops training on a non-finite loss (saving nothing after it, so the
  last checkpoint stays good) or when `stop_requests()` caught SIGINT or
  SIGTERM: it saves at the end of the block, a fraction of a second later.
  A second signal stops the process at once.
- `TensorBoardCurves`: loss, learning rate and words/s per block, by SGD step.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from .checkpoint import Checkpointer, TrainingPosition

logger = logging.getLogger(__name__)


def log_value(logs: dict, name: str, default: float) -> float:
    """A block's log as a float (a tensor, an array of one element, or a number)."""
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
        if words > 0 and "loss" in logs:  # other workers' words come without a loss
            self.last_loss = log_value(logs, "loss", float("nan"))
        self.words_done += words
        self.bar.update(min(round(self.words_done), self.bar.total) - self.bar.n)
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
        if "loss" in logs and not np.isfinite(log_value(logs, "loss", np.nan)):
            self.diverged_at = self.position.steps + self.steps_per_call  # somewhere in this block
            self.model.stop_training = True
            return
        blocks = int(logs.get("blocks", 1))  # 0: other workers' words, reported by an average
        self.position.blocks += blocks
        self.position.steps += self.steps_per_call * blocks
        self.position.words += log_value(logs, "words", 0.0)
        if self.stop_signal is not None:
            self.save()
            self.interrupted_by = self.stop_signal
            self.model.stop_training = True
        elif self.due():
            self.save()

    @property
    def stopped(self) -> bool:
        return self.diverged_at is not None or self.interrupted_by is not None

    def epoch_completed(self, epoch: int) -> None:
        """Called by the training loop once every block of `epoch` is trained."""
        self.position.epoch = epoch + 1
        self.position.blocks = 0

    def save(self) -> None:
        if self.checkpointer.writer:
            self.checkpointer.save(self.model.trainer, self.position)
        self._last_save_time = time.monotonic()
        self._last_save_step = self.position.steps

    def due(self) -> bool:
        """Whether `--checkpoint-every` has passed since the last save.

        An epoch's end saves only then (and always at the last epoch): with
        2M n-gram rows a checkpoint writes 0.8 GB, and on a small corpus a
        save at every epoch's end took most of the run.
        """
        if self.every_steps is not None:
            return self.position.steps - self._last_save_step >= self.every_steps
        return time.monotonic() - self._last_save_time >= self.every_seconds


@contextlib.contextmanager
def stop_requests(callback: CheckpointAndStop):
    """While training, SIGINT/SIGTERM ask `callback` to checkpoint and stop; a second one stops the process at once.

    Python runs a signal handler only between two bytecodes, never inside a
    compiled block, so a second signal arriving during the same block would
    be merged into the first. The first one therefore gives the signal back
    its default action: a second one ends the process then and there.
    """

    def request_stop(number, frame):
        name = signal.Signals(number).name
        callback.stop_signal = name
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_DFL)
        logger.warning("%s received: saving a checkpoint at the end of this block, then stopping (send it again to stop at once)", name)

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


class TensorBoardCurves(keras.callbacks.Callback):
    """Loss, learning rate and words/s of every block, as TensorBoard scalars by SGD step."""

    def __init__(self, log_dir: str, steps_per_call: int, first_step: int = 0):
        super().__init__()
        import tensorflow as tf

        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "train"))
        self.steps_per_call = steps_per_call
        self.step = first_step
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        from ..tensorboard import write_scalars

        logs = logs or {}
        if "loss" not in logs:
            return  # not a block of this process's
        self.step += self.steps_per_call
        now = time.perf_counter()
        values = {"loss": log_value(logs, "loss", np.nan), "learning_rate": log_value(logs, "learning_rate", np.nan)}
        values["words_per_second"] = log_value(logs, "words", 0.0) / max(now - self.started, 1e-9)
        self.started = now
        write_scalars(self.writer, values, self.step)
