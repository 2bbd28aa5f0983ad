#!/usr/bin/env python3
"""Write a synthetic corpus with a very large vocabulary, for the scaling benchmark.

    python scripts/make_zipf_corpus.py zipf.txt                     # the defaults below
    python scripts/make_zipf_corpus.py OUT.txt --words 20000000 --vocabulary 2500000 --exponent 1.0 --seed 1

The corpus is --words tokens, --words-per-line to a line, separated by single
spaces. Every token is one of --vocabulary distinct word strings, "w" plus
the word's rank in base 36 (w0, w1, ..., wz, w10, ...: frequent words are
short, as in real text), drawn independently from a Zipf-like distribution:

    p(rank r) = (1 - flat) * r**-exponent / H + flat / vocabulary,   r = 1..vocabulary

with H the sum of r**-exponent over the ranks: Zipf's law with --exponent,
mixed with a share --flat-tail of draws that are uniform over the whole
vocabulary. The flat share is what makes the tail heavy enough: over
2,500,000 ranks, 20,000,000 pure Zipf draws with exponent 1.0 reach only
about 1.71 million distinct words (most of the tail is never drawn), while
with the default 10% flat share about 2.11 million occur, and the head keeps
a realistic shape (the commonest word is about 6% of the tokens, as "the" is
in English). So with min_count 1 a trainer sees a vocabulary of over 2
million words (2,113,291 with the defaults and --seed 1); with min_count 5
about 407,000.

There is no meaning in the text (every token is independent of its
neighbours): it measures throughput and memory against vocabulary size, not
the quality of the vectors. The script prints how many distinct words
occurred, and how many occurred at least 5 times.

Draws are NumPy-vectorised (inverse CDF by binary search) and written in
chunks of --chunk words, so 20 million words (89 MiB) take about 9 s on one
core and under 200 MB of memory. The same arguments and --seed give the
same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

DIGITS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="text file to write")
    parser.add_argument("--words", type=int, default=20_000_000, help="tokens in the corpus (default: %(default)s)")
    parser.add_argument("--vocabulary", type=int, default=2_500_000, help="distinct word strings that can be drawn (default: %(default)s)")
    parser.add_argument("--exponent", type=float, default=1.0, help="Zipf exponent of the rank distribution (default: %(default)s)")
    parser.add_argument(
        "--flat-tail",
        type=float,
        default=0.1,
        help="share of draws uniform over the whole vocabulary, which makes the tail heavy (default: %(default)s)",
    )
    parser.add_argument("--words-per-line", type=int, default=20, help="tokens per line (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="words drawn and written at a time (default: %(default)s)")
    arguments = parser.parse_args()
    if arguments.words < 1 or arguments.vocabulary < 1 or arguments.words_per_line < 1 or arguments.chunk < 1:
        parser.error("--words, --vocabulary, --words-per-line and --chunk must be positive")
    if not 0.0 <= arguments.flat_tail <= 1.0:
        parser.error("--flat-tail must be between 0 and 1")
    if arguments.exponent < 0:
        parser.error("--exponent must not be negative")

    started = time.perf_counter()
    counts = write_corpus(
        arguments.output,
        words=arguments.words,
        vocabulary=arguments.vocabulary,
        exponent=arguments.exponent,
        flat_tail=arguments.flat_tail,
        words_per_line=arguments.words_per_line,
        seed=arguments.seed,
        chunk=arguments.chunk,
    )
    seconds = time.perf_counter() - started
    size = arguments.output.stat().st_size
    print(
        f"wrote {arguments.output}: {arguments.words:,} words, {size / 2**20:,.0f} MiB in {seconds:.1f} s; "
        f"{int((counts > 0).sum()):,} distinct words occurred (min_count 1) of {arguments.vocabulary:,}, "
        f"{int((counts >= 5).sum()):,} at least 5 times; the commonest is {counts.max() / arguments.words:.1%} of the tokens"
    )
    return 0


def rank_cdf(vocabulary: int, exponent: float, flat_tail: float) -> np.ndarray:
    """Cumulative probability of ranks 1..vocabulary (float64, last entry exactly 1)."""
    zipf = np.arange(1, vocabulary + 1, dtype=np.float64) ** -exponent
    zipf /= zipf.sum()
    probabilities = (1.0 - flat_tail) * zipf + flat_tail / vocabulary
    cdf = np.cumsum(probabilities)
    cdf /= cdf[-1]
    return cdf


def word_table(vocabulary: int) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of every word ("w" + base-36 id, no leading zeros) as a (vocabulary, width) uint8 table, and each word's length."""
    ids = np.arange(vocabulary, dtype=np.int64)
    digits = 1
    while 36**digits < vocabulary:
        digits += 1
    id_lengths = np.ones(vocabulary, dtype=np.int64)  # base-36 digits of each id (0 has one)
    for power in range(1, digits):
        id_lengths += ids >= 36**power
    table = np.zeros((vocabulary, 1 + digits), dtype=np.uint8)
    table[:, 0] = ord("w")
    for position in range(digits):  # most significant digit first
        valid = position < id_lengths
        power = 36 ** (id_lengths[valid] - 1 - position)
        table[valid, 1 + position] = DIGITS[(ids[valid] // power) % 36]
    return table, id_lengths + 1


def write_corpus(
    output: Path,
    *,
    words: int,
    vocabulary: int,
    exponent: float,
    flat_tail: float,
    words_per_line: int,
    seed: int,
    chunk: int,
) -> np.ndarray:
    """Write the corpus; return how often each word id was drawn."""
    rng = np.random.default_rng(seed)
    cdf = rank_cdf(vocabulary, exponent, flat_tail)
    table, lengths = word_table(vocabulary)
    counts = np.zeros(vocabulary, dtype=np.int64)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as stream:
        done = 0
        while done < words:
            size = min(chunk, words - done)
            ids = np.searchsorted(cdf, rng.random(size), side="right")
            np.minimum(ids, vocabulary - 1, out=ids)  # guard: random() < 1 == cdf[-1] already keeps ids in range
            counts += np.bincount(ids, minlength=vocabulary)
            stream.write(render(ids, table, lengths, first_index=done, words_per_line=words_per_line, last=done + size == words))
            done += size
    return counts


def render(ids: np.ndarray, table: np.ndarray, lengths: np.ndarray, *, first_index: int, words_per_line: int, last: bool) -> bytes:
    """The bytes of these tokens, each followed by a space, or a newline at the end of a line (and of the corpus)."""
    word_lengths = lengths[ids]
    ends = np.cumsum(word_lengths + 1)  # one separator after each word
    starts = ends - word_lengths - 1
    buffer = np.empty(int(ends[-1]), dtype=np.uint8)
    for position in range(table.shape[1]):
        present = word_lengths > position
        buffer[starts[present] + position] = table[ids[present], position]
    line_end = (np.arange(first_index, first_index + ids.size) + 1) % words_per_line == 0
    if last:
        line_end[-1] = True
    buffer[ends - 1] = np.where(line_end, ord("\n"), ord(" "))
    return buffer.tobytes()


if __name__ == "__main__":
    sys.exit(main())
