"""The project's errors: every failure a person can meet, each with its exit status.

Every error the library raises on purpose derives from `UnsupEmbedError`, so
a caller catches one class, and the command line turns any of them into one
line on stderr and its `exit_status`:

- `InputError` (also a `ValueError`): the user's input or options cannot
  work: a bad option, a missing file, a corpus without words. Exit status 2,
  raised before anything is written where it can be known that early.
- `RunFailure` (also a `RuntimeError`): the run met a fault of its
  surroundings (a dead peer, a full disk, a corpus changed under it, a
  diverging run). Exit status 1; what was kept is said in the message.
- `TrainingInterrupted`: a signal stopped the run after saving what it had;
  exit status 130 (SIGINT) or 143 (SIGTERM), as a shell reports them.

The message is the whole story: what happened, and how to go on.
"""

from __future__ import annotations

import contextlib

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UnsupEmbedError(Exception):
    """Base of every error this project raises on purpose."""

    exit_status = EXIT_FAILURE


class InputError(UnsupEmbedError, ValueError):
    """The user's input or options cannot work; the message says how to fix it."""

    exit_status = EXIT_USAGE


class ConfigError(InputError):
    """An option value or combination that cannot work."""


class CorpusError(InputError):
    """The corpus cannot be used: missing, empty, unreadable, or without pairs."""


class VocabularyError(InputError):
    """No usable vocabulary could be built."""


class CheckpointError(InputError):
    """A checkpoint that cannot be used to resume."""


class VectorsFileError(InputError):
    """A vectors file that cannot be read: missing, truncated, malformed or non-finite."""


class LabelledError(InputError):
    """Labelled data that cannot be read."""


class RunFailure(UnsupEmbedError, RuntimeError):
    """The run stopped on a fault of its surroundings; the message says what was kept."""


class ClusterFailure(RunFailure):
    """A task of the training cluster died or stopped answering."""


class TrainingDiverged(RunFailure):
    """The loss or the vectors became non-finite."""


class CorpusChanged(RunFailure):
    """A corpus file changed while the run was reading it."""


class OutputLocked(RunFailure):
    """Another live run holds the output."""


class TrainingInterrupted(RunFailure):
    """SIGINT or SIGTERM stopped the run after it kept what it had; `signal_name` says which."""

    def __init__(self, message: str, signal_name: str):
        super().__init__(message)
        self.signal_name = signal_name
        self.exit_status = 143 if signal_name == "SIGTERM" else 130


def write_failure(error: OSError, what: str, where=None, kept: str = "") -> RunFailure:
    """A RunFailure for an OSError met while reading or writing `what` in `where`: the path, the cause, the space left.

    `kept` says what the run keeps to resume from (a checkpoint), if anything;
    the hint then says what to do about the cause before resuming.
    """
    import errno
    import shutil

    target = error.filename or where or what
    reason = error.strerror or str(error)
    full = error.errno in (errno.ENOSPC, errno.EDQUOT) or (error.errno is None and "written" in reason)
    denied = error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    if full:
        free = ""
        for place in (where, getattr(where, "parent", None)):
            with contextlib.suppress(OSError, TypeError):
                free = f" ({shutil.disk_usage(place).free:,} bytes free there)"
                break
        reason = f"{reason}: no space left on the device{free}" if error.errno is None else reason + free
    if kept:
        remedy = "free some space" if full else "make that place writable" if denied else "mend that"
        hint = f"; {kept}: {remedy}, then run the same command with --resume"
    elif full:
        hint = "; free some space (or choose another place with -o / --work-dir) and run again"
    elif denied:
        hint = "; choose a place you can write to"
    else:
        hint = ""
    return RunFailure(f"{what} failed ({target}): {reason}{hint}")
