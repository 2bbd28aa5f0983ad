"""The tables handed from the model to the export: through the work directory when big, copied when small or when the disk has no room."""

import errno
import gc
import weakref

import numpy as np
import pytest

from unsup_embed.text.vocab import Vocabulary
from unsup_embed.training import handover
from unsup_embed.training.checkpoint import Checkpointer, TrainingPosition


class TableTrainer:
    """The trainer's side of the hand-over: its tables' shapes, their rows a slice at a time, or a whole copy."""

    def __init__(self, tables):
        self._tables = tables
        self.whole_copies = 0

    def table_shapes(self):
        return {name: table.shape for name, table in self._tables.items()}

    def gather_rows(self, name, ids):
        return self._tables[name][ids]

    def tables(self):
        self.whole_copies += 1
        return {name: table.copy() for name, table in self._tables.items()}


def some_tables(rows=70_000):
    generator = np.random.default_rng(0)
    return {"input": generator.standard_normal((rows, 8), dtype=np.float32), "output": generator.standard_normal((300, 8), dtype=np.float32)}


def test_big_tables_go_through_the_disk_and_come_back_equal_once_the_trainer_is_gone(tmp_path, monkeypatch):
    monkeypatch.setattr(handover, "THROUGH_DISK_BYTES", 1)
    tables = some_tables()
    expected = {name: table.copy() for name, table in tables.items()}
    trainer = TableTrainer(tables)
    gone = weakref.ref(trainer)
    load = handover.release_tables(trainer, tmp_path / "work")
    assert trainer.whole_copies == 0
    del trainer, tables
    gc.collect()
    assert gone() is None, "the loader must not keep the trainer (and its model) alive"
    loaded = load()
    assert set(loaded) == {"input", "output"}
    for name, table in expected.items():
        np.testing.assert_array_equal(loaded[name], table)
        assert loaded[name].dtype == np.float32
    assert list((tmp_path / "work").iterdir()) == [], "the spilled files are removed once read back"


def test_small_tables_are_copied_in_memory(tmp_path):
    trainer = TableTrainer(some_tables(rows=50))
    loaded = handover.release_tables(trainer, tmp_path / "work")()
    assert trainer.whole_copies == 1
    assert loaded["input"].shape == (50, 8)
    assert not (tmp_path / "work").exists()


def test_a_disk_without_room_falls_back_to_a_copy_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(handover, "THROUGH_DISK_BYTES", 1)
    monkeypatch.setattr(handover.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 1024})())
    trainer = TableTrainer(some_tables())
    loaded = handover.release_tables(trainer, tmp_path / "work")()
    assert trainer.whole_copies == 1
    np.testing.assert_array_equal(loaded["input"], trainer._tables["input"])


def test_a_disk_that_fills_up_while_writing_falls_back_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(handover, "THROUGH_DISK_BYTES", 1)

    def full_disk(path, shape, read_rows):
        open(path, "wb").close()
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(handover, "write_table", full_disk)
    trainer = TableTrainer(some_tables())
    loaded = handover.release_tables(trainer, tmp_path / "work")()
    assert trainer.whole_copies == 1
    np.testing.assert_array_equal(loaded["output"], trainer._tables["output"])
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("rows", [1, 65_536, 65_537])
def test_write_table_writes_a_npy_that_numpy_reads(tmp_path, rows):
    from unsup_embed.files import write_table

    table = np.arange(rows * 3, dtype=np.float32).reshape(rows, 3)
    reads = []

    def read_rows(ids):
        reads.append(len(ids))
        return table[ids]

    write_table(tmp_path / "t.npy", table.shape, read_rows)
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), table)
    assert max(reads) <= 65_536 and sum(reads) == rows


def test_tables_just_saved_by_the_final_checkpoint_are_read_from_it_and_not_written_again(tmp_path, monkeypatch):
    monkeypatch.setattr(handover, "THROUGH_DISK_BYTES", 1)
    tables = some_tables()
    checkpointer = Checkpointer(tmp_path / "run.ckpt")
    checkpointer.start(Vocabulary(["a", "b"], np.array([2, 1])), {"digest": "x"}, {})
    final = TrainingPosition(epoch=1, blocks=0, steps=64, words=1000.0)
    checkpointer.save(TableTrainer(tables), final)
    saved = checkpointer.newest_tables(final)
    assert saved is not None and set(saved) == {"input", "output"}
    assert checkpointer.newest_tables(TrainingPosition(epoch=1, blocks=0, steps=32, words=500.0)) is None  # an older position
    assert Checkpointer(tmp_path / "run.ckpt", writer=False).newest_tables(final) is None  # not this process's

    def no_writes(*arguments, **keywords):
        raise AssertionError("the tables were written again")

    monkeypatch.setattr(handover, "write_table", no_writes)
    trainer = TableTrainer(tables)
    loaded = handover.release_tables(trainer, tmp_path / "work", saved)()
    assert trainer.whole_copies == 0
    for name, table in tables.items():
        np.testing.assert_array_equal(loaded[name], table)
    assert not (tmp_path / "work").exists()
    assert saved["input"].exists(), "the checkpoint stays until the vectors are written"
