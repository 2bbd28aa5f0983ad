import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.config import ConfigError
from unsup_embed.export import check_output_path, output_format, save_word2vec


WORDS = ["the", "naïve", "東京", "x_1", "café"]


@pytest.mark.parametrize("name, binary", [("v.bin", True), ("v.txt", False), ("v.vec", False)])
def test_round_trip_through_gensim_keeps_words_order_and_values(tmp_path, name, binary):
    vectors = np.random.default_rng(0).normal(size=(len(WORDS), 7)).astype(np.float32)
    path = tmp_path / name
    assert output_format(path) == ("binary" if binary else "text")
    save_word2vec(path, WORDS, vectors, binary=binary)
    loaded = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert loaded.index_to_key == WORDS
    assert np.allclose(loaded.vectors, vectors, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left behind


def test_truncated_binary_file_fails_loudly(tmp_path):
    vectors = np.ones((len(WORDS), 50), dtype=np.float32)
    path = tmp_path / "v.bin"
    save_word2vec(path, WORDS, vectors, binary=True)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises((EOFError, ValueError)):
        KeyedVectors.load_word2vec_format(str(path), binary=True)


def test_failed_write_leaves_nothing_under_the_final_name(tmp_path):
    vectors = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(Exception):
        save_word2vec(tmp_path / "v.bin", ["only-one-word"], vectors, binary=True)
    assert list(tmp_path.iterdir()) == []


def test_output_checks_happen_before_training(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "v.bin")
    (tmp_path / "v.bin").write_text("old")
    with pytest.raises(ConfigError, match="--force"):
        check_output_path(tmp_path / "v.bin")
    check_output_path(tmp_path / "v.bin", force=True)
    with pytest.raises(ConfigError, match="extension"):
        output_format(tmp_path / "v.out")
    assert output_format(tmp_path / "v.out", "text") == "text"
    assert output_format(tmp_path / "v.txt.gz") == "text"
