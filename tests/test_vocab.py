import numpy as np
import pytest

from unsup_embed.vocab import Vocabulary, VocabularyError


def test_ids_by_descending_frequency_ties_by_first_appearance():
    sentences = [["b", "a", "c", "a"], ["c", "d", "a"]]
    vocabulary = Vocabulary.build(sentences, min_count=1, progress=False)
    assert vocabulary.words == ["a", "c", "b", "d"]
    assert vocabulary.counts.tolist() == [3, 2, 1, 1]
    assert vocabulary.index["a"] == 0


def test_min_count_and_max_vocab():
    sentences = [["a"] * 5 + ["b"] * 4 + ["c"] * 3]
    assert Vocabulary.build(sentences, min_count=4, progress=False).words == ["a", "b"]
    assert Vocabulary.build(sentences, min_count=1, max_vocab=1, progress=False).words == ["a"]


def test_no_word_reaching_min_count_is_a_clear_error():
    with pytest.raises(VocabularyError, match="lower --min-count"):
        Vocabulary.build([["a", "b", "a"]], min_count=5, progress=False)


def test_counting_prunes_rare_tokens_to_stay_bounded():
    # 5,000 distinct junk tokens seen once, interleaved with frequent words.
    sentences = [[f"junk{i}", "the", "cat"] for i in range(5000)]
    vocabulary = Vocabulary.build(sentences, min_count=1, count_limit=1000, progress=False)
    assert vocabulary.words[:2] == ["the", "cat"]
    assert vocabulary.counts[:2].tolist() == [5000, 5000]
    assert len(vocabulary) <= 1001


def test_save_and_load_round_trip(tmp_path):
    vocabulary = Vocabulary(["the", "naïve", "x"], np.array([10, 5, 5]))
    vocabulary.save(tmp_path / "v.tsv")
    assert (tmp_path / "v.tsv").read_text(encoding="utf-8") == "the\t10\nnaïve\t5\nx\t5\n"
    loaded = Vocabulary.load(tmp_path / "v.tsv")
    assert loaded.words == vocabulary.words and loaded.counts.tolist() == [10, 5, 5]
