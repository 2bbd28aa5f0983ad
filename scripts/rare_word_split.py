#!/usr/bin/env python3
"""Where a subword model's rare-word score comes from: the misspelled pairs of make_rare_words.py, scored four ways.

Each pair of `rare_words.tsv` holds a misspelling (an unseen word) and a
known word. For every pair whose misspelling comes from a word the model
knows, the cosine of the pair is computed from:

- `as given`: the misspelling's vector, built from its n-grams (what
  `unsup-embed evaluate --pairs` scores);
- `real word`: the word it misspells, from the model's own vector (how good
  the model is on the pair when nothing is unseen);
- `shared n-grams`: only the misspelling's n-grams that the real word has too
  (its first and last characters: `<ti`, `er>`);
- `around the typo`: only its other n-grams.

and each column is the Spearman correlation of those cosines with the
pairs' human scores, over the same pairs for every model. Models are
fastText binary models (`train-unsup --subwords -o m.bin`, or fastText's
own `-output`), read with gensim's `load_facebook_vectors`.

`--shift A [A ...]` probes how much the figures owe to the direction all
vectors share: before scoring, A times the mean of the vocabulary's word
vectors is added to every input row (words' and n-grams'), so every
vector, seen or built from n-grams, moves by the same amount (A = -1
removes the mean). The table then says, per model, how long that mean is
against the average word vector.

    python scripts/make_rare_words.py text8like.zip rare_words.tsv
    python scripts/rare_word_split.py rare_words.tsv ours.bin fasttext.bin
    python scripts/rare_word_split.py rare_words.tsv ours.bin fasttext.bin --shift -1 0 0.5 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from make_rare_words import SOURCES, misspelling, source_rows  # this directory is on sys.path when the script runs

COLUMNS = ("as given", "real word", "shared n-grams", "around the typo")


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """The `word1<TAB>word2<TAB>score` lines of `path`; ValueError naming the first line that is not one."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            pairs.append((fields[0], fields[1], float(fields[2])))
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{number}: expected word1<TAB>word2<TAB>score, got {line[:60]!r}") from None
    return pairs


def checked_pairs(script: str, pairs_path: Path, models: list[Path]) -> list[tuple[str, str, float]] | None:
    """The pairs of `pairs_path`, once it and every model exist; None after one line on stderr, naming `script`, if not."""
    for path in [pairs_path, *models]:
        if not path.is_file():
            print(f"{script}: no such file: {path}", file=sys.stderr)
            return None
    try:
        return read_pairs(pairs_path)
    except ValueError as error:
        print(f"{script}: {error}", file=sys.stderr)
        return None


def source_words() -> dict[str, str]:
    """Misspelling -> the word it misspells, over the sets make_rare_words.py draws from."""
    originals = {}
    for name in SOURCES:
        for fields in source_rows(name):
            for word in fields[:2]:
                originals.setdefault(misspelling(word.lower()), word.lower())
    return originals


def ngram_split(word: str, misspelled: str, min_n: int, max_n: int) -> tuple[list[str], list[str]]:
    """(the misspelling's n-grams the word has too, the rest), as fastText cuts them from `<misspelled>`."""
    from unsup_embed.text.subwords import character_ngrams

    of_word = set(character_ngrams(word, min_n, max_n))
    grams = character_ngrams(misspelled, min_n, max_n)
    return [gram for gram in grams if gram in of_word], [gram for gram in grams if gram not in of_word]


def mean_word_vector(vectors) -> tuple[np.ndarray, float]:
    """The mean of the vocabulary's word vectors, and its norm over the average norm of a word vector."""
    return mean_row(vectors.vectors)


def mean_row(rows: np.ndarray) -> tuple[np.ndarray, float]:
    """The mean of `rows`, and its norm over their average norm (1: all point one way; 0: no common direction)."""
    mean = rows.mean(axis=0)
    return mean, float(np.linalg.norm(mean) / max(float(np.linalg.norm(rows, axis=1).mean()), 1e-12))


def shift_rows(vectors, offset: np.ndarray) -> None:
    """Add `offset` to every input row of `vectors`, in place: every vector, seen or built from n-grams, moves by it."""
    vectors.vectors_vocab += offset
    vectors.vectors_ngrams += offset
    vectors.adjust_vectors()  # the words' vectors: means of their rows again


def shifted(vectors, amounts: list[float]):
    """For each A of `amounts` in turn, shift `vectors` in place to A x its mean word vector added, and yield (A, the mean's share)."""
    mean, share = mean_word_vector(vectors)
    applied = 0.0
    for amount in amounts:
        shift_rows(vectors, (amount - applied) * mean)
        applied = amount
        yield amount, share


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


def split_scores(vectors, pairs, originals: dict[str, str]) -> tuple[dict[str, float], int]:
    """({column: Spearman}, pairs scored) for one model's gensim FastTextKeyedVectors."""
    from scipy.stats import spearmanr

    from unsup_embed.text.subwords import fasttext_hash

    def ngram_vector(grams: list[str]) -> np.ndarray:
        # fastText's bucket of an n-gram: the FNV-1a hash of its UTF-8 bytes, modulo the buckets.
        ids = [fasttext_hash(gram.encode("utf-8")) % vectors.bucket for gram in grams]
        return vectors.vectors_ngrams[ids].sum(axis=0) if ids else np.zeros(vectors.vector_size, np.float32)

    cosines: dict[str, list[float]] = {column: [] for column in COLUMNS}
    gold = []
    for first, second, score in pairs:
        misspelled, known = (first, second) if first not in vectors.key_to_index else (second, first)
        word = originals.get(misspelled)
        if word is None or word not in vectors.key_to_index or misspelled in vectors.key_to_index:
            continue
        shared, novel = ngram_split(word, misspelled, vectors.min_n, vectors.max_n)
        gold.append(score)
        cosines["as given"].append(cosine(vectors[misspelled], vectors[known]))
        cosines["real word"].append(cosine(vectors[word], vectors[known]))
        cosines["shared n-grams"].append(cosine(ngram_vector(shared), vectors[known]))
        cosines["around the typo"].append(cosine(ngram_vector(novel), vectors[known]))
    return {column: float(spearmanr(values, gold).correlation) for column, values in cosines.items()}, len(gold)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path, help="the pairs of make_rare_words.py")
    parser.add_argument("models", type=Path, nargs="+", help="fastText binary models (.bin)")
    parser.add_argument("--shift", type=float, nargs="+", default=None, metavar="A", help="score again with A x the mean word vector added to every row")
    arguments = parser.parse_args()
    pairs = checked_pairs("rare_word_split", arguments.pairs, arguments.models)
    if pairs is None:
        return 2
    from gensim.models.fasttext import load_facebook_vectors

    originals = source_words()
    rows = []
    for path in arguments.models:
        try:
            vectors = load_facebook_vectors(str(path))
        except Exception as error:  # gensim raises several kinds on a file that is not a fastText model
            print(f"rare_word_split: {path} is not a fastText binary model ({error})", file=sys.stderr)
            return 2
        if arguments.shift is None:
            scores, count = split_scores(vectors, pairs, originals)
            rows.append((str(path), count, scores))
            continue
        for amount, share in shifted(vectors, arguments.shift):
            scores, count = split_scores(vectors, pairs, originals)
            rows.append((f"{path}, {amount:+g} x the mean word vector (norm {share:.2f} x the average)", count, scores))
    print("| model | pairs | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for name, count, scores in rows:
        print(f"| {name} | {count:,} | " + " | ".join(f"{scores[column]:.3f}" for column in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
