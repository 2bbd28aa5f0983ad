"""The command line: `train-unsup`, and the `unsup-embed` group (train, evaluate, fuse, serve).

One module per command; common.py holds what they share, above all the one
path from an error to a line on stderr and an exit status.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import NoReturn

from .. import __version__
from . import evaluate, fuse, serve, train
from .common import HelpFormatter


def train_command() -> NoReturn:
    """The `train-unsup` console script."""
    exit_quickly(train_main())


def group_command() -> NoReturn:
    """The `unsup-embed` console script (and `python -m unsup_embed`)."""
    exit_quickly(main())


def exit_quickly(status: int) -> NoReturn:
    """End the process with `status`, without the garbage collector's passes over what is alive now.

    Once TensorFlow is imported, the interpreter's shutdown spent about 1 s
    in collections that walk its objects, after the command had printed its
    result (measured: a script that only imports TensorFlow took 1.04-1.07 s
    to exit, 0.09-0.12 s with this). Objects are still freed as their
    references go, files are closed and exit handlers run; only garbage
    cycles among the objects alive now are left to the operating system.
    Used by the console scripts alone: an in-process caller (the tests) keeps
    a normal collector.
    """
    gc.freeze()
    sys.exit(status)


def train_main(argv: list[str] | None = None) -> int:
    """The `train-unsup` command."""
    return train.main(argv)


def main(argv: list[str] | None = None) -> int:
    """The `unsup-embed` command group."""
    parser = argparse.ArgumentParser(prog="unsup-embed", description="Self-supervised word embeddings from raw text.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_command = commands.add_parser(
        "train",
        help="train vectors from a corpus (same as train-unsup)",
        description="Train word vectors from raw text and export them in word2vec format.",
        epilog=train.EXAMPLES.replace("train-unsup", "unsup-embed train"),
        formatter_class=HelpFormatter,
    )
    train.add_arguments(train_command)
    train_command.set_defaults(run=lambda arguments: train.run(arguments, prog="unsup-embed train"))
    evaluate.add_parser(commands)
    fuse.add_parser(commands)
    serve.add_parser(commands)
    arguments = parser.parse_args(argv)
    return arguments.run(arguments)
