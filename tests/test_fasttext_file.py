"""fastText's binary model checked before gensim reads it: cut short, compressed, supervised, quantized."""

import gzip
import signal
import struct
from contextlib import contextmanager

import numpy as np
import pytest

from unsup_embed.errors import VectorsFileError
from unsup_embed.fasttext_file import check_model_file
from unsup_embed.vectors import load_vectors, save_fasttext

WORDS = ["paris", "madrid", "dog", "cat", "internationalisation"]
DIM, BUCKETS = 8, 64
HEADER_BYTES = 8 + 12 * 4 + 8 + 3 * 4 + 2 * 8  # magic, version, the arguments, the dictionary's counts


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("fasttext") / "model.bin"
    rng = np.random.default_rng(0)
    settings = {"min_n": 3, "max_n": 6, "buckets": BUCKETS, "window": 5, "negative": 5, "sample": 1e-3, "epochs": 1, "architecture": "skipgram", "total_words": 100}
    input_table = rng.normal(size=(len(WORDS) + BUCKETS, DIM)).astype(np.float32)
    save_fasttext(path, WORDS, [50, 40, 30, 20, 10], input_table, rng.normal(size=(len(WORDS), DIM)).astype(np.float32), **settings)
    return path


@contextmanager
def at_most(seconds: int):
    """Fail, rather than hang, if the body runs longer than `seconds` (gensim's reader looped for ever on a cut word list)."""

    def stop(*_):
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def input_matrix_end(data: bytes) -> int:
    """The offset just past the input matrix of a model's bytes."""
    at = HEADER_BYTES
    for _ in WORDS:
        at = data.index(b"\0", at) + 1 + 9  # the word, its int64 count and int8 type
    rows, columns = struct.unpack_from("=2q", data, at + 1)  # past the quantized flag
    return at + 1 + 16 + rows * columns * 4


def test_a_whole_model_passes_and_loads(model):
    check_model_file(model)
    assert load_vectors(model).index_to_key[:2] == ["paris", "madrid"]


@pytest.mark.parametrize("where", ["its header", "its word list", "its input matrix"])
def test_a_model_cut_short_is_one_line_naming_the_file_and_where_it_ends(where, model, tmp_path):
    data = model.read_bytes()
    cut = {"its header": HEADER_BYTES - 5, "its word list": HEADER_BYTES + 3, "its input matrix": input_matrix_end(data) - 7}[where]
    path = tmp_path / "cut.bin"
    path.write_bytes(data[:cut])
    with at_most(30), pytest.raises(VectorsFileError, match=f"truncated fastText model: it ends inside {where}") as error:
        load_vectors(path)
    assert "cut.bin" in str(error.value) and "\n" not in str(error.value)


def test_a_model_cut_inside_its_output_matrix_still_gives_its_vectors(model, tmp_path):
    data = model.read_bytes()
    path = tmp_path / "cut.bin"
    path.write_bytes(data[: input_matrix_end(data) + 20])  # gensim's loader for vectors never reads the output matrix
    vectors = load_vectors(path)
    assert np.allclose(vectors["paris"], load_vectors(model)["paris"])


def test_a_compressed_model_is_refused_with_what_to_do(model, tmp_path):
    path = tmp_path / "model.bin.gz"
    path.write_bytes(gzip.compress(model.read_bytes()))
    with pytest.raises(VectorsFileError, match="compressed fastText model.*decompress it first"):
        load_vectors(path)


def test_a_quantized_model_is_refused(model, tmp_path):
    data = bytearray(model.read_bytes())
    flag = input_matrix_end(bytes(data)) - DIM * (len(WORDS) + BUCKETS) * 4 - 17
    assert data[flag] == 0
    data[flag] = 1
    path = tmp_path / "model.ftz"
    path.write_bytes(bytes(data))
    with pytest.raises(VectorsFileError, match="quantized fastText model"):
        load_vectors(path)


def test_a_supervised_model_is_refused(tmp_path):
    import fasttext

    labelled = tmp_path / "labelled.txt"
    labelled.write_text("".join(f"__label__{i % 2} word{i % 7} other{i % 5}\n" for i in range(60)))
    fasttext.FastText.eprint = lambda *_: None
    path = tmp_path / "classifier.bin"
    fasttext.train_supervised(str(labelled), epoch=1, dim=4, thread=1, verbose=0).save_model(str(path))
    with pytest.raises(VectorsFileError, match="supervised fastText model"):
        load_vectors(path)


def test_a_word2vec_file_read_as_fastText_is_told_so(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 3\n" + b"\0" * 40)
    with pytest.raises(VectorsFileError, match="not a fastText binary model"):
        load_vectors(path, "fasttext")
