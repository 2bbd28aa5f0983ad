"""`unsup-embed evaluate`: analogy accuracy, word-pair correlations and nearest neighbours of a vectors file."""

from __future__ import annotations

import argparse
import json

from ..errors import ConfigError
from .common import HelpFormatter, print_neighbours, run_command

PROG = "unsup-embed evaluate"

EXAMPLES = """\
examples:
  unsup-embed evaluate toy.bin --analogies data/toy_world_questions.txt --nearest paris dog
  unsup-embed evaluate vectors.bin                      # Google analogies, WordSim-353, SimLex-999
  unsup-embed evaluate vectors.vec --restrict 0 --json  # all words, machine-readable
  unsup-embed evaluate glove.6B.100d.txt                # GloVe files (no header) are read too
"""


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="analogy accuracy, word-pair correlations and nearest neighbours of a vectors file",
        description="Evaluate vectors (word2vec text or binary, GloVe; .gz/.bz2 too) the way gensim and word2vec report them.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("vectors", help="a vectors file: word2vec binary or text, or GloVe text (the layout is detected)")
    parser.add_argument("--analogies", default=None, help="analogy questions in questions-words.txt format (default: Google's, shipped with gensim)")
    parser.add_argument("--pairs", action="append", default=None, metavar="FILE", help="word1<TAB>word2<TAB>score file; repeatable (default: WordSim-353 and SimLex-999)")
    parser.add_argument("--restrict", type=int, default=30_000, help="only the N most frequent words answer or appear in analogy questions (0: all)")
    parser.add_argument("--nearest", nargs="+", metavar="WORD", default=[], help="print the nearest neighbours of these words")
    parser.add_argument("--topn", type=int, default=10, help="neighbours printed per word")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument("--binary", dest="layout", action="store_const", const="word2vec-binary", default=None, help="the file is word2vec binary")
    layout.add_argument("--text", dest="layout", action="store_const", const="word2vec-text", help="the file is word2vec text")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    return run_command(PROG, lambda: _evaluate(arguments), quiet=True)


def _evaluate(arguments: argparse.Namespace) -> int:
    from ..evaluate import check_evaluation_file, evaluate, format_table, nearest
    from ..vectors import load_vectors

    for path in [arguments.analogies, *(arguments.pairs or [])]:
        if path is not None:  # before the vectors are loaded: a mistake here is answered at once
            check_evaluation_file(path, questions=path == arguments.analogies)
    if arguments.restrict < 0:
        raise ConfigError(f"--restrict must be 0 (all words) or positive, got {arguments.restrict}")
    if arguments.topn < 1:
        raise ConfigError(f"--topn must be at least 1, got {arguments.topn}")
    vectors = load_vectors(arguments.vectors, arguments.layout)
    evaluation = evaluate(vectors, arguments.analogies, arguments.pairs, arguments.restrict or None, name=arguments.vectors)
    if arguments.json:
        print(json.dumps({**evaluation.as_dict(), "nearest": nearest(vectors, arguments.nearest, arguments.topn)}))
        return 0
    print(format_table(evaluation))
    print_neighbours(vectors, arguments.nearest, arguments.topn)
    return 0
