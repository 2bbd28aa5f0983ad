import numpy as np
import pytest

from unsup_embed.text import encode as encode_module
from unsup_embed.text import read_parts as read_parts_module
from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.encode import EncodedCorpus
from unsup_embed.text.ingest import ingest

# q1, q2, q3 occur once each: out of the vocabulary at min_count 2; a, b, c get ids 0, 1, 2 (counts 4, 3, 2).
SENTENCES = [["a", "q1", "b"], ["q2"], ["c"], ["b", "b", "a", "c", "q3", "a"], ["a"]]


def encoded_corpus(tmp_path) -> EncodedCorpus:
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(sentence) + "\n" for sentence in SENTENCES))
    result = ingest(TextCorpus(path), tmp_path / "work", min_count=2, max_vocab=None, count_limit=2_000_000, processes=1, progress=False)
    assert result.vocabulary.words == ["a", "b", "c"] and result.vocabulary.counts.tolist() == [4, 3, 2]
    assert result.corpus_tokens == 12  # every token read, in the vocabulary or not
    return result.encoded


@pytest.mark.parametrize("chunk_tokens", [1, 3, 7, 1000])
def test_chunks_give_back_every_in_vocabulary_token_with_its_sentence(tmp_path, monkeypatch, chunk_tokens):
    monkeypatch.setattr(read_parts_module, "_FLUSH_TOKENS", 4)  # exercise the incremental writes
    monkeypatch.setattr(encode_module, "_REMAP_CHUNK", 3)  # and the chunked remapping
    encoded = encoded_corpus(tmp_path)
    assert len(encoded) == 9  # the out-of-vocabulary tokens are dropped
    assert encoded.sentences == 4  # and so is ["q2"], left empty
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


def test_files_on_disk_and_paired_tokens(tmp_path):
    encoded = encoded_corpus(tmp_path)
    assert np.fromfile(encoded.ids_path, dtype=np.int32).tolist() == [0, 1, 2, 1, 1, 0, 2, 0, 0]
    assert np.fromfile(encoded.ends_path, dtype=np.int64).tolist() == [2, 3, 8, 9]
    assert encoded.paired_tokens() == 7  # the one-token sentences ["c"] and ["a"] pair with nothing
    reopened = EncodedCorpus(encoded.directory)
    assert (len(reopened), reopened.sentences) == (9, 4)
    assert sorted(path.name for path in encoded.directory.iterdir()) == ["ids.i32", "sentence_ends.i64"]  # parts removed


@pytest.mark.parametrize("start, stop", [(0, 9), (1, 6), (3, 4), (4, 9), (8, 9), (5, 5)])
def test_chunks_of_a_range_start_and_stop_where_asked(tmp_path, start, stop):
    encoded = encoded_corpus(tmp_path)
    expected_ids = [0, 1, 2, 1, 1, 0, 2, 0, 0]
    expected_sentence = [0, 0, 1, 2, 2, 2, 2, 2, 3]
    ids, sentence_of = [], []
    for chunk_ids, chunk_sentences in encoded.chunks(2, start, stop):
        offset = (sentence_of[-1] + 1) if sentence_of else 0
        ids += chunk_ids.tolist()
        sentence_of += (chunk_sentences + offset).tolist()
    assert ids == expected_ids[start:stop]
    # A range cut inside a sentence keeps its part of it together, and never joins two sentences.
    for i in range(len(ids) - 1):
        if sentence_of[i] == sentence_of[i + 1]:
            assert expected_sentence[start + i] == expected_sentence[start + i + 1]
    whole = [sentence for _, sentences in encoded.chunks(100, start, stop) for sentence in sentences.tolist()]
    assert len(set(whole)) == len(set(expected_sentence[start:stop]))
