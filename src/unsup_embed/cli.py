"""Command line: `train-unsup` and the `unsup-embed` command group.

Thin by design: parse, build a `TrainConfig`, call the library, print a
summary, and turn a user's mistake into one line on stderr with exit status 2.
TensorFlow is imported only when training starts, so `--help` and
`--version` answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import fields

from . import __version__
from .config import CONTEXT_TABLES, FORMATS, OBJECTIVES, TrainConfig

EXIT_USAGE = 2

TRAIN_EXAMPLES = """\
examples:
  train-unsup data/toy_world.txt -o toy.bin --epochs 10 --show-neighbours paris dog
  train-unsup corpus/ -o vectors.vec --dim 300 --window 8 --min-count 10
  train-unsup corpus/ -o naive.bin --objective distance   # watch it collapse

then, in Python:
  from gensim.models import KeyedVectors
  KeyedVectors.load_word2vec_format("toy.bin", binary=True).most_similar("paris")
"""

_HELP = {
    "min_count": "ignore words with fewer occurrences",
    "max_vocab": "keep only the N most frequent words",
    "count_limit": "distinct tokens held while counting before rare ones are pruned",
    "window": "maximum distance between a word and its neighbour (each word draws its own in 1..N)",
    "sample": "subsampling threshold for frequent words (word2vec's -sample); 0 turns it off",
    "objective": "training objective",
    "dim": "vector dimension",
    "negative": "noise words per pair (negative sampling)",
    "context_table": "neighbours and noise words from a second table (word2vec) or the word table itself",
    "negative_group": "pairs sharing one draw of noise words",
    "row_update_cap": "pair updates a vector takes at the full learning rate in one step; more are scaled down",
    "epochs": "passes over the corpus",
    "alpha": "initial learning rate, decayed linearly to --min-alpha",
    "min_alpha": "final learning rate",
    "batch_size": "pairs per SGD step",
    "steps_per_call": "SGD steps per compiled call",
    "seed": "random seed: the same seed gives the same vectors on one machine",
    "threads": "TensorFlow threads (0: as many as cores)",
}
_CHOICES = {"objective": OBJECTIVES, "context_table": CONTEXT_TABLES}


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="a text file or a directory of text files (.gz, .bz2, .xz too)")
    parser.add_argument("-o", "--output", default="vectors.bin", help="vectors file: .bin binary, .txt/.vec text word2vec format")
    parser.add_argument("--format", dest="output_format", choices=FORMATS, default=None, help="override the format implied by the extension")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    defaults = TrainConfig()
    for field in fields(TrainConfig):
        if field.name not in _HELP:
            continue
        default = getattr(defaults, field.name)
        kind = {"int": int, "float": float, "str": str}.get(str(field.type).split(" ")[0], int)
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=kind,
            default=default,
            choices=_CHOICES.get(field.name),
            help=_HELP[field.name],
        )
    parser.add_argument("--no-lowercase", dest="lowercase", action="store_false", help="keep the case of the text")
    parser.add_argument("--token-pattern", default=defaults.token_pattern, help="regular expression a token matches")
    parser.add_argument("--keep-work", action="store_true", help="keep the encoded corpus in <output>.work/")
    parser.add_argument("--show-neighbours", nargs="+", metavar="WORD", default=[], help="print the nearest neighbours of these words after training")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines, only the summary and warnings")


def _config_from(arguments: argparse.Namespace) -> TrainConfig:
    values = {field.name: getattr(arguments, field.name) for field in fields(TrainConfig) if hasattr(arguments, field.name)}
    return TrainConfig(**values)


def _run_train(arguments: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _configure_logging(arguments.quiet)
    config = _config_from(arguments)
    from .config import ConfigError
    from .corpus import CorpusError
    from .vocab import VocabularyError

    try:
        config.validate()
        from .train import train

        result = train(arguments.corpus, arguments.output, config, force=arguments.force)
    except (ConfigError, CorpusError, VocabularyError) as error:
        return _fail(error)
    except FloatingPointError as error:
        print(f"train-unsup: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("train-unsup: interrupted; nothing was written", file=sys.stderr)
        return 130
    _print_summary(result)
    if arguments.show_neighbours:
        _print_neighbours(result.vectors_path, arguments.show_neighbours)
    return 0


def _print_summary(result) -> None:
    print(
        f"trained on {result.training_tokens:,} in-vocabulary tokens ({result.corpus_tokens:,} in the corpus), "
        f"vocabulary {result.vocabulary_size:,}, {result.epochs} epoch(s) in {result.seconds:.1f} s "
        f"({result.words_per_second:,.0f} words/s end to end; final loss {result.final_loss:.3f})"
    )
    if result.collapse.healthy:  # otherwise the library has already warned
        print(result.collapse.describe())
    print(f"vectors:    {result.vectors_path}")
    print(f"vocabulary: {result.vocabulary_path}")


def _print_neighbours(vectors_path, words: list[str]) -> None:
    from .export import load_vectors

    vectors = load_vectors(vectors_path)
    for word in words:
        if word not in vectors.key_to_index:
            print(f"{word}: not in the vocabulary")
            continue
        neighbours = ", ".join(f"{other} {similarity:.2f}" for other, similarity in vectors.most_similar(word, topn=8))
        print(f"{word}: {neighbours}")


def _configure_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    logging.getLogger("smart_open").setLevel(logging.WARNING)


def _fail(error: Exception) -> int:
    print(f"train-unsup: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def train_parser(prog: str = "train-unsup") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train word vectors from raw text (skip-gram with negative sampling, in Keras) and export them in word2vec format.",
        epilog=TRAIN_EXAMPLES,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_train_arguments(parser)
    return parser


def train_main(argv: list[str] | None = None) -> int:
    return _run_train(train_parser().parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="unsup-embed", description="Self-supervised word embeddings from raw text.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_command = commands.add_parser(
        "train",
        help="train vectors from a corpus (same as train-unsup)",
        description="Train word vectors from raw text and export them in word2vec format.",
        epilog=TRAIN_EXAMPLES.replace("train-unsup", "unsup-embed train"),
        formatter_class=_Formatter,
    )
    _add_train_arguments(train_command)
    arguments = parser.parse_args(argv)
    return _run_train(arguments)
