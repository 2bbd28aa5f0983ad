"""Files a run writes: atomic replacement, free space, and the lock on an output.

- `atomic_path(path)` hands out a hidden temporary name beside `path` and
  renames it over `path` only once the block succeeded: whatever kills the
  process, no file appears under its final name half-written.
- `can_create_in(directory)` says whether files can be made there, by making
  (and removing) one: a permission check passes for root where nothing can
  be created (`/proc`, a read-only mount), and the run then failed late.
- `check_free_space(directory, needed, what)` fails with one line before a
  write that cannot fit, instead of letting the write die half-way (some
  writers, h5py among them, do not fail cleanly on a full disk).
- `write_table(path, shape, read_rows)` writes a float32 table as a NumPy
  `.npy` file a slice of rows at a time, so a big table is never copied
  whole (checkpoints, and the hand-over of the tables after training).
- `OutputLock` is an exclusive lock on a run's output: a second run on the
  same output is told which process holds it; the lock of a process that no
  longer exists is taken over with a warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import OutputLocked, RunFailure

logger = logging.getLogger(__name__)


def beside(path: str | os.PathLike, suffix: str) -> Path:
    """`path` with `suffix` added to its name: vectors.bin -> vectors.bin.ckpt."""
    path = Path(path)
    return path.with_name(path.name + suffix)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    # Keep the suffixes so that writers which compress by extension still do.
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem.split('.')[0]}.", suffix=".partial" + "".join(path.suffixes), dir=path.parent or "."
    )
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def can_create_in(directory: str | os.PathLike) -> bool:
    """Whether a file can be created in the existing folder `directory` (one is created and removed)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".unsup-embed-check-", dir=directory))
    except OSError:
        return False
    return True


def nearest_existing(path: str | os.PathLike) -> Path:
    """`path` made absolute if it exists, else its nearest ancestor that does: where a missing folder would be created."""
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return path


def check_free_space(directory: str | os.PathLike, needed: int, what: str) -> None:
    """Raise RunFailure if `directory`'s file system has less than `needed` bytes free (with a margin)."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return  # cannot tell; the write itself will say
    if free < needed * 1.05 + (64 << 10):
        raise RunFailure(
            f"not enough free space for {what} in {directory}: {_size(needed)} needed, {_size(free)} free; "
            "free some space (or choose another place) and run again"
        )


SLICE_ROWS = 1 << 16  # rows a table is written at a time


def write_table(path: str | os.PathLike, shape: tuple[int, int], read_rows) -> None:
    """Write a float32 table of `shape` to `path` as `.npy`, asking `read_rows(ids)` for `SLICE_ROWS` rows at a time.

    Written, not memory-mapped: the dirty pages of a mapped 2M-row table would
    count in the run's memory.
    """
    with open(path, "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, {"descr": "<f4", "fortran_order": False, "shape": tuple(shape)})
        for start in range(0, shape[0], SLICE_ROWS):
            rows = read_rows(np.arange(start, min(start + SLICE_ROWS, shape[0])))
            stream.write(np.ascontiguousarray(rows, dtype="<f4").data)


def _size(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


class OutputLock:
    """An exclusive lock on one output, held in a file beside it for as long as a run is alive.

    The lock file holds the holder's process id and host. `acquire()` creates
    it exclusively (`O_EXCL`, atomic on local file systems); if it exists and
    its process is alive on this host, `OutputLocked` names the process;
    if that process is gone, the lock is stale and is taken over.
    """

    def __init__(self, path: str | os.PathLike, output: str | os.PathLike):
        self.path = Path(path)
        self.output = output
        self.held = False

    def acquire(self) -> "OutputLock":
        holder = {"pid": os.getpid(), "host": os.uname().nodename}
        for _ in range(3):
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(descriptor, "w") as stream:
                json.dump(holder, stream)
            self.held = True
            return self
        raise OutputLocked(f"cannot lock {self.output}: {self.path} keeps being recreated by another run")

    def _take_over_if_stale(self) -> None:
        try:
            holder = json.loads(self.path.read_text())
            pid, host = int(holder["pid"]), str(holder["host"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            pid, host = None, None
        if pid is not None and host == os.uname().nodename and pid != os.getpid() and _alive(pid):
            raise OutputLocked(
                f"another run (process {pid}) is writing {self.output}; wait for it to finish, or stop it, "
                f"then run again (its lock is {self.path})"
            )
        if pid is not None and host != os.uname().nodename:
            raise OutputLocked(
                f"a run on host {host} (process {pid}) holds {self.output}; if it is no longer running, remove {self.path}"
            )
        logger.warning("taking over the lock %s of a run that is no longer running", self.path)
        self.path.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
