"""Source vector files: the three layouts load, bad files fail in one line, rows align to a vocabulary."""

import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.errors import VectorsFileError
from unsup_embed.fusion.sources import RESERVED, Coverage, embedding_matrix
from unsup_embed.vectors import load_vectors, sniff_layout

WORDS = ["the", "film", "good", "bad"]
VECTORS = np.arange(12, dtype=np.float32).reshape(4, 3) / 10


def _keyed() -> KeyedVectors:
    keyed = KeyedVectors(vector_size=3)
    keyed.add_vectors(WORDS, VECTORS)
    return keyed


@pytest.mark.parametrize("layout", ["word2vec-text", "word2vec-binary", "glove", "glove-gz"])
def test_every_layout_loads_with_the_same_vectors(tmp_path, layout):
    path = tmp_path / {"word2vec-text": "v.vec", "word2vec-binary": "v.bin", "glove": "v.txt", "glove-gz": "v.txt.gz"}[layout]
    if layout.startswith("word2vec"):
        _keyed().save_word2vec_format(str(path), binary=layout == "word2vec-binary")
    else:
        lines = "".join(f"{word} {' '.join(map(str, row))}\n" for word, row in zip(WORDS, VECTORS.tolist()))
        if layout == "glove-gz":
            with gzip.open(path, "wt") as stream:
                stream.write(lines)
        else:
            path.write_text(lines)  # GloVe: no "count dim" header line
    assert sniff_layout(path) == layout.removesuffix("-gz")
    loaded = load_vectors(path)
    assert loaded.index_to_key == WORDS
    np.testing.assert_allclose(loaded.vectors, VECTORS, rtol=1e-6)


def test_binary_file_named_txt_is_still_read_as_binary(tmp_path):
    path = tmp_path / "vectors.txt"
    _keyed().save_word2vec_format(str(path), binary=True)
    np.testing.assert_allclose(load_vectors(path).vectors, VECTORS)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"hello world this is prose\nnot vectors\n", "is not a vectors file"),
        (b"3 2\nthe 0.1 0.2\nfilm 0.3\n", "is not a readable word2vec-text file"),
        (b"the 0.1 0.2\nfilm 0.3 0.4 0.5\n", "is not a readable glove file"),
        # One value in a row of two: gensim 4.4 broadcast it ([0.3, 0.3]) and loaded the file without a word.
        (b"3 2\nthe 0.1 0.2\nfilm 0.3\nend 0.5 0.6\n", "word2vec-text file: line 3 holds 1 values where its header says 2"),
        (b"the 0.1 0.2\nfilm 0.3\nend 0.5 0.6\n", "glove file: line 2 holds 1 values where its first line has 2"),
    ],
)
def test_malformed_files_raise_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(VectorsFileError, match=message) as error:
        load_vectors(path)
    assert "bad.vec" in str(error.value) and "\n" not in str(error.value)


def test_truncated_binary_file_fails_loudly(tmp_path):
    path = tmp_path / "v.bin"
    _keyed().save_word2vec_format(str(path), binary=True)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(VectorsFileError, match="truncated"):
        load_vectors(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(VectorsFileError, match="does not exist"):
        load_vectors(tmp_path / "nope.vec")


def test_embedding_matrix_follows_the_vocabulary_and_counts_coverage():
    vocabulary = [*RESERVED, "good", "plot", "film"]  # TextVectorization.get_vocabulary() layout
    assert RESERVED == ("", "[UNK]")
    matrix, coverage = embedding_matrix(_keyed(), vocabulary, name="toy")
    assert matrix.shape == (5, 3) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[[0, 1, 3]], 0)  # padding, OOV and the unknown "plot"
    np.testing.assert_allclose(matrix[2], VECTORS[2])
    np.testing.assert_allclose(matrix[4], VECTORS[1])
    assert (coverage.found, coverage.total) == (2, 3)
    assert coverage.describe() == "toy: 2 of 3 words found (66.7%; 1 missing)"


def test_embedding_matrix_takes_a_mapping_and_a_path(tmp_path):
    path = tmp_path / "v.vec"
    _keyed().save_word2vec_format(str(path))
    matrix, coverage = embedding_matrix(path, {"bad": 1, "the": 3})
    assert matrix.shape == (4, 3) and coverage.name == "v.vec" and coverage.found == 2
    np.testing.assert_allclose(matrix[3], VECTORS[0])


def test_coverage_of_an_empty_vocabulary_and_as_dict():
    coverage = Coverage("none", 0, 0)
    assert coverage.share == 0.0 and coverage.missing == 0
    assert Coverage("toy", 2, 3).as_dict() == {"found": 2, "total": 3, "share": 0.6667, "from_ngrams": 0}
    assert Coverage("toy", 2, 3, 1).as_dict()["from_ngrams"] == 1
    matrix, coverage = embedding_matrix(_keyed(), ["", "[UNK]"])
    assert matrix.shape == (2, 3) and not matrix.any() and (coverage.found, coverage.total) == (0, 0)


def test_embedding_matrix_of_a_bad_path_raises_the_vectors_error(tmp_path):
    (tmp_path / "bad.vec").write_text("not vectors at all\n")
    with pytest.raises(VectorsFileError, match="bad.vec"):
        embedding_matrix(tmp_path / "bad.vec", ["good"])
