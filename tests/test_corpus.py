import bz2
import gzip
import logging
import lzma
import os
import threading
import zipfile

import pytest

from unsup_embed.errors import CorpusError
from unsup_embed.text import corpus as corpus_module
from unsup_embed.text.corpus import TextCorpus, corpus_files
from unsup_embed.text.tokenizer import Tokenizer


def words(corpus):
    return [token for sentence in corpus for token in sentence]


def test_compressed_files_are_read_by_extension(tmp_path):
    gzip.open(tmp_path / "a.txt.gz", "wt").write("alpha beta\n")
    bz2.open(tmp_path / "b.txt.bz2", "wt").write("gamma\n")
    lzma.open(tmp_path / "c.xz", "wt").write("delta epsilon\n")
    (tmp_path / "d.txt").write_text("Zeta ETA\n")
    assert words(TextCorpus(tmp_path)) == ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]


def test_a_zip_is_read_as_its_text_members_one_after_another(tmp_path):
    with zipfile.ZipFile(tmp_path / "corpus.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("text8", "alpha beta gamma")  # no newline at the end: the next member is not joined to it
        archive.writestr("more/", "")
        archive.writestr("more/b.txt", "delta\nepsilon zeta\n")
        archive.writestr("__MACOSX/more/._b.txt", "\x00\x05binary metadata")
        archive.writestr(".hidden", "secret")
    corpus = TextCorpus(tmp_path / "corpus.zip")
    assert list(corpus) == [["alpha", "beta", "gamma"], ["delta"], ["epsilon", "zeta"]]
    assert list(corpus) == [["alpha", "beta", "gamma"], ["delta"], ["epsilon", "zeta"]]  # restartable
    assert corpus.stats.skipped == []


def test_a_broken_zip_is_skipped_and_named(tmp_path, caplog):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "ok.txt").write_text("one two\n")
    corpus = TextCorpus(tmp_path)
    assert words(corpus) == ["one", "two"]
    assert corpus.stats.skipped == [str(tmp_path / "broken.zip")] and "broken.zip" in caplog.text


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


@pytest.mark.parametrize(
    "encoding, said",
    [
        ("utf-16", "is UTF-16 text (it starts with a UTF-16 byte-order mark); convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8"),
        ("utf-32", "is UTF-32 text"),
        ("utf-16-le", "looks like UTF-16LE text (every other byte is NUL); convert it to UTF-8, e.g. iconv -f UTF-16LE -t UTF-8"),
        ("utf-16-be", "looks like UTF-16BE text"),
    ],
)
def test_text_in_utf16_or_utf32_is_skipped_with_the_conversion_that_would_read_it(encoding, said, tmp_path, caplog):
    (tmp_path / "good.txt").write_text("hello world\n")
    (tmp_path / "wide.txt").write_bytes("the cat sat on the mat\n".encode(encoding))
    corpus = TextCorpus(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert words(corpus) == ["hello", "world"]
    assert f"wide.txt: {said}" in caplog.text and corpus.stats.skipped == [str(tmp_path / "wide.txt")]


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 ok \xff\xfe end\n")
    corpus = TextCorpus(tmp_path)
    assert words(corpus) == ["caf", "ok", "end"]
    assert corpus.stats.undecodable_bytes == 3


def test_undecodable_counts_belong_to_their_own_corpus_even_when_read_interleaved(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "CHUNK_BYTES", 64)  # many blocks per file
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "a.txt").write_bytes(b"caf\xe9 word\n" * 200)  # 200 bad bytes
    (tmp_path / "b" / "b.txt").write_bytes(b"clean words only\n" * 100)  # none
    first, second = TextCorpus(tmp_path / "a"), TextCorpus(tmp_path / "b")
    first_sentences, second_sentences = iter(first), iter(second)
    for a, b in zip(first_sentences, second_sentences):  # one block of each in turn
        pass
    list(first_sentences)
    list(second_sentences)
    assert (first.stats.undecodable_bytes, second.stats.undecodable_bytes) == (200, 0)


def test_missing_and_empty_paths_raise_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        TextCorpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="holds no files"):
        TextCorpus(tmp_path)


def test_corpus_error_is_an_input_error():
    from unsup_embed.errors import InputError, UnsupEmbedError

    assert issubclass(CorpusError, InputError) and issubclass(CorpusError, ValueError)
    assert issubclass(CorpusError, UnsupEmbedError) and CorpusError.exit_status == 2


