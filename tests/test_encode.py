import numpy as np
import pytest

from unsup_embed import encode as encode_module
from unsup_embed.encode import EncodedCorpus
from unsup_embed.vocab import Vocabulary


@pytest.mark.parametrize("chunk_tokens", [1, 3, 7, 1000])
def test_chunks_give_back_every_in_vocabulary_token_with_its_sentence(tmp_path, monkeypatch, chunk_tokens):
    monkeypatch.setattr(encode_module, "_FLUSH_TOKENS", 4)  # exercise the incremental writes
    vocabulary = Vocabulary(["a", "b", "c"], np.array([5, 4, 3]))
    sentences = [["a", "oov", "b"], ["oov"], ["c"], ["b", "b", "a", "c", "oov", "a"], ["a"]]
    encoded = EncodedCorpus.write(sentences, vocabulary, tmp_path / "work", progress=False)
    assert len(encoded) == 9  # the out-of-vocabulary tokens are dropped
    expected_ids = [0, 1] + [2] + [1, 1, 0, 2, 0] + [0]
    expected_sentence = [0, 0, 1, 2, 2, 2, 2, 2, 3]
    ids, sentence_of = [], []
    for chunk_ids, chunk_sentences in encoded.chunks(chunk_tokens):
        assert chunk_ids.shape == chunk_sentences.shape
        # Number sentences globally: a new chunk always starts a new number.
        offset = (sentence_of[-1] + 1) if sentence_of else 0
        ids += chunk_ids.tolist()
        sentence_of += (chunk_sentences + offset).tolist()
    assert ids == expected_ids
    # Two tokens share a sentence number only if they share a sentence.
    for i in range(len(ids) - 1):
        if sentence_of[i] == sentence_of[i + 1]:
            assert expected_sentence[i] == expected_sentence[i + 1]
    if chunk_tokens >= len(ids):
        assert sentence_of == expected_sentence
