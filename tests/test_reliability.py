"""Bad input answered with one line, tolerable junk skipped with a warning, and
outputs that never appear half-written. Each case is listed in docs/reliability.md."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time


from unsup_embed.text import corpus as corpus_module
from unsup_embed.cli import train_main
from unsup_embed.text.corpus import TextCorpus


def run_cli(arguments, capsys):
    code = train_main([str(a) for a in arguments] + ["--quiet"])
    return code, capsys.readouterr().err.strip()


def assert_one_line_error(code, error, expected):
    assert code == 2
    assert expected in error, error
    assert len(error.splitlines()) == 1 and "Traceback" not in error


def test_empty_directory(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    code, error = run_cli([tmp_path / "corpus", "-o", tmp_path / "v.bin"], capsys)
    assert_one_line_error(code, error, "holds no files")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_directory_of_empty_files(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("")
    (tmp_path / "corpus" / "b.txt").write_text("\n\n")
    code, error = run_cli([tmp_path / "corpus", "-o", tmp_path / "v.bin"], capsys)
    assert_one_line_error(code, error, "holds no tokens")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_directory_of_binary_files(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.png").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "corpus" / "b.bin").write_bytes(bytes(range(256)))
    code, error = run_cli([tmp_path / "corpus", "-o", tmp_path / "v.bin"], capsys)
    assert_one_line_error(code, error, "could be read as text")
    assert "a.png" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_output_directory_not_writable(tmp_path, capsys, toy_corpus, monkeypatch):
    # Tests may run as root, for whom permission bits do not bind: the check creates a folder there, refused here.
    real_mkdtemp = tempfile.mkdtemp

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and str(dir) == str(tmp_path):
            raise PermissionError(13, "Permission denied", str(dir))
        return real_mkdtemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    code, error = run_cli([toy_corpus, "-o", tmp_path / "v.bin"], capsys)
    assert_one_line_error(code, error, "is not writable")


def test_unreadable_file_is_skipped_and_named(tmp_path, caplog, monkeypatch):
    def refuse(path, mode):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setitem(corpus_module._OPENERS, ".locked", refuse)
    (tmp_path / "a.txt").write_text("readable words\n")
    (tmp_path / "secret.locked").write_text("never read\n")
    corpus = TextCorpus(tmp_path)
    assert [token for sentence in corpus for token in sentence] == ["readable", "words"]
    assert "secret.locked" in caplog.text and "Permission denied" in caplog.text
    assert corpus.stats.skipped == [str(tmp_path / "secret.locked")]


def test_symbolic_link_loops_are_skipped(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("some words\n")
    os.symlink("self", tmp_path / "self")  # a file link to itself
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")  # a directory cycle
    corpus = TextCorpus(tmp_path)
    assert [token for sentence in corpus for token in sentence] == ["some", "words"]
    assert corpus.stats.skipped == [str(tmp_path / "self")]
    assert "self" in caplog.text


KILLED_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np
    from unsup_embed.vectors import save_word2vec
    words = [f"w{i}" for i in range(300_000)]
    save_word2vec(sys.argv[1], words, np.ones((len(words), 100), dtype=np.float32), binary=False)
    """
)


def test_kill_during_export_leaves_nothing_under_the_final_name(tmp_path):
    target = tmp_path / "vectors.txt"
    process = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(target)])
    deadline = time.monotonic() + 120
    partial = []
    while time.monotonic() < deadline and not partial:
        partial = [p for p in tmp_path.iterdir() if ".partial" in p.name and p.stat().st_size > 0]
        time.sleep(0.01)
    assert partial, "the export never started writing"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not target.exists()
    assert all(p.name.startswith(".") for p in tmp_path.iterdir())  # only the hidden temporary
