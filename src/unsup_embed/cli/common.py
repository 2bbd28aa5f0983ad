"""What every command shares: the one path from an error to a line and an exit status, logging, quiet native logs.

`run_command(prog, function)` runs a command's body and turns what can go
wrong into one line on stderr:
- the project's errors (errors.py): their message, and their exit status
  (2 for a mistake in the input or options, 1 for a fault of the
  surroundings, 130/143 for an interruption);
- an `OSError` (a full disk, a permission, a file that vanished): its
  path and reason, exit status 1;
- Ctrl-C outside training: exit status 130.
A traceback reaches the user only for a bug of this tool's own.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable

from ..errors import EXIT_FAILURE, UnsupEmbedError


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults beside every option, except where there is none to show (required, on/off flags, None)."""

    def _get_help_string(self, action):
        if action.required or action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def run_command(prog: str, body: Callable[[], int], quiet: bool = False) -> int:
    """Run `body` with logging configured and native logs quiet; errors become one line and an exit status."""
    # oneDNN's CPU allocator keeps every buffer it ever held, so a trained model's tables were never given back to
    # the system before the export (training/handover.py). The compiled steps do not use oneDNN: whole runs took
    # 0.93-0.99x the time without it. Set before TensorFlow is imported; TF_ENABLE_ONEDNN_OPTS=1 brings it back.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from ..training.startup import jax_memory_as_needed

    jax_memory_as_needed()  # every command, fusion's too: on Keras' JAX backend, GPU memory as needed, not 75 % of the card at once
    with native_stderr_silenced():
        configure_logging(quiet)
        try:
            return body()
        except UnsupEmbedError as error:
            print(f"{prog}: error: {error}", file=sys.stderr)
            return error.exit_status
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            print(f"{prog}: error: {error.strerror or error}{where}", file=sys.stderr)
            return EXIT_FAILURE
        except KeyboardInterrupt:
            print(f"{prog}: interrupted; nothing was replaced", file=sys.stderr)
            return 130


def configure_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING if quiet else logging.INFO)
    for noisy in ("gensim", "smart_open", "tensorflow", "absl", "jax"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null while Python's sys.stderr still reaches the terminal.

    TensorFlow's C++ runtime prints start-up lines (CPU features, missing CUDA
    drivers) straight to descriptor 2, before and regardless of
    TF_CPP_MIN_LOG_LEVEL; they would bury the tool's own messages. Set
    UNSUP_EMBED_NATIVE_LOGS=1 to see them. Only done when sys.stderr is the
    process's real descriptor 2 (not when a test captures it).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        real_stderr = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        real_stderr = False
    if os.environ.get("UNSUP_EMBED_NATIVE_LOGS") or not real_stderr:
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    previous = sys.stderr
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=previous.encoding, errors="backslashreplace", closefd=False)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        os.close(terminal)
        # Log handlers made meanwhile write to the stream being retired; late
        # messages (TensorFlow logs at interpreter exit) must still find one.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
                handler.setStream(previous)
        sys.stderr = previous


def print_neighbours(vectors, words: list[str], topn: int) -> None:
    from ..evaluate import nearest

    for word, found in nearest(vectors, words, topn).items():
        if found is None:
            print(f"{word}: not in the vocabulary")
        else:
            print(f"{word}: " + ", ".join(f"{other} {similarity:.2f}" for other, similarity in found))
