#!/usr/bin/env python3
"""How the two tables of fastText-format models share their length: word (input) vectors against output rows.

For each model, one table row with, for the input side (the words' full
vectors, n-grams included) and the output side (the rows that predict
neighbours):

- `shared`: the length of the table's mean row over the average row norm;
  1 means every row points the same way, 0 no common direction;
- the median row norm of the words seen 5-199, 200-4,999 and 5,000 or more
  times;
- the cosine of the two tables' mean rows.

In negative sampling most scores must be low, and without a bias term both
tables grow a common direction whose product lowers them all; how that
product is split between the two tables decides how much of every word
vector, and of every n-gram, is that shared direction. Models are fastText
binary models (`train-unsup --subwords -o m.bin`, or fastText's own
`-output`), read with gensim's `load_facebook_model`.

    python scripts/table_balance.py ours.bin fasttext.bin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from rare_word_split import cosine, mean_row  # this directory is on sys.path when the script runs

BANDS = ((5, 200), (200, 5_000), (5_000, None))  # words seen at least / fewer than this many times


def balance(model) -> dict:
    """The figures of the module docstring for a gensim FastText model."""
    vectors = model.wv
    counts = np.array([vectors.get_vecattr(word, "count") for word in vectors.index_to_key])
    tables = {"input": vectors.vectors, "output": model.syn1neg}
    means = {side: mean_row(rows) for side, rows in tables.items()}
    result = {"cosine of the means": cosine(means["input"][0], means["output"][0])}
    for side, rows in tables.items():
        result[f"{side} shared"] = means[side][1]
        norms = np.linalg.norm(rows, axis=1)
        for low, high in BANDS:
            chosen = (counts >= low) & (counts < (high or np.inf))
            result[f"{side} norm, seen {_band(low, high)}"] = float(np.median(norms[chosen])) if chosen.any() else float("nan")
    return result


def _band(low: int, high: int | None) -> str:
    return f"{low:,}+" if high is None else f"{low:,}-{high - 1:,}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", type=Path, nargs="+", help="fastText binary models (.bin)")
    arguments = parser.parse_args()
    missing = [str(path) for path in arguments.models if not path.is_file()]
    if missing:
        print(f"table_balance.py: no such model file: {', '.join(missing)}", file=sys.stderr)
        return 2
    from gensim.models.fasttext import load_facebook_model

    rows = {}
    for path in arguments.models:
        try:
            rows[path.name] = balance(load_facebook_model(str(path)))
        except (ValueError, NotImplementedError, AssertionError) as error:
            print(f"table_balance.py: {path} is not a fastText binary model ({error})", file=sys.stderr)
            return 2
    columns = list(next(iter(rows.values())))
    print("| model | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, figures in rows.items():
        print(f"| {name} | " + " | ".join(f"{figures[column]:.2f}" for column in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
