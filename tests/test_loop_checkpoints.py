"""When the training loop saves a checkpoint (training/loop.py): every --checkpoint-every, at an epoch's end only when one is due, always at the end."""

import os
import signal

import pytest

from unsup_embed.errors import TrainingInterrupted
from unsup_embed.training.callbacks import CheckpointAndStop, TrainingProgress
from unsup_embed.training.checkpoint import TrainingPosition
from unsup_embed.training.loop import fit

BLOCKS_PER_EPOCH = 3


class RecordingCheckpointer:
    """Records the positions it is asked to save, as (epoch, blocks, steps)."""

    writer = True
    directory = "run.ckpt"

    def __init__(self):
        self.saved = []

    def save(self, trainer, position: TrainingPosition) -> None:
        self.saved.append((position.epoch, position.blocks, position.steps))

    def exists(self) -> bool:
        return bool(self.saved)

    def kept(self) -> str:
        return "kept"


class OneStepBlocks:
    """A trainer whose every block is one SGD step over 10 words."""

    def submit(self, block):
        return [{"loss": 1.0, "words": 10.0}]

    def finish_epoch(self):
        return []


def train(epochs: int, every_seconds=None, every_steps=None) -> list[tuple[int, int, int]]:
    checkpointer = RecordingCheckpointer()
    checkpoints = CheckpointAndStop(checkpointer, TrainingPosition(0, 0, 0, 0.0), 1, every_seconds, every_steps)
    progress = TrainingProgress(epochs * BLOCKS_PER_EPOCH * 10, disable=True)
    result = fit(OneStepBlocks(), lambda epoch, skip: [{} for _ in range(BLOCKS_PER_EPOCH - skip)], epochs, checkpoints, progress, [])
    assert (result.position.epoch, result.position.steps) == (epochs, epochs * BLOCKS_PER_EPOCH)
    return checkpointer.saved


def test_short_epochs_save_once_at_the_end():
    assert train(epochs=4, every_seconds=3600) == [(4, 0, 12)]


@pytest.mark.parametrize(
    "every_steps, expected",
    [
        (2, [(0, 2, 2), (1, 1, 4), (1, 3, 6), (2, 2, 8), (3, 0, 9)]),
        (3, [(0, 3, 3), (1, 3, 6), (2, 3, 9), (3, 0, 9)]),  # due at each epoch's last block: saved there, not again at its end
    ],
)
def test_saves_follow_the_interval_and_the_last_epoch_always_saves(every_steps, expected):
    assert train(epochs=3, every_steps=every_steps) == expected


def test_an_epoch_end_saves_when_the_interval_is_due_there():
    saved = train(epochs=2, every_seconds=0)  # always due
    assert saved == [(0, 1, 1), (0, 2, 2), (0, 3, 3), (1, 0, 3), (1, 1, 4), (1, 2, 5), (1, 3, 6), (2, 0, 6)]


class SignalledBlocks(OneStepBlocks):
    """Sends this process SIGINT during its second block, and records the SIGINT and SIGTERM handlers right after."""

    def __init__(self):
        self.blocks = 0
        self.handlers_after_signal = None

    def submit(self, block):
        self.blocks += 1
        if self.blocks == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Python runs the handler before the next bytecode of this thread
            self.handlers_after_signal = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        return super().submit(block)


def test_a_signal_saves_and_stops_after_its_block_and_a_second_one_takes_the_default_action(caplog):
    checkpointer = RecordingCheckpointer()
    checkpoints = CheckpointAndStop(checkpointer, TrainingPosition(0, 0, 0, 0.0), 1, 3600, None)
    trainer, handlers_before = SignalledBlocks(), (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with pytest.raises(TrainingInterrupted, match="SIGINT: stopped at epoch 1, step 2; checkpoint saved in run.ckpt/"):
        fit(trainer, lambda epoch, skip: [{} for _ in range(BLOCKS_PER_EPOCH - skip)], 2, checkpoints, TrainingProgress(60, disable=True), [])
    assert checkpointer.saved == [(0, 2, 2)] and trainer.blocks == 2  # the block it came in finished, no other began
    # A second signal would end the process at once: both signals are back to the operating system's default...
    assert trainer.handlers_after_signal == (signal.SIG_DFL, signal.SIG_DFL)
    assert "send it again to stop at once" in caplog.text
    # ... until training is over, when the handlers from before are back.
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers_before