def test_tokenizer_options_and_no_whitespace_in_tokens():
    assert Tokenizer()("Héllo, WORLD_1 naïve!") == ["héllo", "world_1", "naïve"]
    assert Tokenizer(lowercase=False)("Hello World") == ["Hello", "World"]
    # A pattern that matches whitespace must still not produce tokens containing it.
    tokens = Tokenizer(r"[a-z ]+")("ab cd, ef")
    assert tokens == ["ab", "cd", "ef"]
    assert Tokenizer(r"(\d)+")("a 12 b 345") == ["12", "345"]


# --- files that are not text, odd names, runs without whitespace, excluded outputs ---


def _read_in_thread(make_corpus, timeout: float = 10.0):
    """Build and read a corpus in a thread; returns (words, corpus) or fails instead of hanging."""
    result: dict = {}

    def read():
        try:
            corpus = make_corpus()
            result["words"] = words(corpus)
            result["corpus"] = corpus
        except BaseException as error:  # handed to the test thread
            result["error"] = error

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout)
    return thread, result


def test_fifo_in_a_corpus_folder_is_skipped_with_a_warning_without_hanging(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("hello world\n")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        thread, result = _read_in_thread(lambda: TextCorpus(tmp_path))
    if thread.is_alive():
        # Unblock the reader stuck in open() so the daemon thread can end, then fail.
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(descriptor)
        thread.join(5)
        pytest.fail("reading a corpus folder holding a FIFO blocked")
    if "error" in result:
        raise result["error"]
    assert result["words"] == ["hello", "world"]
    assert fifo not in result["corpus"].files
    assert any("pipe.txt" in record.getMessage() and "not a regular file" in record.getMessage() for record in caplog.records)


def test_file_name_with_a_newline_is_warned_about_on_one_line(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("hello\n")
    (tmp_path / "bad\nname.bin").write_bytes(b"\x00\x01\x02 binary")
    corpus = TextCorpus(tmp_path)
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        assert words(corpus) == ["hello"]
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "\n" not in warnings[0] and "\r" not in warnings[0]
    assert "bad\\nname.bin" in warnings[0]  # the name, escaped, is still recognisable
    assert corpus.stats.skipped == [str(tmp_path / "bad\nname.bin")]


def test_line_without_whitespace_longer_than_a_chunk_logs_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus_module, "CHUNK_BYTES", 1000)  # stands for 1 MiB
    run = "x" * 20_000  # longer than a chunk and than the first (sniffed) block
    (tmp_path / "run.txt").write_text(f"first line\n{run}\nnext line\n")
    corpus = TextCorpus(tmp_path / "run.txt")
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        sentences = list(corpus)
    assert sentences[0] == ["first", "line"] and sentences[-1] == ["next", "line"]
    assert "".join(token for sentence in sentences[1:-1] for token in sentence) == run  # every character kept
    assert max(len(token) for sentence in sentences for token in sentence) < len(run)  # cut, not held whole
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "without whitespace" in warnings[0] and "run.txt" in warnings[0]
    assert corpus.stats.warnings == warnings


def test_run_without_whitespace_after_a_space_is_cut_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus_module, "CHUNK_BYTES", 1000)
    run = "x" * 20_000
    (tmp_path / "run.txt").write_text(f"start {run} end\n")
    corpus = TextCorpus(tmp_path / "run.txt")
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        tokens = words(corpus)
    assert tokens[0] == "start" and tokens[-1] == "end" and "".join(tokens[1:-1]) == run
    assert "without whitespace" in caplog.text
    assert max(len(token) for token in tokens) < len(run)


def test_ordinary_long_lines_are_not_warned_about(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus_module, "CHUNK_BYTES", 1000)
    (tmp_path / "line.txt").write_text(" ".join(["word"] * 3000))
    with caplog.at_level(logging.WARNING, logger="unsup_embed"):
        assert len(words(TextCorpus(tmp_path))) == 3000
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_excluded_paths_inside_the_corpus_folder_are_not_read(tmp_path):
    (tmp_path / "a.txt").write_text("kept text\n")
    (tmp_path / "vectors.vec").write_text("2 1\nkept 0.1\ntext 0.2\n")  # a run's own output
    (tmp_path / "work").mkdir()  # a run's work folder
    (tmp_path / "work" / "notes.txt").write_text("scratch words\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("more text\n")
    exclude = [tmp_path / "vectors.vec", tmp_path / "work"]
    corpus = TextCorpus(tmp_path, exclude=exclude)
    assert corpus.files == [tmp_path / "a.txt", tmp_path / "sub" / "b.txt"]
    assert words(corpus) == ["kept", "text", "more", "text"]
    # Relative and absolute spellings of the same path are both honoured.
    relative = os.path.relpath(tmp_path / "vectors.vec")
    assert tmp_path / "vectors.vec" not in corpus_files(tmp_path, exclude=[relative])
