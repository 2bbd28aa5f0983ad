"""Faults around a run: nothing the user owns is overwritten, nothing a retry can fix is lost, every failure is one line.

Each case is listed in docs/reliability.md with its outcome.
"""

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.cli import train_main
from unsup_embed.training import run as run_module

FAST = ["--epochs", "1", "--dim", "8", "--quiet"]


def run_cli(arguments, capsys):
    code = train_main([str(a) for a in arguments])
    return code, capsys.readouterr().err.strip()


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("WARNING")]


@pytest.fixture
def small_corpus(tmp_path, toy_corpus):
    path = tmp_path / "corpus.txt"
    path.write_text("".join(toy_corpus.read_text().splitlines(keepends=True)[:3000]))
    return path


def test_the_corpus_is_never_the_output_even_with_force(small_corpus, capsys):
    before = small_corpus.read_bytes()
    code, err = run_cli([small_corpus, "-o", small_corpus, "--force", *FAST], capsys)
    assert code == 2 and "is the corpus itself" in err and len(error_lines(err)) == 1
    assert small_corpus.read_bytes() == before


def test_a_file_of_the_corpus_folder_is_never_the_output(tmp_path, small_corpus, capsys):
    folder = tmp_path / "texts"
    folder.mkdir()
    shutil.copy(small_corpus, folder / "a.txt")
    before = (folder / "a.txt").read_bytes()
    code, err = run_cli([folder, "-o", folder / "a.txt", "--format", "text", "--force", *FAST], capsys)
    assert code == 2 and "is a file of the corpus folder" in err
    assert (folder / "a.txt").read_bytes() == before


def test_a_run_with_its_output_inside_the_corpus_folder_can_be_resumed(tmp_path, small_corpus, capsys, monkeypatch):
    folder = tmp_path / "texts"
    folder.mkdir()
    shutil.copy(small_corpus, folder / "a.txt")
    output = folder / "v.bin"
    with monkeypatch.context() as patch:  # stopped once its checkpoint, lock and work files lie in the folder
        patch.setattr(run_module, "export", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        code, err = run_cli([folder, "-o", output, *FAST], capsys)
    assert code == 130 and (folder / "v.bin.ckpt").is_dir()
    code, err = run_cli([folder, "-o", output, *FAST, "--resume"], capsys)
    assert code == 0, err  # the run's own files are not part of the corpus, nor of its fingerprint
    assert output.exists()


def test_one_token_per_line_is_refused_with_its_reason(tmp_path, capsys):
    corpus = tmp_path / "conll.txt"
    corpus.write_text("".join(f"word{i % 50}\n" for i in range(5000)))
    code, err = run_cli([corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 2 and "two or more in-vocabulary words" in err and "CoNLL" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["conll.txt"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--alpha", "nan"], "--alpha must be a finite number"),
        (["--ns-exponent", "inf"], "--ns-exponent must be a finite number"),
        (["--min-alpha", "-0.1"], "--min-alpha must be between 0 and --alpha"),
        (["--min-alpha", "0.5"], "--min-alpha must be between 0 and --alpha"),
        (["--dim", "100000000"], "more than the"),
        (["--dim", "5000000"], "a training step about"),  # the tables fit in 24 GB; the step does not (the OOM killer ended it)
        (["--subwords", "--buckets", "2000000000"], "+ 2,000,000,000 n-gram buckets"),  # was TensorFlow's OOM traceback
        (["--alpha", "0"], "--alpha must be positive"),
        (["--row-update-cap", "0"], "--row-update-cap must be positive"),
        (["--max-vocab", "0"], "--max-vocab must be at least 1"),
        (["--max-vocab", "1"], "the vocabulary holds one word"),  # it trained, and reported one vector as "collapsed"
        (["--threads", "-1"], "--threads must be 0 (as many as cores) or positive"),
        (["--peer-timeout", "0"], "--peer-timeout must be a positive number of seconds"),
        (["--peer-timeout", "inf"], "--peer-timeout must be a positive number of seconds"),
        (["--batch-size", "24"], "--batch-size must be a multiple of 16 up to 128, and of 128 beyond"),
        (["--batch-size", "200"], "--batch-size must be a multiple of 16 up to 128, and of 128 beyond"),
        (["--negative-group", "3"], "--negative-group must divide the row"),
        (["--architecture", "cbow", "--objective", "distance"], "--architecture cbow trains with negative sampling only"),
        (["--token-pattern", "("], "--token-pattern is not a valid regular expression"),
        (["--checkpoint-every", "soon"], "--checkpoint-every must be a duration such as 90s"),
        (["--resume"], "no checkpoint to resume in"),
    ],
)
def test_impossible_options_are_one_line_and_leave_nothing(arguments, message, tmp_path, small_corpus, capsys):
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, *arguments], capsys)
    assert code == 2 and message in err and len(error_lines(err)) == 1 and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


