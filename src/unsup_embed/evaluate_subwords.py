"""Evaluation of a subword model (fastText's), where a word the model never saw still has a vector.

gensim's `evaluate_word_analogies` and `evaluate_word_pairs` skip every
question or pair with a word outside the vocabulary. A fastText model can
answer those words from their character n-grams, and that is the point of
it, so here they are answered, and counted:

- word pairs: the Spearman correlation over every pair whose two words have
  a vector, in the vocabulary or from their n-grams (matched without case,
  as gensim matches them);
- analogies (3CosAdd, as gensim's `most_similar`: the sum of the unit
  vectors of b and c minus a's, against the unit vectors of the `restrict`
  most frequent words, the three question words left out): every question
  whose expected answer is among those words, with a, b or c answered from
  n-grams where they are unseen. A question whose answer is outside them
  cannot be answered by any model and is skipped, as gensim skips it.

On a question set without unseen words, the figures equal gensim's.
"""

from __future__ import annotations

import os

import numpy as np


def spelling_in(vectors):
    """A function from a word to the vocabulary's spelling of it, matched without case as gensim matches (the most frequent spelling wins); an unknown word comes back lower-cased."""
    lowered = {word.lower(): word for word in reversed(vectors.index_to_key)}
    return lambda word: lowered.get(word.lower(), word.lower())


def pair_figures(vectors, pairs_file: str | os.PathLike) -> tuple[float, float, float, int]:
    """(Spearman, Pearson, share of pairs skipped, pairs answered from n-grams)."""
    from scipy.stats import pearsonr, spearmanr

    spelled = spelling_in(vectors)
    similarities, scores, from_ngrams, total = [], [], 0, 0
    for line in _lines(pairs_file):
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        try:
            score = float(fields[2])
        except ValueError:
            continue
        total += 1
        first, second = (spelled(word) for word in fields[:2])
        unseen = sum(word not in vectors.key_to_index for word in (first, second))
        similarities.append(float(vectors.similarity(first, second)))
        scores.append(score)
        from_ngrams += unseen > 0
    if len(scores) < 2:
        return float("nan"), float("nan"), 1.0, from_ngrams
    return float(spearmanr(similarities, scores)[0]), float(pearsonr(similarities, scores)[0]), 1.0 - len(scores) / max(total, 1), from_ngrams


def analogy_figures(vectors, questions: str | os.PathLike, restrict: int | None):
    """(per-section (correct, evaluated), questions, questions answered with a word from n-grams)."""
    candidates = vectors.index_to_key[: restrict or len(vectors.index_to_key)]
    allowed = {word: row for row, word in enumerate(candidates)}
    unit = _unit(vectors.vectors[: len(candidates)])
    sections: dict[str, list[int]] = {}
    section, asked, from_ngrams = "", 0, 0
    batch: list[tuple[str, list[str]]] = []
    for line in _lines(questions):
        if line.startswith(":"):
            section = line[1:].strip()
            sections.setdefault(section, [0, 0])
            continue
        words = [word.lower() for word in line.split()]
        if len(words) != 4:
            continue
        asked += 1
        # As gensim: every word must be among the allowed ones; here, an unseen word may stand in too.
        if words[3] not in allowed or any(word in vectors.key_to_index and word not in allowed for word in words[:3]):
            continue
        from_ngrams += any(word not in vectors.key_to_index for word in words[:3])
        batch.append((section, words))
    for start in range(0, len(batch), 1024):
        chunk = batch[start : start + 1024]
        query = np.stack([_unit(vectors[b]) + _unit(vectors[c]) - _unit(vectors[a]) for _, (a, b, c, _) in chunk])
        scores = _unit(query) @ unit.T
        for row, (_, words) in enumerate(chunk):
            for word in words[:3]:
                if word in allowed:
                    scores[row, allowed[word]] = -np.inf
        for (name, words), best in zip(chunk, scores.argmax(axis=1)):
            sections[name][0] += int(candidates[best] == words[3])
            sections[name][1] += 1
    return sections, asked, from_ngrams


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _lines(path: str | os.PathLike) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as stream:
        return [line.strip() for line in stream if line.strip() and not line.startswith("#")]
