"""Checkpoints and resume, tested as a user meets them: real processes, real signals."""

import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from gensim.models import KeyedVectors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# Small enough to run in seconds, long enough to be interrupted half way:
# 4 epochs of ~300 blocks of one step of 128 centre words.
OPTIONS = ["--epochs", "4", "--dim", "16", "--batch-size", "128", "--steps-per-call", "1", "--checkpoint-every", "6", "--quiet"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, toy_corpus):
    path = tmp_path_factory.mktemp("corpus") / "small.txt"
    path.write_text("".join(toy_corpus.read_text().splitlines(keepends=True)[:6000]))
    return path


def start(corpus, output, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), *OPTIONS, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for_checkpoint(process, output, epochs_done=0, steps_done=1, timeout=120):
    state = output.with_name(output.name + ".ckpt") / "state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be interrupted"
        try:
            position = json.loads(state.read_text())["position"]
            if position["epoch"] >= epochs_done and position["steps"] >= steps_done:
                return position
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    raise AssertionError("no checkpoint appeared")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, corpus):
    output = tmp_path_factory.mktemp("whole") / "v.bin"
    code, _, err = finish(start(corpus, output))
    assert code == 0, err
    return KeyedVectors.load_word2vec_format(str(output), binary=True)


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory, corpus):
    """A run killed with SIGKILL after its first checkpoints: its directory."""
    directory = tmp_path_factory.mktemp("killed")
    process = start(corpus, directory / "v.bin")
    wait_for_checkpoint(process, directory / "v.bin", steps_done=12)
    process.kill()
    process.wait()
    return directory


def error_lines(err: str) -> list[str]:
    """stderr without warnings (a killed run leaves a stale lock, which the next run takes over with a warning)."""
    return [line for line in err.strip().splitlines() if not line.startswith("WARNING")]


def fresh_copy(killed_run, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(killed_run, target)
    return target / "v.bin"


def test_sigint_half_way_then_resume_matches_an_uninterrupted_run(tmp_path, corpus, uninterrupted, toy_questions):
    output = tmp_path / "v.bin"
    process = start(corpus, output)
    wait_for_checkpoint(process, output, epochs_done=2)
    process.send_signal(signal.SIGINT)
    code, _, err = finish(process)
    assert code == 130
    assert "--resume" in err and "checkpoint saved" in err
    assert not output.exists()  # nothing exported by an interrupted run

    code, _, err = finish(start(corpus, output, "--resume"))
    assert code == 0, err
    resumed = KeyedVectors.load_word2vec_format(str(output), binary=True)
    assert resumed.index_to_key == uninterrupted.index_to_key
    # The pair stream is a function of (seed, epoch), so the resumed run retraces the same steps.
    np.testing.assert_allclose(resumed.vectors, uninterrupted.vectors, rtol=1e-5, atol=1e-6)
    figures = [v.evaluate_word_analogies(str(toy_questions))[0] for v in (resumed, uninterrupted)]
    assert figures[0] == figures[1]
    assert not output.with_name("v.bin.ckpt").exists()  # a finished run cleans up


def test_sigterm_saves_a_checkpoint_and_exits_143(tmp_path, corpus):
    output = tmp_path / "v.bin"
    process = start(corpus, output)
    wait_for_checkpoint(process, output, steps_done=6)
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 143 and "--resume" in err


def test_kill_9_then_resume_restarts_from_the_last_checkpoint(killed_run, tmp_path, corpus):
    output = fresh_copy(killed_run, tmp_path)
    saved = json.loads((output.with_name("v.bin.ckpt") / "state.json").read_text())["position"]
    assert saved["steps"] >= 12
    process = subprocess.run(
        [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), *[o for o in OPTIONS if o != "--quiet"], "--resume"],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"resuming at epoch {saved['epoch'] + 1}, step {saved['steps']:,}" in process.stderr  # not from zero
    assert "reusing the encoded corpus" in process.stderr
    assert KeyedVectors.load_word2vec_format(str(output), binary=True).vector_size == 16


def test_unfinished_run_is_not_silently_overwritten(killed_run, tmp_path, corpus):
    output = fresh_copy(killed_run, tmp_path)
    code, _, err = finish(start(corpus, output))
    assert code == 2 and "--resume" in err and "--force" in err
    code, _, err = finish(start(corpus, output, "--force"))
    assert code == 0, err


def test_resume_with_other_options_is_refused_naming_them(killed_run, tmp_path, corpus):
    output = fresh_copy(killed_run, tmp_path)
    code, _, err = finish(start(corpus, output, "--resume", "--window", "3"))
    assert code == 2
    assert "--window 5 -> 3" in err and len(error_lines(err)) == 1


def test_resume_with_a_changed_corpus_is_refused(killed_run, tmp_path, corpus):
    output = fresh_copy(killed_run, tmp_path)
    changed = tmp_path / "small.txt"
    changed.write_text(corpus.read_text() + "one more line\n")
    code, _, err = finish(start(changed, output, "--resume"))
    assert code == 2 and "corpus files differ" in err


@pytest.mark.parametrize("damage", ["state", "shape"])
def test_corrupt_state_is_refused_in_one_line(killed_run, tmp_path, corpus, damage):
    output = fresh_copy(killed_run, tmp_path)
    state = output.with_name("v.bin.ckpt") / "state.json"
    if damage == "state":
        state.write_text('{"format": "unsup-embed checkpoint v3", "posit')
    else:  # valid JSON of the wrong shape
        state.write_text(json.dumps({"format": "unsup-embed checkpoint v3", "position": [1, 2], "steps": "none"}))
    code, _, err = finish(start(corpus, output, "--resume"))
    assert code == 2
    assert "corrupt" in err and len(error_lines(err)) == 1 and "Traceback" not in err


@pytest.mark.slow  # two resumed runs, some 11 s
def test_a_damaged_checkpoint_falls_back_to_the_previous_one_and_all_damaged_is_refused(killed_run, tmp_path, corpus):
    output = fresh_copy(killed_run, tmp_path)
    directory = output.with_name("v.bin.ckpt")
    steps = json.loads((directory / "state.json").read_text())["steps"]
    assert len(steps) == 2  # the newest and the one before it
    newest = directory / steps[0]["name"] / "input.npy"
    newest.write_bytes(newest.read_bytes()[:100])
    process = subprocess.run(
        [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), *[o for o in OPTIONS if o != "--quiet"], "--resume"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"{steps[0]['name']}" in process.stderr and "damaged" in process.stderr
    assert f"step {steps[1]['position']['steps']:,}" in process.stderr  # resumed from the older one

    output = fresh_copy(killed_run, tmp_path / "again")
    directory = output.with_name("v.bin.ckpt")
    for data in directory.glob("step-*/input.npy"):
        data.write_bytes(b"\x93NUMPY garbage")
    code, _, err = finish(start(corpus, output, "--resume"))
    assert code == 2 and "damaged" in err and len(error_lines(err)) == 1


def test_non_finite_loss_stops_naming_the_step_and_exports_nothing(tmp_path, corpus):
    output = tmp_path / "v.bin"
    code, _, err = finish(start(corpus, output, "--alpha", "1e30"))
    assert code == 1
    assert re.search(r"diverged between steps \d+ and \d+", err) and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no checkpoint yet, so nothing is kept