def test_a_work_dir_that_is_a_file_or_cannot_be_created_is_refused_before_reading(tmp_path, small_corpus, capsys, monkeypatch):
    monkeypatch.setattr(run_module, "corpus_ids", lambda *a, **k: pytest.fail("the corpus was read"))
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, "--work-dir", small_corpus], capsys)
    assert code == 2 and "is a file; give a directory" in err and len(error_lines(err)) == 1
    if Path("/proc/self").is_dir():  # a place no one can create folders in, root included (os.access says root can)
        code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, "--work-dir", "/proc/unsup-embed/work"], capsys)
        assert code == 2 and "cannot be created or written; choose another place" in err and len(error_lines(err)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_an_output_folder_no_file_can_be_made_in_is_refused_before_reading(tmp_path, small_corpus, capsys, monkeypatch):
    # os.access says root may write to /proc; nothing can be created there, and the run failed at its lock file.
    monkeypatch.setattr(run_module, "corpus_ids", lambda *a, **k: pytest.fail("the corpus was read"))
    code, err = run_cli([small_corpus, "-o", "/proc/v.bin", *FAST], capsys)
    assert code == 2 and "output directory '/proc' is not writable; choose another -o" in err and len(error_lines(err)) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_the_corpus_is_one_line(tmp_path, capsys):
    fifo = tmp_path / "corpus"
    os.mkfifo(fifo)
    code, err = run_cli([fifo, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 2 and "is not a regular file or a directory (a FIFO or a device?)" in err and len(error_lines(err)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus"]


def test_tensorboard_naming_a_file_is_refused_before_reading(tmp_path, small_corpus, capsys, monkeypatch):
    board = tmp_path / "board"
    board.write_text("not a directory")
    monkeypatch.setattr(run_module, "corpus_ids", lambda *a, **k: pytest.fail("the corpus was read"))
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, "--tensorboard", board], capsys)
    assert code == 2 and "--tensorboard" in err and "is a file" in err
    if Path("/proc/self").is_dir():  # TensorFlow's summary writer failed there with a traceback
        code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, "--tensorboard", "/proc/unsup-embed/board"], capsys)
        assert code == 2 and "--tensorboard '/proc/unsup-embed/board' cannot be created or written" in err and len(error_lines(err)) == 1


def test_a_second_run_on_the_same_output_is_told_who_holds_it(tmp_path, small_corpus, capsys, caplog):
    output = tmp_path / "v.bin"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        output.with_name("v.bin.lock").write_text(json.dumps({"pid": holder.pid, "host": os.uname().nodename}))
        code, err = run_cli([small_corpus, "-o", output, *FAST], capsys)
        assert code == 1 and f"process {holder.pid}" in err and len(error_lines(err)) == 1
    finally:
        holder.kill()
        holder.wait()
    # Its process is gone now: the lock is stale and is taken over.
    code, err = run_cli([small_corpus, "-o", output, *FAST], capsys)
    assert code == 0 and "taking over the lock" in caplog.text
    assert not output.with_name("v.bin.lock").exists()


