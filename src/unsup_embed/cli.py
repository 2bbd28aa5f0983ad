"""Command line: `train-unsup` and the `unsup-embed` command group.

Thin by design: parse, build a `TrainConfig`, call the library, print a
summary, and turn a user's mistake into one line on stderr with exit status 2.
TensorFlow is imported only when training starts, so `--help` and
`--version` answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from dataclasses import fields

from . import __version__
from .cluster import MULTI_PROCESS, STRATEGIES
from .config import CONTEXT_TABLES, FORMATS, OBJECTIVES, TrainConfig

EXIT_USAGE = 2

TRAIN_EXAMPLES = """\
examples:
  train-unsup data/toy_world.txt -o toy.bin --epochs 10 --show-neighbours paris dog
  train-unsup corpus/ -o vectors.vec --dim 300 --window 8 --min-count 10
  train-unsup corpus/ -o naive.bin --objective distance   # watch it collapse
  train-unsup corpus/ -o vectors.bin --resume             # continue after Ctrl-C or a crash

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
    "checkpoint_every": "checkpoint interval: a duration (90s, 2m, 1h) or a number of SGD steps; also at every epoch end",
    "strategy": "tf.distribute strategy; multi-worker and parameter-server read the cluster from TF_CONFIG (docs/scaling.md)",
    "peer_timeout": "seconds a worker waits for a dead or stuck peer before the run fails",
}
_CHOICES = {"objective": OBJECTIVES, "context_table": CONTEXT_TABLES, "strategy": STRATEGIES}


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="a text file or a directory of text files (.gz, .bz2, .xz too)")
    parser.add_argument("-o", "--output", default="vectors.bin", help="vectors file: .bin binary, .txt/.vec text word2vec format")
    parser.add_argument("--format", dest="output_format", choices=FORMATS, default=None, help="override the format implied by the extension")
    parser.add_argument("--force", action="store_true", help="replace an existing output file, or discard an unfinished run's checkpoint")
    parser.add_argument("--resume", action="store_true", help="continue the unfinished run whose checkpoint is in <output>.ckpt/")
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
    parser.add_argument("--tensorboard", metavar="DIR", default=None, help="write training curves (loss, learning rate, words/s) and embedding-projector files to DIR")
    parser.add_argument("--show-neighbours", nargs="+", metavar="WORD", default=[], help="print the nearest neighbours of these words after training")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines, only the summary and warnings")


def _config_from(arguments: argparse.Namespace) -> TrainConfig:
    values = {field.name: getattr(arguments, field.name) for field in fields(TrainConfig) if hasattr(arguments, field.name)}
    return TrainConfig(**values)


def _run_train(arguments: argparse.Namespace) -> int:
    with _native_stderr_silenced():
        _configure_logging(arguments.quiet)
        status = _train_command(arguments)
        if arguments.strategy in MULTI_PROCESS:
            # TensorFlow's cluster runtime does not let a process go once its
            # work is done: the coordinator waits forever for a lost worker to
            # come back, and peers trade errors while they shut down at
            # different times. Everything is written and flushed: leave now.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        return status


def _train_command(arguments: argparse.Namespace) -> int:
    config = _config_from(arguments)
    from .checkpoint import CheckpointError
    from .cluster import ClusterFailure
    from .config import ConfigError
    from .corpus import CorpusError
    from .vocab import VocabularyError

    try:
        config.validate()
        from .train import TrainingInterrupted, train

        result = train(arguments.corpus, arguments.output, config, force=arguments.force, resume=arguments.resume)
    except (ConfigError, CorpusError, VocabularyError, CheckpointError) as error:
        return _fail(error)
    except (FloatingPointError, ClusterFailure) as error:
        print(f"train-unsup: {error}", file=sys.stderr)
        return 1
    except TrainingInterrupted as error:
        print(f"train-unsup: {error}", file=sys.stderr)
        return 143 if error.signal_name == "SIGTERM" else 130
    except KeyboardInterrupt:
        print("train-unsup: interrupted before training started; nothing was written", file=sys.stderr)
        return 130
    if result.vectors_path is None:
        print(f"this worker trained {result.training_tokens:,} tokens of its shard in {result.seconds:.1f} s; the chief wrote the vectors")
        return 0
    _print_summary(result)
    if arguments.show_neighbours:
        from .evaluate import load_vectors

        _print_neighbours(load_vectors(result.vectors_path), arguments.show_neighbours, topn=8)
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


def _print_neighbours(vectors, words: list[str], topn: int) -> None:
    from .evaluate import nearest

    for word, found in nearest(vectors, words, topn).items():
        if found is None:
            print(f"{word}: not in the vocabulary")
        else:
            print(f"{word}: " + ", ".join(f"{other} {similarity:.2f}" for other, similarity in found))


