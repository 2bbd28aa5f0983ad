"""The command line: `train-unsup`, and the `unsup-embed` group (train, evaluate, fuse, serve).

One module per command; common.py holds what they share, above all the one
path from an error to a line on stderr and an exit status.
"""

from __future__ import annotations

import argparse

from .. import __version__
from . import evaluate, fuse, serve, train
from .common import HelpFormatter


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
