from collections import Counter

import numpy as np
import pytest

from unsup_embed.errors import InputError, VocabularyError
from unsup_embed.text import read_parts as read_parts_module
from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest
from unsup_embed.text.vocab import Vocabulary


def counted(sentences) -> tuple[Counter, int]:
    """Counts in first-appearance order, as the ingestion pass hands them to `from_counts`."""
    tokens = [token for sentence in sentences for token in sentence]
    return Counter(tokens), len(tokens)


def ingested_vocabulary(tmp_path, sentences, min_count=1, max_vocab=None, count_limit=2_000_000) -> Vocabulary:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(sentence) + "\n" for sentence in sentences))
    return ingest(TextCorpus(path), tmp_path / "work", min_count, max_vocab, count_limit, processes=1, progress=False).vocabulary


def test_ids_by_descending_frequency_ties_by_first_appearance(tmp_path):
    sentences = [["b", "a", "c", "a"], ["c", "d", "a"]]
    for vocabulary in (Vocabulary.from_counts(*counted(sentences), min_count=1), ingested_vocabulary(tmp_path, sentences)):
        assert vocabulary.words == ["a", "c", "b", "d"]
        assert vocabulary.counts.tolist() == [3, 2, 1, 1]
        assert vocabulary.index["a"] == 0 and "d" in vocabulary and "e" not in vocabulary
        assert vocabulary.total == 7


def test_min_count_and_max_vocab(tmp_path):
    sentences = [["a"] * 5 + ["b"] * 4 + ["c"] * 3]
    assert Vocabulary.from_counts(*counted(sentences), min_count=4).words == ["a", "b"]
    assert Vocabulary.from_counts(*counted(sentences), min_count=1, max_vocab=1).words == ["a"]
    assert ingested_vocabulary(tmp_path / "one", sentences, min_count=4).words == ["a", "b"]
    assert ingested_vocabulary(tmp_path / "two", sentences, max_vocab=1).words == ["a"]


def test_tokens_longer_than_a_word_may_be_are_left_out_whatever_their_count(tmp_path, caplog):
    longest, junk = "w" * 100, "x" * 200_000  # a run of raw text no word is: encoded data, a sequence, dashes
    sentences = [[junk, longest, "a"]] * 6 + [["x" * 101, "b"]] * 5
    for vocabulary in (Vocabulary.from_counts(*counted(sentences), min_count=5), ingested_vocabulary(tmp_path, sentences, min_count=5)):
        assert vocabulary.words == [longest, "a", "b"]  # 100 characters is still a word (ties: first seen first)
    assert "left out 2 token(s) seen at least 5 times but longer than 100 characters" in caplog.text
    assert "200,000 characters" in caplog.text and junk not in caplog.text  # named by its start, not printed whole


def test_a_corpus_whose_frequent_tokens_are_all_too_long_is_not_told_to_lower_min_count():
    with pytest.raises(VocabularyError, match="every token seen at least 5 times is longer than 100 characters") as raised:
        Vocabulary.from_counts(*counted([["x" * 300]] * 5 + [["y"]]), min_count=5)
    assert "--min-count" not in str(raised.value)


def test_no_word_reaching_min_count_is_a_clear_error(tmp_path):
    with pytest.raises(VocabularyError, match="lower --min-count"):
        Vocabulary.from_counts(*counted([["a", "b", "a"]]), min_count=5)
    with pytest.raises(VocabularyError, match=r"most frequent occurs 2 times\); lower --min-count"):
        ingested_vocabulary(tmp_path, [["a", "b", "a"]], min_count=5)
    assert issubclass(VocabularyError, InputError)


def test_corpus_without_tokens_is_a_clear_error(tmp_path):
    with pytest.raises(VocabularyError, match="holds no tokens"):
        Vocabulary.from_counts(Counter(), 0)
    (tmp_path / "punctuation.txt").write_text("... !!! ,,,\n")
    with pytest.raises(VocabularyError, match="holds no tokens"):
        ingest(TextCorpus(tmp_path / "punctuation.txt"), tmp_path / "work", 1, None, 2_000_000, processes=1, progress=False)


def test_counting_prunes_rare_tokens_to_stay_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(read_parts_module, "_FLUSH_TOKENS", 64)  # check the limit often, as a big corpus does
    # 5,000 distinct junk tokens seen once, interleaved with frequent words.
    sentences = [[f"junk{i}", "the", "cat"] for i in range(5000)]
    vocabulary = ingested_vocabulary(tmp_path, sentences, min_count=1, count_limit=1000)
    assert vocabulary.words[:2] == ["the", "cat"]
    assert vocabulary.counts[:2].tolist() == [5000, 5000]
    assert len(vocabulary) <= 1000 + 64  # the limit, plus what one flush may add


def test_save_and_load_round_trip(tmp_path):
    vocabulary = Vocabulary(["the", "naïve", "x"], np.array([10, 5, 5]))
    vocabulary.save(tmp_path / "v.tsv")
    assert (tmp_path / "v.tsv").read_text(encoding="utf-8") == "the\t10\nnaïve\t5\nx\t5\n"
    loaded = Vocabulary.load(tmp_path / "v.tsv")
    assert loaded.words == vocabulary.words and loaded.counts.tolist() == [10, 5, 5]
    assert loaded.digest() == vocabulary.digest()


def test_malformed_vocabulary_file_names_the_line(tmp_path):
    (tmp_path / "v.tsv").write_text("the\t10\nbroken line\n")
    with pytest.raises(VocabularyError, match="line 2: expected 'word<TAB>count'"):
        Vocabulary.load(tmp_path / "v.tsv")


def test_subsampling_and_noise_table_follow_word2vec():
    vocabulary = Vocabulary(["a", "b", "c"], np.array([900, 90, 10]))
    assert vocabulary.keep_probabilities(0).tolist() == [1.0, 1.0, 1.0]
    keep = vocabulary.keep_probabilities(1e-2)  # threshold 10: (sqrt(f/t) + 1) * t / f
    np.testing.assert_allclose(keep, [(np.sqrt(90) + 1) / 90, (np.sqrt(9) + 1) / 9, 1.0], rtol=1e-6)
    table = vocabulary.noise_table(size=10_000)
    shares = np.bincount(table, minlength=3) / len(table)
    expected = np.array([900, 90, 10]) ** 0.75
    np.testing.assert_allclose(shares, expected / expected.sum(), atol=2e-3)


@pytest.mark.parametrize("exponent", [0.75, 0.5, 0.0])
def test_a_run_draws_its_noise_words_by_count_to_the_ns_exponent(exponent):
    from unsup_embed.config import TrainConfig
    from unsup_embed.training.trainers import noise_words
    from unsup_embed.word2vec.blocks import BlockShape

    vocabulary = Vocabulary(["a", "b", "c"], np.array([900, 90, 10]))
    noise = noise_words(vocabulary, TrainConfig(ns_exponent=exponent), BlockShape.for_batch(1024, 4, 5))
    shares = np.bincount(noise.table, minlength=3) / len(noise.table)
    expected = np.array([900, 90, 10]) ** exponent  # 0.5 is fastText's; 0: every word alike
    np.testing.assert_allclose(shares, expected / expected.sum(), atol=2e-3)