@contextlib.contextmanager
def _native_stderr_silenced():
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


def _configure_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    logging.getLogger("smart_open").setLevel(logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)


def _fail(error: Exception | str, prog: str = "train-unsup") -> int:
    print(f"{prog}: error: {error}", file=sys.stderr)
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
    """The `train-unsup` command."""
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
    train_command.set_defaults(run=_run_train)
    evaluate_command = commands.add_parser(
        "evaluate",
        help="analogy accuracy, word-pair correlations and nearest neighbours of a vectors file",
        description="Evaluate word2vec-format vectors (text or binary) the way gensim and word2vec report them.",
        epilog=EVALUATE_EXAMPLES,
        formatter_class=_Formatter,
    )
    _add_evaluate_arguments(evaluate_command)
    evaluate_command.set_defaults(run=_run_evaluate)
    from .fuse_cli import add_fuse_parser

    add_fuse_parser(commands)
    serve_command = commands.add_parser(
        "serve",
        help="run a parameter server or worker task of a --strategy parameter-server cluster (from TF_CONFIG)",
        description="Start the TensorFlow server of this process's TF_CONFIG task and serve until killed. "
        "Under --strategy parameter-server, every 'ps' and 'worker' task runs this; the chief runs train-unsup.",
    )
    serve_command.set_defaults(run=_run_serve)
    arguments = parser.parse_args(argv)
    return arguments.run(arguments)


def _run_serve(arguments: argparse.Namespace) -> int:
    from .cluster import read_tf_config
    from .config import ConfigError

    _configure_logging(quiet=False)
    try:
        cluster, task_type, task_index = read_tf_config()
    except ConfigError as error:
        return _fail(error, prog="unsup-embed serve")
    if task_type not in ("ps", "worker"):
        return _fail(f"TF_CONFIG says {task_type} {task_index}; only 'ps' and 'worker' tasks serve (the chief runs train-unsup)", prog="unsup-embed serve")
    from .serve import serve

    serve(cluster, task_type, task_index)
    return 0


EVALUATE_EXAMPLES = """\
examples:
  unsup-embed evaluate toy.bin --analogies data/toy_world_questions.txt --nearest paris dog
  unsup-embed evaluate vectors.bin                      # Google analogies, WordSim-353, SimLex-999
  unsup-embed evaluate vectors.vec --restrict 0 --json  # all words, machine-readable
"""


def _add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vectors", help="word2vec-format vectors (.bin binary; .txt/.vec text; others are sniffed)")
    parser.add_argument("--analogies", default=None, help="analogy questions in questions-words.txt format (default: Google's, shipped with gensim)")
    parser.add_argument("--pairs", action="append", default=None, metavar="FILE", help="word1<TAB>word2<TAB>score file; repeatable (default: WordSim-353 and SimLex-999)")
    parser.add_argument("--restrict", type=int, default=30_000, help="only the N most frequent words answer or appear in analogy questions (0: all)")
    parser.add_argument("--nearest", nargs="+", metavar="WORD", default=[], help="print the nearest neighbours of these words")
    parser.add_argument("--topn", type=int, default=10, help="neighbours printed per word")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    file_format = parser.add_mutually_exclusive_group()
    file_format.add_argument("--binary", dest="binary", action="store_const", const=True, default=None, help="the file is word2vec binary")
    file_format.add_argument("--text", dest="binary", action="store_const", const=False, help="the file is word2vec text")


def _run_evaluate(arguments: argparse.Namespace) -> int:
    with _native_stderr_silenced():
        _configure_logging(quiet=True)
        return _evaluate_command(arguments)


def _evaluate_command(arguments: argparse.Namespace) -> int:
    import json

    from .evaluate import VectorsFileError, evaluate, format_table, load_vectors, nearest

    for path in [arguments.analogies, *(arguments.pairs or [])]:
        if path is not None and not os.path.isfile(path):
            return _fail(f"evaluation file {path!r} does not exist", prog="unsup-embed evaluate")
    if arguments.restrict < 0:
        return _fail(f"--restrict must be 0 (all words) or positive, got {arguments.restrict}", prog="unsup-embed evaluate")
    try:
        vectors = load_vectors(arguments.vectors, arguments.binary)
    except VectorsFileError as error:
        return _fail(error, prog="unsup-embed evaluate")
    evaluation = evaluate(vectors, arguments.analogies, arguments.pairs, arguments.restrict or None, name=arguments.vectors)
    if arguments.json:
        print(json.dumps({**evaluation.as_dict(), "nearest": nearest(vectors, arguments.nearest, arguments.topn)}))
        return 0
    print(format_table(evaluation))
    _print_neighbours(vectors, arguments.nearest, arguments.topn)
    return 0