def test_a_garbled_lock_is_taken_for_stale_and_taken_over(tmp_path, small_corpus, capsys, caplog):
    (tmp_path / "v.bin.lock").write_bytes(b"\x00not json{")
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 0 and (tmp_path / "v.bin").exists() and not (tmp_path / "v.bin.lock").exists()
    assert "taking over the lock" in caplog.text


def test_a_lock_held_on_another_host_is_refused_with_its_holder(tmp_path, small_corpus, capsys):
    lock = tmp_path / "v.bin.lock"
    lock.write_text(json.dumps({"pid": 4242, "host": "elsewhere.example"}))
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 1 and "a run on host elsewhere.example (process 4242) holds" in err and f"remove {lock}" in err
    assert len(error_lines(err)) == 1 and lock.exists() and not (tmp_path / "v.bin").exists()


def ctrl_c(*arguments, **keywords):
    raise KeyboardInterrupt


def run_stopped_at_export(arguments, capsys, monkeypatch):
    """(exit status, stderr) of a run given Ctrl-C as it starts writing the vectors: it keeps its checkpoint."""
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "export", ctrl_c)
        return run_cli(arguments, capsys)


def test_ctrl_c_while_writing_the_vectors_keeps_the_checkpoint_and_says_so(tmp_path, small_corpus, capsys, monkeypatch):
    output = tmp_path / "v.bin"
    code, err = run_stopped_at_export([small_corpus, "-o", output, *FAST], capsys, monkeypatch)
    assert code == 130
    assert "while writing the vectors" in err and "training had finished" in err and "--resume" in err
    assert (tmp_path / "v.bin.ckpt" / "state.json").exists() and not output.exists()
    # The resumed run writes the vectors without training again, and says so (not "trained the remaining 0 words ... loss nan").
    assert train_main([str(small_corpus), "-o", str(output), *FAST, "--resume"]) == 0
    summary = capsys.readouterr().out
    assert "resumed after training had finished (1 epoch(s) over" in summary and "nan" not in summary
    assert KeyedVectors.load_word2vec_format(str(output), binary=True).vector_size == 8
    assert not (tmp_path / "v.bin.ckpt").exists()


def test_resume_reads_the_corpus_again_when_its_encoded_form_is_gone(tmp_path, small_corpus, capsys, monkeypatch):
    output = tmp_path / "v.bin"
    assert run_stopped_at_export([small_corpus, "-o", output, *FAST], capsys, monkeypatch)[0] == 130
    assert (tmp_path / "v.bin.work").is_dir()
    shutil.rmtree(tmp_path / "v.bin.work")  # removed, as a user cleaning up might
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--resume"], capsys)
    assert code == 0 and KeyedVectors.load_word2vec_format(str(output), binary=True).vector_size == 8


def test_resume_refuses_a_corpus_changed_in_place_and_accepts_it_by_another_path(tmp_path, small_corpus, capsys, monkeypatch):
    output = tmp_path / "v.bin"
    assert run_stopped_at_export([small_corpus, "-o", output, *FAST], capsys, monkeypatch)[0] == 130
    # The same file by a relative path, through a link: the checkpoint holds resolved paths.
    link = tmp_path / "linked.txt"
    link.symlink_to(small_corpus)
    monkeypatch.chdir(tmp_path)
    code, err = run_stopped_at_export(["linked.txt", "-o", "v.bin", *FAST, "--resume"], capsys, monkeypatch)  # accepted, or not
    assert code == 130 and "cannot resume" not in err
    text = small_corpus.read_text()
    small_corpus.write_text(text.replace("the", "a", 1))  # the same size or not, changed in place
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--resume"], capsys)
    assert code == 2 and "cannot resume" in err and "changed since the checkpoint" in err and small_corpus.name in err
    assert len(error_lines(err)) == 1 and (tmp_path / "v.bin.ckpt" / "state.json").exists()


def test_ctrl_c_while_reading_leaves_nothing(tmp_path, small_corpus, capsys, monkeypatch):
    monkeypatch.setattr(run_module, "corpus_ids", ctrl_c)
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 130 and "while reading the corpus" in err and "nothing was written" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


