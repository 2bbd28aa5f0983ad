"""Vector files: what save_word2vec writes, load_vectors reads back; what gensim would load wrongly is refused."""

import bz2
import errno
import gzip
import logging
import os
import struct
import time

import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.errors import ConfigError, InputError, VectorsFileError
from unsup_embed.files import atomic_path
from unsup_embed.training.preflight import check_output
from unsup_embed import vectors as vectors_module
from unsup_embed.vectors import load_vectors, output_format, save_word2vec, sniff_layout

WORDS = ["the", "naïve", "東京", "x_1", "café"]


def _vectors(dim: int = 7) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(WORDS), dim)).astype(np.float32)


@pytest.mark.parametrize("name, binary", [("v.bin", True), ("v.txt", False), ("v.vec", False)])
def test_round_trip_through_gensim_keeps_words_order_and_values(tmp_path, name, binary):
    vectors = _vectors()
    path = tmp_path / name
    assert output_format(path) == ("binary" if binary else "text")
    save_word2vec(path, WORDS, vectors, binary=binary)
    # What gensim (and so fastText's and word2vec's tools) read, and what our reader reads.
    for loaded in (KeyedVectors.load_word2vec_format(str(path), binary=binary), load_vectors(path)):
        assert loaded.index_to_key == WORDS
        assert np.allclose(loaded.vectors, vectors, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left behind


def test_binary_output_is_the_word2vec_c_layout_byte_for_byte(tmp_path):
    vectors = _vectors(dim=3)
    save_word2vec(tmp_path / "v.bin.gz", WORDS, vectors, binary=True)
    # word2vec.c's writer: fprintf("%lld %lld\n"), then per word fprintf("%s ", word), fwrite(float), fprintf("\n").
    expected = b"5 3\n" + b"".join(
        word.encode("utf-8") + b" " + b"".join(struct.pack("<f", value) for value in row) + b"\n" for word, row in zip(WORDS, vectors.tolist())
    )
    with gzip.open(tmp_path / "v.bin.gz", "rb") as stream:
        assert stream.read() == expected
    assert load_vectors(tmp_path / "v.bin.gz").index_to_key == WORDS


@pytest.mark.parametrize("name", ["v.vec", "v.vec.gz"])
def test_text_output_gives_every_float32_back_exactly(tmp_path, name):
    vectors = _vectors()
    vectors[0] = [1e-38, -3.4e38, 0.1, 1 / 3, -0.0, 123456.789, 2.0**-20]  # tiny, huge, inexact in decimal
    save_word2vec(tmp_path / name, WORDS, vectors, binary=False)
    loaded = KeyedVectors.load_word2vec_format(str(tmp_path / name), binary=False)
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, vectors)


