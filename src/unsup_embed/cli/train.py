"""`train-unsup` (and `unsup-embed train`): parse, build the config, call `training.run.train`, print a summary.

Every option of `TrainConfig` and `RunOptions` is a flag with its default in
`--help`. TensorFlow is imported only when training starts, so `--help`,
`--version` and a mistake in the options are answered at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields

from .. import __version__
from ..config import ARCHITECTURES, CONTEXT_TABLES, FORMATS, OBJECTIVES, PIPELINES, STRATEGIES, RunOptions, TrainConfig
from .common import HelpFormatter, print_neighbours, run_command

PROG = "train-unsup"

EXAMPLES = """\
examples:
  train-unsup data/toy_world.txt -o toy.bin --epochs 10 --show-neighbours paris dog
  train-unsup corpus/ -o vectors.vec --dim 300 --window 8 --min-count 10
  train-unsup corpus/ -o cbow.bin --architecture cbow
  train-unsup corpus/ -o model.bin --subwords --show-neighbours misspeled  # fastText's model: unseen words too
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
    "architecture": "skipgram: each word predicts its neighbours; cbow: the window's mean predicts the word",
    "min_n": "shortest character n-gram with --subwords",
    "max_n": "longest character n-gram with --subwords",
    "buckets": "rows the n-grams are hashed into with --subwords",
    "objective": "training objective",
    "dim": "vector dimension",
    "negative": "noise words per pair (negative sampling)",
    "context_table": "neighbours and noise words from a second table (word2vec) or the word table itself",
    "negative_group": "consecutive centre words sharing one draw of noise words (default: 64 for skipgram, 128 for cbow)",
    "noise_draws": "noise words drawn for each group, shared by its centre words",
    "ns_exponent": "noise words are drawn in proportion to count ** this: 0.75 is word2vec's and gensim's, 0.5 fastText's "
    "(default: 0.75; 0.5 for skipgram with --subwords)",
    "row_update_cap": "pair updates a vector takes at the full learning rate in one step; more are scaled down "
    "(default: 32; 128 for skipgram with --subwords)",
    "epochs": "passes over the corpus",
    "alpha": "initial learning rate, decayed linearly to --min-alpha",
    "min_alpha": "final learning rate",
    "batch_size": "centre words per SGD step, a multiple of 16, and of 128 above 128 "
    "(default: 1024 for skipgram, 512 with --subwords, 2048 for cbow; with --pipeline device up to 8192 and 16384, leaving an epoch 1,000 steps)",
    "steps_per_call": "SGD steps per compiled call",
    "seed": "random seed: the same seed gives the same vectors on one machine",
    "checkpoint_every": "checkpoint interval: a duration (90s, 2m, 1h) or a number of SGD steps; also at the end of the last epoch",
    "work_dir": "directory for the encoded corpus (default: beside the output)",
    "threads": "TensorFlow threads (0: as many as cores)",
    "compile_cache": "directory where compiled training steps are kept, so that a run with the same shapes starts sooner; "
    "off: not kept (default: $UNSUP_EMBED_COMPILE_CACHE, else ~/.cache/unsup-embed/compiled)",
    "strategy": "how training is distributed; multi-worker and parameter-server read the cluster from TF_CONFIG (docs/scaling.md)",
    "pipeline": "where training blocks are cut: host (NumPy, beside the compiled step), device (on the GPU with the corpus, "
    "Keras' JAX backend: KERAS_BACKEND=jax); auto: device where Keras runs on JAX and JAX has a GPU",
    "peer_timeout": "about how many seconds a dead peer may go unnoticed before the run fails (multi-worker)",
}
# Chosen by the architecture and --subwords (config.BATCH_SIZES, NEGATIVE_GROUPS, SUBWORD_SKIPGRAM_DEFAULTS).
_DEFAULTS = {"batch_size": None, "negative_group": None, "ns_exponent": None, "row_update_cap": None}
_CHOICES = {"architecture": ARCHITECTURES, "objective": OBJECTIVES, "context_table": CONTEXT_TABLES, "strategy": STRATEGIES, "pipeline": PIPELINES}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="a text file or a directory of text files (.gz, .bz2, .xz and .zip too)")
    parser.add_argument("-o", "--output", default="vectors.bin", help="vectors file: .bin binary, .txt/.vec text word2vec format (.gz/.bz2 compressed)")
    parser.add_argument("--format", dest="output_format", choices=FORMATS, default=None, help="override the format implied by the extension")
    parser.add_argument("--force", action="store_true", help="replace an existing output file, or discard an unfinished run's checkpoint")
    parser.add_argument("--resume", action="store_true", help="continue the unfinished run whose checkpoint is in <output>.ckpt/")
    for dataclass_type in (TrainConfig, RunOptions):
        defaults = dataclass_type()
        for field in fields(dataclass_type):
            if field.name not in _HELP:
                continue
            kind = {"int": int, "float": float}.get(str(field.type).split(" ")[0], str)
            parser.add_argument(
                f"--{field.name.replace('_', '-')}", type=kind, default=_DEFAULTS.get(field.name, getattr(defaults, field.name)),
                choices=_CHOICES.get(field.name), help=_HELP[field.name],
            )
    parser.add_argument(
        "--subwords", action="store_true",
        help="fastText's subword model: vectors for unseen words too; writes fastText's binary model (-o NAME.bin) and NAME.vec",
    )  # fmt: skip
    parser.add_argument("--no-lowercase", dest="lowercase", action="store_false", help="keep the case of the text (default: lowercase)")
    parser.add_argument("--token-pattern", default=TrainConfig.token_pattern, help="regular expression a token matches")
    parser.add_argument("--keep-work", action="store_true", help="keep the encoded corpus after training")
    parser.add_argument("--tensorboard", metavar="DIR", default=None, help="write training curves (loss, learning rate, words/s) and embedding-projector files to DIR")
    parser.add_argument("--show-neighbours", nargs="+", metavar="WORD", default=[], help="print the nearest neighbours of these words after training")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines, only the summary and warnings")