def test_sigterm_while_reading_leaves_nothing(tmp_path, small_corpus, capsys, monkeypatch):
    def terminated_reading(*arguments, **keywords):
        os.kill(os.getpid(), signal.SIGTERM)  # the run's own handler turns it into an exception here
        pytest.fail("SIGTERM did not stop the reading")

    monkeypatch.setattr(run_module, "corpus_ids", terminated_reading)
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 143 and "SIGTERM while reading the corpus: stopped; nothing was written" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


@contextlib.contextmanager
def small_filesystem(path, size: str):
    """A tmpfs of `size` mounted at `path`; skips the test where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_full_disk_while_encoding_is_one_line_naming_the_path(tmp_path, small_corpus, capsys):
    with small_filesystem(tmp_path / "full", "64k") as full:
        code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST, "--work-dir", full], capsys)
        assert code == 1 and "no space left" in err.lower() and str(full) in err and len(error_lines(err)) == 1
        assert list(full.iterdir()) == []  # the half-written encoded corpus is removed
    assert not (tmp_path / "v.bin").exists()


def test_a_full_disk_for_a_checkpoint_is_refused_before_writing(tmp_path, small_corpus, capsys):
    with small_filesystem(tmp_path / "full", "160k") as full:
        output = full / "v.bin"
        code, err = run_cli([small_corpus, "-o", output, *FAST, "--dim", "100", "--work-dir", tmp_path / "work"], capsys)
        assert code == 1 and "not enough free space for a checkpoint" in err and len(error_lines(err)) == 1
        assert not output.exists()


def test_a_full_disk_while_exporting_keeps_the_training_for_resume(tmp_path, small_corpus, capsys):
    with small_filesystem(tmp_path / "full", "1200k") as full:
        output = full / "v.txt"
        arguments = [small_corpus, "-o", output, "--epochs", "1", "--dim", "200", "--quiet", "--work-dir", tmp_path / "work"]
        code, err = run_cli(arguments, capsys)
        assert code == 1 and "writing the vectors failed" in err and "no space left" in err.lower() and "--resume" in err
        assert (full / "v.txt.ckpt" / "state.json").exists() and not output.exists()
        assert not [path for path in full.iterdir() if ".partial" in path.name]  # no half-written file
        subprocess.run(["mount", "-o", "remount,size=8m", str(full)], check=True)
        code, err = run_cli([*arguments, "--resume"], capsys)
        assert code == 0, err
        assert KeyedVectors.load_word2vec_format(str(output)).vector_size == 200


def test_resume_under_another_strategy_is_refused_naming_both(tmp_path, small_corpus, capsys, monkeypatch):
    output = tmp_path / "v.bin"
    assert run_stopped_at_export([small_corpus, "-o", output, *FAST], capsys, monkeypatch)[0] == 130
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--resume", "--strategy", "mirrored"], capsys)
    assert code == 2 and len(error_lines(err)) == 1
    assert "cannot resume: the checkpoint was made by a run with --strategy default, and this one has --strategy mirrored" in err
    assert (tmp_path / "v.bin.ckpt" / "state.json").exists() and not output.exists()  # kept for a resume as it was made
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--resume"], capsys)
    assert code == 0, err


def test_non_finite_vectors_at_the_export_write_nothing_and_keep_nothing(tmp_path, small_corpus, capsys, monkeypatch):
    from unsup_embed.training.trainers import Trained

    finite = Trained.word_vectors

    def one_row_overflowed(self, vocabulary_size):
        vectors = np.array(finite(self, vocabulary_size))
        vectors[-1, 0] = np.inf  # a row the loss never saw go wrong: the loss itself stayed finite
        return vectors

    monkeypatch.setattr(Trained, "word_vectors", one_row_overflowed)
    code, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert code == 1 and len(error_lines(err)) == 1
    assert "training diverged (non-finite vectors); nothing was exported. Lower --alpha or --batch-size" in err
    # A checkpoint of non-finite tables could only fail the same way on --resume: nothing is left.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


@pytest.mark.parametrize("signal_number, code, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_after_reading_before_the_first_block_leaves_nothing(signal_number, code, name, tmp_path, small_corpus, capsys, monkeypatch):
    from unsup_embed.training import trainers

    def signalled_before_training(*arguments, **keywords):
        os.kill(os.getpid(), signal_number)  # SIGINT becomes KeyboardInterrupt, SIGTERM the run's own exception
        pytest.fail(f"{name} did not stop the run")

    monkeypatch.setattr(trainers, "train_tables", signalled_before_training)
    status, err = run_cli([small_corpus, "-o", tmp_path / "v.bin", *FAST], capsys)
    assert status == code and f"{name} while training: stopped; nothing was written" in err and len(error_lines(err)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]  # the encoded corpus is removed too


def test_a_checkpoint_write_failing_after_the_space_check_keeps_the_previous_one(tmp_path, small_corpus, capsys, monkeypatch):
    from unsup_embed.training import checkpoint as checkpoint_module

    written, real_write_table = [], checkpoint_module.write_table

    def disk_fills_at_the_second_checkpoint(path, shape, read_rows):
        written.append(path.parent.name)
        if len(set(written)) == 2:  # the second checkpoint's first table: half of it is written, then the disk is full
            path.write_bytes(b"\x93NUMPY half")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write_table(path, shape, read_rows)

    monkeypatch.setattr(checkpoint_module, "write_table", disk_fills_at_the_second_checkpoint)
    output = tmp_path / "v.bin"
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--epochs", "2", "--checkpoint-every", "1"], capsys)
    assert code == 1 and len(error_lines(err)) == 1, err
    assert "writing a checkpoint failed" in err and "no space left" in err.lower() and "is kept: free some space" in err and "--resume" in err
    directory = tmp_path / "v.bin.ckpt"
    state = json.loads((directory / "state.json").read_text())
    first = written[0].lstrip(".").removesuffix(".partial")
    assert [step["name"] for step in state["steps"]] == [first]  # the state names the checkpoint before the failure
    assert sorted(path.name for path in directory.iterdir()) == sorted(["state.json", "vocab.tsv", first])  # the half-written one is gone
    assert not output.exists()
    monkeypatch.setattr(checkpoint_module, "write_table", real_write_table)  # space freed: the run goes on from there
    code, err = run_cli([small_corpus, "-o", output, *FAST, "--epochs", "2", "--checkpoint-every", "1", "--resume"], capsys)
    assert code == 0, err
    assert KeyedVectors.load_word2vec_format(str(output), binary=True).vector_size == 8


def test_a_permission_error_while_exporting_keeps_the_checkpoint_and_names_the_remedy(tmp_path, small_corpus, capsys, monkeypatch):
    from unsup_embed.training import export as export_module

    output = tmp_path / "v.bin"

    def refused(path, *arguments, **keywords):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(export_module, "save_word2vec", refused)
        code, err = run_cli([small_corpus, "-o", output, *FAST], capsys)
    assert code == 1 and len(error_lines(err)) == 1
    assert f"writing the vectors failed ({output}): Permission denied" in err
    assert "is kept: make that place writable, then run the same command with --resume" in err and "space" not in err
    assert (tmp_path / "v.bin.ckpt" / "state.json").exists() and not output.exists()
    assert run_cli([small_corpus, "-o", output, *FAST, "--resume"], capsys)[0] == 0


def test_an_os_error_no_check_foresaw_is_one_line_with_its_path_and_exit_1(capsys):
    from unsup_embed.cli.common import run_command

    def failing_read():
        raise OSError(errno.EIO, "Input/output error", "/mnt/flaky/vectors.bin")  # a disk failing under a command

    assert run_command("unsup-embed evaluate", failing_read) == 1
    err = capsys.readouterr().err.strip()
    assert err == "unsup-embed evaluate: error: Input/output error (/mnt/flaky/vectors.bin)"
