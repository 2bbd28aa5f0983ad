"""The vocabulary of a labelled task: the words of its training text, as token ids for a classifier.

Id 0 is padding and id 1 out-of-vocabulary, then the words by descending
frequency: the layout of Keras' `TextVectorization.get_vocabulary()`, so the
rows of `embedding_matrix` line up with either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..errors import LabelledError
from ..text.tokenizer import Tokenizer
from ..text.vocab import Vocabulary


class TaskVocabulary:
    """The training text's words: id 0 is padding, 1 out-of-vocabulary, then by frequency."""

    PADDING, OUT_OF_VOCABULARY = 0, 1

    def __init__(self, words: Sequence[str]):
        self.words = ["", "[UNK]", *words]  # the layout of TextVectorization.get_vocabulary()
        self.index = {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: Tokenizer, min_count: int = 1) -> "TaskVocabulary":
        counts = Counter()
        for text in texts:
            counts.update(tokenizer(text))
        if not counts:
            raise LabelledError(f"the training examples ({len(texts):,}) hold no tokens: their texts are empty, or nothing in them matches --token-pattern")
        return cls(Vocabulary.from_counts(counts, sum(counts.values()), min_count).words)

    def encode(self, texts: Sequence[str], tokenizer: Tokenizer, max_length: int) -> np.ndarray:
        """(texts, length) int32 ids, padded with 0 and cut to `max_length` tokens."""
        encoded = [[self.index.get(token, self.OUT_OF_VOCABULARY) for token in tokenizer(text)][:max_length] for text in texts]
        ids = np.zeros((len(encoded), max(1, max(map(len, encoded), default=1))), dtype=np.int32)
        for row, sequence in enumerate(encoded):
            ids[row, : len(sequence)] = sequence
        return ids
