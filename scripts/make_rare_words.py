#!/usr/bin/env python3
"""A word-similarity set whose pairs hold a word the corpus never (or hardly ever) shows, built from WordSim-353 and SimLex-999.

Stanford's Rare Words set (Luong et al. 2013) is the usual test of vectors
for rare and unseen words (`scripts/fetch_stanford_rw.py` fetches it); its
rare words are mostly inflections and derivations. This builds a harder
set, of misspellings, from the two sets gensim ships: in each
pair, one word (the first in even pairs, the second in odd ones) is
replaced by a misspelling of it that occurs fewer than `--max-count` times
in the corpus, and the pair keeps its human score, since a misspelling
keeps the word's meaning. The misspelling is the commonest kind of typo,
made deterministically:

- a word of five letters or more has its two middle letters swapped
  (tiger -> tigre, money -> moeny);
- a shorter one has its last letter doubled (cat -> catt).

Pairs whose misspelling is a word the corpus knows (at least `--max-count`
times) are dropped. So every pair tests what a model says about a word it
did not learn, next to one it did: a model without subwords can answer
none of them (they count as skipped), a subword model answers them all.

    python scripts/make_rare_words.py CORPUS rare_words.tsv     # CORPUS: a text file or a .zip of one
    unsup-embed evaluate model.bin --pairs rare_words.tsv
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path


SOURCES = ("wordsim353.tsv", "simlex999.txt")  # the word-similarity sets gensim ships, misspelled here


def source_rows(name: str) -> list[list[str]]:
    """The tab-separated rows of one of gensim's similarity sets with at least three fields (a header row included)."""
    from gensim.test.utils import datapath

    with open(datapath(name), encoding="utf-8") as stream:
        rows = [line.rstrip("\n").split("\t") for line in stream if line.strip() and not line.startswith("#")]
    return [row for row in rows if len(row) >= 3]


def misspelling(word: str) -> str:
    if len(word) >= 5:
        middle = len(word) // 2
        return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    return word + word[-1]


def corpus_counts(path: Path) -> Counter:
    counts: Counter = Counter()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = next(member for member in archive.namelist() if not member.endswith("/"))
            with archive.open(name) as stream:
                for line in stream:
                    counts.update(re.findall(r"\w+", line.decode("utf-8", errors="replace").lower()))
        return counts
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            counts.update(re.findall(r"\w+", line.lower()))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="the training corpus: a text file, or a .zip of one")
    parser.add_argument("output", type=Path, help="the pairs file to write (word1<TAB>word2<TAB>score)")
    parser.add_argument("--max-count", type=int, default=5, help="a misspelling must occur fewer times than this in the corpus")
    arguments = parser.parse_args()
    if not arguments.corpus.exists():
        print(f"make_rare_words: corpus {arguments.corpus} does not exist", file=sys.stderr)
        return 2
    counts = corpus_counts(arguments.corpus)
    pairs, dropped = [], 0
    for source in SOURCES:
        for number, fields in enumerate(source_rows(source)):
            try:
                score = float(fields[2])
            except ValueError:
                continue  # a header
            first, second = fields[0].lower(), fields[1].lower()
            if number % 2 == 0:
                first = misspelling(first)
                changed = first
            else:
                second = misspelling(second)
                changed = second
            if counts[changed] >= arguments.max_count:
                dropped += 1
                continue
            pairs.append(f"{first}\t{second}\t{score:g}")
    header = (
        "# Misspelled WordSim-353 and SimLex-999 pairs: one word of each is a deterministic typo seen fewer than "
        f"{arguments.max_count} times in {arguments.corpus.name} (scripts/make_rare_words.py)\n"
    )
    arguments.output.write_text(header + "\n".join(pairs) + "\n", encoding="utf-8")
    print(f"wrote {len(pairs):,} pairs to {arguments.output} ({dropped} dropped: their misspelling is a word the corpus knows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
