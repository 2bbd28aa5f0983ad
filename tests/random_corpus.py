"""A corpus of random words, written and encoded, for the tests of the blocks a step trains."""

import numpy as np

from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest


def encoded_random_corpus(directory, lines: int, words: int, longest: int):
    """`lines` lines of 1..longest-1 words drawn from w0..w{words-1}, written in `directory` and encoded (ingest's result)."""
    rng = np.random.default_rng(0)
    text = [" ".join(f"w{rng.integers(0, words)}" for _ in range(rng.integers(1, longest))) for _ in range(lines)]
    (directory / "corpus.txt").write_text("\n".join(text) + "\n")
    return ingest(TextCorpus(directory / "corpus.txt"), directory / "work", 1, None, 10_000, progress=False)
