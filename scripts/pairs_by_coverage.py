#!/usr/bin/env python3
"""Which pairs of a word-similarity set a subword model answers well: the Spearman correlation by how well the model knows the pair's rarer word.

`unsup-embed evaluate --pairs` gives one figure over every pair. On a set of
rare words (Stanford's, `scripts/fetch_stanford_rw.py`) that figure mixes
pairs whose rarer word the model never saw, answered from its n-grams alone,
with pairs of words it trained, whose own rows take part. This splits the
pairs into groups by the corpus count of the rarer word (0: unseen) and
gives each group's Spearman, over the same pairs for every model, so two
models' figures can be compared group by group. Models are fastText binary
models (`train-unsup --subwords -o m.bin`, or fastText's own `-output`),
read with gensim's `load_facebook_vectors`.

    python scripts/pairs_by_coverage.py rw.txt ours.bin fasttext.bin
    python scripts/pairs_by_coverage.py rw.txt ours.bin fasttext.bin --bounds 50 500
    python scripts/pairs_by_coverage.py rw.txt ours.bin fasttext.bin --shift -1 0 1

`--shift A [A ...]` scores each model again with A times its mean word
vector added to every input row (A = -1 removes it), as
`rare_word_split.py --shift` does: how much each group's figure owes to the
direction all of a model's vectors share.

`--frequency` adds a column that is no model at all: each pair rated by how
rare its more frequent word is (minus that word's corpus count, in the
first model's vocabulary). Where a set's human scores follow the words'
frequency, this column is well above zero, and a model whose similarities
lean the same way (a direction all vectors share, stronger for rarer words)
gains from that bias as much as from meaning.

    python scripts/pairs_by_coverage.py rw.txt ours.bin fasttext.bin --shift -1 0 --frequency
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from rare_word_split import checked_pairs, shifted  # this directory is on sys.path when the script runs
from unsup_embed.evaluate_subwords import spelling_in


def group_names(bounds: list[int]) -> list[str]:
    """The groups' names for count bounds [b1, b2, ...]: unseen, seen under b1 times, b1 to under b2, ..., the last bound or more."""
    names = ["unseen", f"seen under {bounds[0]:,}"]
    names += [f"seen {low:,}-{high - 1:,}" for low, high in zip(bounds, bounds[1:])]
    return names + [f"seen {bounds[-1]:,}+"]


def group_of(count: int, bounds: list[int]) -> int:
    """The index in group_names(bounds) of a pair whose rarer word the corpus holds `count` times."""
    return 0 if count == 0 else 1 + int(np.searchsorted(np.asarray(bounds), count, side="right"))


def known_spelling(vectors, pairs) -> list[tuple[str, str, float]]:
    """The pairs with each word in the vocabulary's spelling, matched without case as `unsup-embed evaluate` matches it."""
    spelled = spelling_in(vectors)
    return [(spelled(first), spelled(second), score) for first, second, score in pairs]


def corpus_count(vectors, word: str) -> int:
    """How often the model's corpus holds `word` (0 for a word outside its vocabulary)."""
    return int(vectors.get_vecattr(word, "count")) if word in vectors.key_to_index else 0


def rarer_counts(vectors, pairs) -> list[int]:
    """Per pair, the corpus count of its rarer word in the model's vocabulary (0 if either word is unseen)."""
    return [min(corpus_count(vectors, first), corpus_count(vectors, second)) for first, second, _ in pairs]


def spearman_by_group(vectors, pairs, groups: list[int], names: list[str]) -> dict[str, tuple[float, int]]:
    """{group name: (Spearman of the model's cosines against the scores, pairs)} over the pairs of each group."""
    cosines = np.array([float(vectors.similarity(first, second)) for first, second, _ in known_spelling(vectors, pairs)])
    return ratings_by_group(cosines, pairs, groups, names)


def rarity_by_group(vectors, pairs, groups: list[int], names: list[str]) -> dict[str, tuple[float, int]]:
    """As spearman_by_group, for the rating "the rarer the pair's more frequent word, the more alike": minus its corpus count."""
    spelled = known_spelling(vectors, pairs)
    rarity = np.array([-max(corpus_count(vectors, first), corpus_count(vectors, second)) for first, second, _ in spelled], np.float64)
    return ratings_by_group(rarity, pairs, groups, names)


def ratings_by_group(ratings: np.ndarray, pairs, groups: list[int], names: list[str]) -> dict[str, tuple[float, int]]:
    """{group name: (Spearman of `ratings` against the pairs' scores, pairs)}, and "all"; NaN where a group has under 3 pairs or one rating."""
    from scipy.stats import spearmanr

    scores = np.array([score for _, _, score in pairs])
    groups_array = np.asarray(groups)
    figures = {}
    for index, name in enumerate(names + ["all"]):
        chosen = np.ones(len(pairs), bool) if name == "all" else groups_array == index
        count = int(chosen.sum())
        varied = count > 2 and np.ptp(ratings[chosen]) > 0
        figures[name] = (float(spearmanr(ratings[chosen], scores[chosen])[0]) if varied else float("nan"), count)
    return figures


def model_labels(paths: list[Path]) -> list[str]:
    """A column label per model: its file name, or its path where two models share a name."""
    names = [path.name for path in paths]
    return [name if names.count(name) == 1 else str(path) for name, path in zip(names, paths)]


def main() -> int:
    from gensim.models.fasttext import load_facebook_vectors

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path, help="word1<TAB>word2<TAB>score file")
    parser.add_argument("models", type=Path, nargs="+", help="fastText binary models (.bin)")
    parser.add_argument("--bounds", type=int, nargs="+", default=[50], help="corpus counts that split the seen pairs (default: %(default)s)")
    parser.add_argument("--shift", type=float, nargs="+", default=None, metavar="A", help="score again with A x the mean word vector added to every row")
    parser.add_argument("--frequency", action="store_true", help="add a column rating each pair by word frequency alone (no model)")
    arguments = parser.parse_args()
    bounds = sorted(set(arguments.bounds))
    if bounds[0] < 2:
        print("pairs_by_coverage: --bounds must be at least 2 (every seen word occurs at least once)", file=sys.stderr)
        return 2
    pairs = checked_pairs("pairs_by_coverage", arguments.pairs, arguments.models)
    if pairs is None:
        return 2
    models = {label: load_facebook_vectors(str(path)) for label, path in zip(model_labels(arguments.models), arguments.models)}
    # Groups by the first model's vocabulary, so every model is scored on the same pairs.
    names = group_names(bounds)
    first_model = next(iter(models.values()))
    groups = [group_of(count, bounds) for count in rarer_counts(first_model, known_spelling(first_model, pairs))]
    print(f"{arguments.pairs.name}: Spearman by the corpus count of each pair's rarer word (groups from {arguments.models[0].name}'s vocabulary)\n")
    figures = {}
    for name, vectors in models.items():
        if arguments.shift is None:
            figures[name] = spearman_by_group(vectors, pairs, groups, names)
            continue
        for amount, share in shifted(vectors, arguments.shift):
            figures[f"{name}, {amount:+g} x mean ({share:.2f})"] = spearman_by_group(vectors, pairs, groups, names)
    if arguments.frequency:
        figures["word frequency alone"] = rarity_by_group(first_model, pairs, groups, names)
    print("| group | pairs | " + " | ".join(figures) + " |")
    print("|---|---|" + "---|" * len(figures))
    for group in names + ["all"]:
        count = next(iter(figures.values()))[group][1]
        print(f"| {group} | {count:,} | " + " | ".join(f"{figures[name][group][0]:.3f}" for name in figures) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