def parser(prog: str = PROG) -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog=prog,
        description="Train word vectors from raw text (skip-gram or CBOW with negative sampling, in Keras) and export them in word2vec format.",
        epilog=EXAMPLES if prog == PROG else EXAMPLES.replace("train-unsup", "unsup-embed train"),
        formatter_class=HelpFormatter,
    )
    result.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_arguments(result)
    return result


def _of(dataclass_type, arguments: argparse.Namespace):
    return dataclass_type(**{field.name: getattr(arguments, field.name) for field in fields(dataclass_type) if hasattr(arguments, field.name)})


def run(arguments: argparse.Namespace, prog: str = PROG) -> int:
    multi_process = arguments.strategy in ("multi-worker", "parameter-server")
    status = run_command(prog, lambda: _train(arguments), quiet=arguments.quiet)
    if multi_process:
        # TensorFlow's cluster runtime does not let a process go once its work
        # is done: the coordinator waits forever for a lost worker to come
        # back. Everything is written and flushed: leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _train(arguments: argparse.Namespace) -> int:
    from ..training.run import train

    config, options = _of(TrainConfig, arguments), _of(RunOptions, arguments)
    options.keep_vectors = bool(arguments.show_neighbours)  # queried in memory, not read back from the files
    options.keras_extras = False  # this process only trains (training/startup.py)
    result = train(arguments.corpus, arguments.output, config, options, force=arguments.force, resume=arguments.resume)
    if result.vectors_path is None:
        print(f"this worker trained {result.training_seconds:.1f} s on its shard; the chief wrote the vectors")
        return 0
    _print_summary(result)
    if arguments.show_neighbours:
        print_neighbours(result.keyed_vectors, arguments.show_neighbours, topn=8)
    return 0


def _print_summary(result) -> None:
    if result.resumed_from is None:
        read = f" ({result.corpus_tokens:,} in the corpus)" if result.corpus_tokens else ""
        print(
            f"trained on {result.training_tokens:,} in-vocabulary tokens{read}, vocabulary {result.vocabulary_size:,}, "
            f"{result.epochs} epoch(s) in {result.seconds:.1f} s ({result.words_per_second:,.0f} words/s end to end; "
            f"final loss {result.final_loss:.3f})"
        )
    elif result.words_trained == 0:  # stopped while writing the vectors: its final loss is not known here
        print(
            f"resumed after training had finished ({result.epochs} epoch(s) over {result.training_tokens:,} in-vocabulary tokens, "
            f"vocabulary {result.vocabulary_size:,}) and wrote the vectors in {result.seconds:.1f} s"
        )
    else:
        print(
            f"resumed at {result.resumed_from.describe()} and trained the remaining {result.words_trained:,.0f} words of "
            f"{result.epochs} epoch(s) over {result.training_tokens:,} in-vocabulary tokens, vocabulary {result.vocabulary_size:,}, "
            f"in {result.seconds:.1f} s ({result.words_per_second:,.0f} words/s end to end; final loss {result.final_loss:.3f})"
        )
    if result.collapse.healthy:  # otherwise the library has already warned
        print(result.collapse.describe())
    if result.vectors_path.suffix == ".bin" and result.vectors_path.with_suffix(".vec").exists() and result.subwords:
        print(f"model:      {result.vectors_path} (fastText's binary model: vectors for unseen words too)")
        print(f"vectors:    {result.vectors_path.with_suffix('.vec')}")
    else:
        print(f"vectors:    {result.vectors_path}")
    print(f"vocabulary: {result.vocabulary_path}")


def main(argv: list[str] | None = None) -> int:
    """The `train-unsup` command."""
    return run(parser().parse_args(argv))