def test_a_failed_text_write_leaves_nothing_under_the_final_name(tmp_path, monkeypatch):
    import unsup_embed.vectors as vectors_module

    def full_disk(path, words, vectors):
        path.write_text("5 7\nhalf a li")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(vectors_module, "_write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_word2vec(tmp_path / "v.vec", WORDS, _vectors(), binary=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, layout",
    [
        ("v.vec.gz", "word2vec-text"),
        ("v.txt.gz", "word2vec-text"),
        ("v.bin.gz", "word2vec-binary"),
        ("v.vec.bz2", "word2vec-text"),
        ("v.bin.bz2", "word2vec-binary"),
    ],
)
def test_compressed_outputs_are_read_back_with_the_right_layout(tmp_path, name, layout):
    vectors = _vectors()
    path = tmp_path / name
    binary = output_format(path) == "binary"
    assert binary == (layout == "word2vec-binary")
    save_word2vec(path, WORDS, vectors, binary=binary)
    opener = gzip.open if name.endswith(".gz") else bz2.open
    with opener(path, "rb") as stream:  # really compressed, not merely named so
        assert stream.readline() == f"{len(WORDS)} 7\n".encode()
    assert sniff_layout(path) == layout
    loaded = load_vectors(path)
    assert loaded.index_to_key == WORDS
    assert np.allclose(loaded.vectors, vectors, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_truncated_binary_file_fails_with_one_line_naming_it(tmp_path):
    path = tmp_path / "v.bin"
    save_word2vec(path, WORDS, np.ones((len(WORDS), 50), dtype=np.float32), binary=True)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(VectorsFileError, match="truncated") as error:
        load_vectors(path)
    assert "v.bin" in str(error.value) and "\n" not in str(error.value)


def test_failed_write_leaves_nothing_under_the_final_name(tmp_path, monkeypatch):
    def full_disk(path, *args, **kwargs):
        with open(path, "wb") as stream:
            stream.write(b"5 7\nhalf a fi")  # part of the file is on disk when the write fails
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(vectors_module, "_write_binary", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_word2vec(tmp_path / "v.bin", WORDS, _vectors(), binary=True)
    assert list(tmp_path.iterdir()) == []  # neither v.bin nor the temporary
    (tmp_path / "v.bin").write_bytes(b"previous vectors")
    with pytest.raises(OSError, match="No space left"):
        save_word2vec(tmp_path / "v.bin", WORDS, _vectors(), binary=True)
    assert [p.name for p in tmp_path.iterdir()] == ["v.bin"]
    assert (tmp_path / "v.bin").read_bytes() == b"previous vectors"  # the old file is untouched


def test_atomic_path_renames_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary != target
        temporary.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    with pytest.raises(KeyError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise KeyError("stopped")
    assert target.read_text() == "done" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_output_checks_happen_before_training(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("some text\n")
    with pytest.raises(ConfigError, match="does not exist"):
        check_output(tmp_path / "missing" / "v.bin", corpus, force=False)
    (tmp_path / "v.bin").write_text("old")
    with pytest.raises(ConfigError, match="--force"):
        check_output(tmp_path / "v.bin", corpus, force=False)
    check_output(tmp_path / "v.bin", corpus, force=True)
    (tmp_path / "dir.bin").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        check_output(tmp_path / "dir.bin", corpus, force=True)
    with pytest.raises(ConfigError, match="extension"):
        output_format(tmp_path / "v.out")
    assert output_format(tmp_path / "v.out", "text") == "text"
    assert output_format(tmp_path / "v.txt.gz") == "text"
    assert output_format(tmp_path / "v.bin.bz2") == "binary"


def test_output_is_never_the_corpus_even_with_force(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("some text\n")
    for force in (False, True):
        with pytest.raises(ConfigError, match="is the corpus itself"):
            check_output(corpus, corpus, force=force)
    # A new file inside a corpus folder is allowed (the run leaves its own files out of the corpus).
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("text\n")
    check_output(folder / "vectors.bin", folder, force=False)


def test_force_never_replaces_a_file_of_a_corpus_folder(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("the user's text\n")
    with pytest.raises(ConfigError):
        check_output(folder / "a.txt", folder, force=True)


# --- what load_vectors refuses or repairs, where gensim alone would go wrong ---


@pytest.mark.parametrize("layout", ["word2vec-text", "glove", "word2vec-binary"])
def test_word_listed_twice_keeps_its_first_vector(tmp_path, layout, caplog):
    rows = [("the", [0.1, 0.2]), ("film", [0.3, 0.4]), ("the", [0.5, 0.6]), ("good", [0.7, 0.8])]
    path = tmp_path / {"word2vec-text": "v.vec", "glove": "v.txt", "word2vec-binary": "v.bin"}[layout]
    if layout == "word2vec-binary":
        path.write_bytes(b"4 2\n" + b"".join(word.encode() + b" " + np.float32(row).tobytes() + b"\n" for word, row in rows))
    else:
        header = "4 2\n" if layout == "word2vec-text" else ""
        path.write_text(header + "".join(f"{word} {row[0]} {row[1]}\n" for word, row in rows))
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        loaded = load_vectors(path)
    assert loaded.index_to_key == ["the", "film", "good"]
    assert None not in loaded.key_to_index and len(loaded.vectors) == 3
    np.testing.assert_allclose(loaded["the"], [0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(loaded["good"], [0.7, 0.8], rtol=1e-6)
    assert "more than once" in caplog.text and path.name in caplog.text


@pytest.mark.parametrize("binary", [False, True])
def test_header_claiming_a_trillion_words_fails_fast_without_allocating(tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.vec")
    if binary:
        path.write_bytes(b"1000000000000 3\nthe " + np.ones(3, np.float32).tobytes() + b"\n")
    else:
        path.write_text("1000000000000 3\nthe 0.1 0.2 0.3\nfilm 0.4 0.5 0.6\n")
    started = time.perf_counter()
    with pytest.raises(VectorsFileError, match="the header says 1,000,000,000,000 words") as error:
        load_vectors(path)
    assert time.perf_counter() - started < 2.0
    assert path.name in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "name, content",
    [
        ("nan.vec", b"3 2\nthe 0.1 nan\nfilm 0.3 0.4\nok 1 2\n"),
        ("inf.vec", b"2 2\nthe 0.1 0.2\nfilm inf 0.4\n"),
        ("nan.txt", b"the 0.1 0.2\nfilm -inf 0.4\n"),  # GloVe layout
        ("nan.bin", b"2 2\nthe " + np.float32([0.1, np.nan]).tobytes() + b"\nfilm " + np.float32([1, 2]).tobytes() + b"\n"),
    ],
)
def test_non_finite_values_are_refused_naming_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VectorsFileError, match="NaN or infinite") as error:
        load_vectors(path)
    assert name in str(error.value) and "\n" not in str(error.value)


def test_glove_file_without_header_loads(tmp_path):
    path = tmp_path / "glove.6B.3d.txt"
    path.write_text("the 0.1 0.2 0.3\n, -1 0 1\nfilm 0.4 0.5 0.6\n")
    assert sniff_layout(path) == "glove"
    loaded = load_vectors(path)
    assert loaded.index_to_key == ["the", ",", "film"] and loaded.vector_size == 3
    np.testing.assert_allclose(loaded[","], [-1, 0, 1])


def test_directory_and_missing_file_are_named(tmp_path):
    with pytest.raises(VectorsFileError, match="is a directory") as error:
        load_vectors(tmp_path)
    assert str(tmp_path) in str(error.value)
    with pytest.raises(VectorsFileError, match="does not exist"):
        load_vectors(tmp_path / "nope.vec")
    with pytest.raises(VectorsFileError, match="is a directory"):
        sniff_layout(tmp_path)
    if hasattr(os, "mkfifo"):  # it exists, so "does not exist" would mislead
        os.mkfifo(tmp_path / "pipe.vec")
        with pytest.raises(VectorsFileError, match=r"is not a regular file \(a FIFO or a device\?\)"):
            load_vectors(tmp_path / "pipe.vec")


def test_vectors_file_error_is_an_input_error():
    assert issubclass(VectorsFileError, InputError) and issubclass(VectorsFileError, ValueError)
    assert VectorsFileError.exit_status == 2


def test_a_text_file_with_a_latin1_word_is_read_as_text_not_binary(tmp_path):
    # Its first lines do not decode as UTF-8; the sniffer took it for binary, and gensim read numbers out of the text.
    path = tmp_path / "latin.vec"
    path.write_bytes("2 2\ncaf\xe9 0.1 0.2\ntea 0.3 0.4\n".encode("latin-1"))
    assert sniff_layout(path) == "word2vec-text"
    vectors = load_vectors(path)
    np.testing.assert_allclose(vectors["tea"], [0.3, 0.4])
    assert vectors.index_to_key[0].startswith("caf")
