import bz2
import gzip
import logging
import lzma

import pytest

from unsup_embed import corpus as corpus_module
from unsup_embed.corpus import CorpusError, TextCorpus, Tokenizer


def words(corpus):
    return [token for sentence in corpus for token in sentence]


def test_compressed_files_are_read_by_extension(tmp_path):
    gzip.open(tmp_path / "a.txt.gz", "wt").write("alpha beta\n")
    bz2.open(tmp_path / "b.txt.bz2", "wt").write("gamma\n")
    lzma.open(tmp_path / "c.xz", "wt").write("delta epsilon\n")
    (tmp_path / "d.txt").write_text("Zeta ETA\n")
    assert words(TextCorpus(tmp_path)) == ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]


def test_directory_is_walked_recursively_in_sorted_order_skipping_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("three\n")
    (tmp_path / "a.txt").write_text("one\n")
    (tmp_path / "b" / "c.txt").write_text("two\n")
    (tmp_path / ".hidden.txt").write_text("secret\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("secret\n")
    assert words(TextCorpus(tmp_path)) == ["one", "two", "three"]


def test_corpus_is_restartable(tmp_path):
    (tmp_path / "a.txt").write_text("one two\nthree\n")
    corpus = TextCorpus(tmp_path / "a.txt")
    assert list(corpus) == list(corpus) == [["one", "two"], ["three"]]


def test_single_long_line_streams_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "CHUNK_BYTES", 1000)
    monkeypatch.setattr(corpus_module, "MAX_SENTENCE_TOKENS", 300)
    vocabulary = [f"w{i}" for i in range(10)]
    text = " ".join(vocabulary[i % 10] for i in range(5000))  # ~17 kB, no newline
    (tmp_path / "line.txt").write_text(text)
    corpus = TextCorpus(tmp_path / "line.txt")
    sentences = list(corpus)
    assert [token for sentence in sentences for token in sentence] == text.split()
    assert max(len(sentence) for sentence in sentences) <= 300
    assert corpus.stats.tokens == 5000


def test_binary_file_is_skipped_with_a_warning_naming_it(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("hello world\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00\x01binary")
    corpus = TextCorpus(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert words(corpus) == ["hello", "world"]
    assert "image.png" in caplog.text and "binary" in caplog.text
    assert corpus.stats.skipped == [str(tmp_path / "image.png")]


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 ok \xff\xfe end\n")
    corpus = TextCorpus(tmp_path)
    assert words(corpus) == ["caf", "ok", "end"]
    assert corpus.stats.undecodable_bytes == 3


def test_missing_and_empty_paths_raise_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        TextCorpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="holds no files"):
        TextCorpus(tmp_path)


def test_tokenizer_options_and_no_whitespace_in_tokens():
    assert Tokenizer()("Héllo, WORLD_1 naïve!") == ["héllo", "world_1", "naïve"]
    assert Tokenizer(lowercase=False)("Hello World") == ["Hello", "World"]
    # A pattern that matches whitespace must still not produce tokens containing it.
    tokens = Tokenizer(r"[a-z ]+")("ab cd, ef")
    assert tokens == ["ab", "cd", "ef"]
    assert Tokenizer(r"(\d)+")("a 12 b 345") == ["12", "345"]
