"""The trained tables handed from the model to the export, without holding two copies of them.

Reading a table out of TensorFlow copies it: a table that took sparse
updates is read by copying it. For fastText's 2M-row n-gram table that
copy is 0.8 GiB on top of the model's own, and it was the peak of a
`--subwords` run. So once training is over, big tables go through the
run's work directory: written there a slice at a time (the model's memory
is only read), the model is let go, and the files are read back into the
memory it gave up. That memory only returns to the system where the
runtime frees it: the command line turns off oneDNN's allocator, which
keeps everything it ever held (cli/common.py).

The training loop has usually just saved them in its final checkpoint
(`saved`): then those files are read back, and nothing is written again.
Small tables, or a disk without room for the big ones, are simply copied.

    load = release_tables(trainer, work_directory, checkpointer.newest_tables(position))
    del trainer      # and every other reference to the model
    tables = load()  # {"input": ..., "output": ...}
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import RunFailure
from ..files import check_free_space, write_table

logger = logging.getLogger(__name__)

THROUGH_DISK_BYTES = 256 << 20  # tables at least this big go through the disk


def release_tables(trainer, directory: Path, saved: dict[str, Path] | None = None) -> Callable[[], dict[str, np.ndarray]]:
    """A loader of the trainer's tables that holds no reference to the trainer; call it once the trainer is gone.

    `saved`, when given, names files (by table) that already hold the trained tables.
    """
    shapes = trainer.table_shapes()
    size = sum(rows * dim * 4 for rows, dim in shapes.values())
    if size < THROUGH_DISK_BYTES:
        return _already(trainer.tables())
    if saved is not None and set(saved) == set(shapes):
        return lambda: {name: np.load(path) for name, path in saved.items()}
    spill = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        check_free_space(directory, size + (64 << 20), "the trained tables")
        spill = Path(tempfile.mkdtemp(prefix=".tables.", dir=directory))
        for name, shape in shapes.items():
            write_table(spill / f"{name}.npy", shape, lambda rows, name=name: trainer.gather_rows(name, rows))
    except (OSError, RunFailure) as error:  # no room, or the disk filled up: nothing is lost, the model is still here
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
        logger.info("the tables are copied in memory instead (%s)", error)
        return _already(trainer.tables())
    return lambda: _read_back(spill, list(shapes))


def _already(tables: dict[str, np.ndarray]) -> Callable[[], dict[str, np.ndarray]]:
    return lambda: tables


def _read_back(spill: Path, names: list[str]) -> dict[str, np.ndarray]:
    try:
        return {name: np.load(spill / f"{name}.npy") for name in names}
    finally:
        shutil.rmtree(spill, ignore_errors=True)
