"""`unsup-embed fuse`: thin over `fusion.fuse.fuse`.

`add_parser(subcommands)` adds the subcommand; `run(arguments)` builds a
`FusionConfig`, calls the library and returns the exit status (common.py
turns errors into one line). TensorFlow is imported only once the run
starts, so `--help` answers at once.
"""

from __future__ import annotations

import argparse
import json

from ..fusion.config import CLASSIFIERS, LABEL_FORMATS, NORMALISATIONS, WEIGHTINGS, FusionConfig
from .common import HelpFormatter, run_command

PROG = "unsup-embed fuse"

FUSE_EXAMPLES = """\
examples:
  unsup-embed fuse --source glove.txt --source w2v.bin --source ours.vec --train train.ft --valid dev.ft -o fused/
  unsup-embed fuse --source a.vec --source b.bin --train reviews.pos reviews.neg --valid-split 0.1 -o out/ --weights vector --json
  unsup-embed fuse --source a.vec --source b.vec --train data.tsv -o out/ --classifier lstm --epochs 8 --tensorboard runs/fuse

labelled data: fastText '__label__pos text' lines, TSV 'pos<TAB>text' lines, or one file per class
(a directory, or several files after --train). Then, in Python:
  from gensim.models import KeyedVectors
  KeyedVectors.load_word2vec_format("fused/fused.vec").most_similar("good")
"""


def add_parser(subcommands) -> argparse.ArgumentParser:
    """Add `fuse` to an argparse subparsers object; it runs `run`."""
    defaults = FusionConfig()
    parser = subcommands.add_parser(
        "fuse",
        help="learn per-word weights over several pretrained vector files with a classifier on labelled text",
        description="Fuse two or more pretrained embeddings (word2vec text/binary, GloVe) into one, learning per word how much "
        "to trust each source while training a text classifier; write the classifier, the weights and the fused vectors.",
        epilog=FUSE_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--source", action="append", required=True, metavar="FILE", help="a vectors file (word2vec text or binary, or GloVe text); required, two or more")
    add("--train", nargs="+", required=True, metavar="LABELLED", help="training data (required): a fastText or TSV file, or one file per class")
    held_out = parser.add_mutually_exclusive_group()
    held_out.add_argument("--valid", nargs="+", default=None, metavar="LABELLED", help="validation data, in the format of --train (default: --valid-split of --train)")
    held_out.add_argument("--valid-split", type=float, default=defaults.valid_split, help="share of --train held out for validation when there is no --valid")
    add("-o", "--output-dir", default="fusion-out", metavar="OUTDIR", help="directory for classifier.keras, fused.vec and source_weights.tsv")
    add("--force", action="store_true", help="replace outputs already in OUTDIR (default: off)")
    add("--weights", choices=WEIGHTINGS, default=defaults.weights, help="per word and source: one scalar, or a vector of the source's dimension")
    add("--normalise", choices=NORMALISATIONS, default=defaults.normalise, help="softmax the scalar weights of a word across sources, or leave them free")
    add("--common-dim", type=int, default=defaults.common_dim, help="dimension sources are projected to (default: the largest source dimension)")
    add("--no-source-scaling", dest="scale_sources", action="store_false", help="keep each source's own vector lengths (default: each scaled to mean length 1)")
    add("--classifier", choices=CLASSIFIERS, default=defaults.classifier, help="Conv1D with max pooling over time, or an LSTM")
    add("--filters", type=int, default=defaults.filters, help="convolution filters per kernel width")
    add("--kernel-sizes", type=int, nargs="+", default=list(defaults.kernel_sizes), metavar="WIDTH", help="convolution widths")
    add("--lstm-units", type=int, default=defaults.lstm_units, help="LSTM units")
    add("--dropout", type=float, default=defaults.dropout, help="dropout before the output layer")
    add("--epochs", type=int, default=defaults.epochs, help="passes over the training data")
    add("--batch-size", type=int, default=defaults.batch_size, help="texts per step")
    add("--learning-rate", type=float, default=defaults.learning_rate, help="Adam's learning rate")
    add("--max-length", type=int, default=defaults.max_length, help="tokens kept per text")
    add("--min-count", type=int, default=defaults.min_count, help="training occurrences a word needs to enter the task vocabulary")
    add("--label-format", choices=LABEL_FORMATS, default=defaults.label_format, help="format of --train and --valid")
    add("--no-lowercase", dest="lowercase", action="store_false", help="keep the case of the text (default: lowercase)")
    add("--token-pattern", default=defaults.token_pattern, help="regular expression a token matches")
    add("--seed", type=int, default=defaults.seed, help="seeds initialisation, shuffling and --valid-split")
    add("--tensorboard", default=None, metavar="DIR", help="write training curves and embedding-projector files of the fused vectors here (default: off)")
    add("--json", action="store_true", help="print one JSON object (the last line) instead of the summary (default: off)")
    add("-q", "--quiet", action="store_true", help="no progress bars or log lines (default: off)")
    parser.set_defaults(run=run)
    return parser


def config_from(arguments: argparse.Namespace) -> FusionConfig:
    values = {name: getattr(arguments, name) for name in FusionConfig.__dataclass_fields__ if hasattr(arguments, name)}
    values["kernel_sizes"] = tuple(values["kernel_sizes"])
    return FusionConfig(**values)


def run(arguments: argparse.Namespace) -> int:
    """Run the command; the exit status is the return value."""
    return run_command(PROG, lambda: _fuse(arguments), quiet=arguments.quiet or arguments.json)


def _fuse(arguments: argparse.Namespace) -> int:
    from ..fusion.fuse import fuse

    config = config_from(arguments)
    config.validate()
    quiet = arguments.quiet or arguments.json
    result = fuse(
        arguments.source, arguments.train, arguments.output_dir, config, valid=arguments.valid,
        tensorboard_dir=arguments.tensorboard, force=arguments.force, progress=not quiet,
    )  # fmt: skip
    if arguments.json:
        summary = result.as_dict()
        summary.pop("history")
        print(json.dumps(summary))
        return 0
    for name, coverage in result.coverage.items():
        print(f"{coverage.describe()}; mean weight {result.mean_weights[name]:.3f}")
    print(f"trained on {result.train_examples:,} texts ({', '.join(result.classes)}), vocabulary {result.vocabulary_size:,}, in {result.seconds:.1f} s")
    for name, path in result.outputs.items():
        print(f"{name + ':':<16}{path}")
    print(f"validation accuracy: {result.val_accuracy:.4f} ({result.valid_examples:,} texts)")
    return 0
