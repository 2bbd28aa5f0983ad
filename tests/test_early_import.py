"""TensorFlow is imported in a thread while the reading pass's worker processes read the corpus."""

import gc
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fresh_interpreter import ROOT, run_script

from unsup_embed.training import run, startup

# A fresh interpreter, so that the reading pass may fork (it does not once
# TensorFlow is loaded), with parts small enough that the shipped corpus is
# read by two worker processes.
RUN_SCRIPT = """
import json, sys, threading
from unsup_embed.config import RunOptions, TrainConfig
from unsup_embed.text import ingest
from unsup_embed.training import run
ingest.PART_BYTES = 1
ingest.os.cpu_count = lambda: 2  # two parts on any machine
started = []
def recorded(*arguments):
    started.append((sys.modules.get("tensorflow") is None, threading.current_thread() is threading.main_thread()))
    return real(*arguments)
real, run.import_training_in_background = run.import_training_in_background, recorded
result = run.train(sys.argv[1], sys.argv[2], TrainConfig(epochs=1, dim=16, seed=3), RunOptions(quiet=True))
print(json.dumps({"started": started, "vectors": str(result.vectors_path), "gensim": "gensim" in sys.modules}))
"""


@pytest.mark.slow  # a whole run in a fresh interpreter with two reading processes: some 10 s
def test_a_run_imports_tensorflow_while_worker_processes_read(tmp_path):
    result = run_script(RUN_SCRIPT, str(ROOT / "data" / "toy_world.txt"), str(tmp_path / "toy.bin"))
    # Once, from the main thread, before TensorFlow was loaded; and the run finished.
    assert result["started"] == [[True, True]]
    assert Path(result["vectors"]).stat().st_size > 0
    assert result["gensim"] is False  # a word2vec run writes its vectors without gensim


def test_the_background_import_loads_the_trainers_and_for_subwords_gensim(monkeypatch):
    imported = []
    monkeypatch.setattr(startup.importlib, "import_module", imported.append)
    for subwords in (False, True):
        thread = startup.import_training_in_background(subwords)
        thread.join(30)
        assert not thread.is_alive()
    # A word2vec run writes its vectors without gensim; fastText's model is written through it.
    imported = [name for name in imported if name != "jax"]  # the JAX backend starts its devices, in a thread of its own
    assert imported == ["unsup_embed.training.trainers", "unsup_embed.training.trainers", "gensim.models"]


def test_a_failed_background_import_is_left_to_the_main_thread(monkeypatch):
    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda arguments: raised.append(arguments.exc_value))

    def broken(name):
        raise ImportError(f"no {name} here")

    monkeypatch.setattr(startup.importlib, "import_module", broken)
    thread = startup.import_training_in_background()
    thread.join(30)
    assert not thread.is_alive()
    assert raised == []  # no traceback from the thread: the main thread's own import reports it


@pytest.fixture
def nothing_frozen():
    """As in the command line's process: no objects frozen before a run (some test runners' plugins freeze their own)."""
    gc.unfreeze()


def test_the_collector_is_off_until_started_up_then_the_survivors_are_frozen_until_the_end(nothing_frozen):
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with startup.garbage_collector_paused_until_started() as started_up:
        assert not gc.isenabled()
        started_up()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failure_before_start_up_turns_the_collector_back_on(nothing_frozen):
    with pytest.raises(RuntimeError), startup.garbage_collector_paused_until_started():
        raise RuntimeError("the corpus could not be read")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_caller_that_turned_the_collector_off_keeps_it_off(nothing_frozen):
    gc.disable()
    try:
        with startup.garbage_collector_paused_until_started() as started_up:
            started_up()
            assert not gc.isenabled() and gc.get_freeze_count() == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_reads_without_the_collector_and_ends_with_it_as_before(tmp_path, monkeypatch, nothing_frozen):
    from unsup_embed.config import RunOptions, TrainConfig

    reading = []

    def recorded(*arguments, **keywords):
        reading.append(gc.isenabled())
        return real(*arguments, **keywords)

    real = run.corpus_ids
    monkeypatch.setattr(run, "corpus_ids", recorded)
    result = run.train(ROOT / "data" / "toy_world.txt", tmp_path / "toy.bin", TrainConfig(epochs=1, dim=16, seed=3), RunOptions(quiet=True))
    assert reading == [False] and result.vectors_path.stat().st_size > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_jax_takes_gpu_memory_as_needed_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv(startup.PREALLOCATE, raising=False)
    startup.jax_memory_as_needed()
    assert startup.os.environ[startup.PREALLOCATE] == "false"
    monkeypatch.setenv(startup.PREALLOCATE, "true")  # the user's own setting stays
    startup.jax_memory_as_needed()
    assert startup.os.environ[startup.PREALLOCATE] == "true"


def test_keras_extras_can_be_left_out_of_an_import_and_come_back_after_it(monkeypatch):
    monkeypatch.delitem(startup.sys.modules, "colorsys", raising=False)
    with startup.modules_left_out(["colorsys", "json"]):
        with pytest.raises(ImportError):
            importlib.import_module("colorsys")
        import json  # imported before: left as it was

        assert json.dumps([1]) == "[1]"
    import colorsys

    assert colorsys.rgb_to_hsv(1, 0, 0)[0] == 0


def test_a_command_line_run_imports_the_trainers_without_keras_extras(monkeypatch):
    seen = {}

    def import_module(name):
        seen[name] = {extra: startup.sys.modules.get(extra, "absent") for extra in startup.KERAS_EXTRAS}

    monkeypatch.setattr(startup.importlib, "import_module", import_module)
    for extra in startup.KERAS_EXTRAS:
        monkeypatch.delitem(startup.sys.modules, extra, raising=False)
    startup.import_training_in_background(subwords=True, keras_extras=False).join(30)
    assert all(state is None for state in seen["unsup_embed.training.trainers"].values())  # each import of them fails there
    assert all(state == "absent" for state in seen["gensim.models"].values())  # and works again after


KERAS_WITHOUT_EXTRAS = """
import json, sys
from unsup_embed.training.startup import KERAS_EXTRAS, modules_left_out
with modules_left_out(KERAS_EXTRAS):
    import unsup_embed.training.trainers
import keras
print(json.dumps({"callbacks": hasattr(keras, "callbacks"), "left": [name for name in KERAS_EXTRAS if name in sys.modules]}))
"""


def test_keras_and_its_backend_import_whole_with_the_extras_left_out():
    # Keras and its backend (TensorFlow here) import nothing of KERAS_EXTRAS without a guard; TensorFlow does import
    # requests so, which is why requests is not among them.
    result = run_script(KERAS_WITHOUT_EXTRAS)
    assert result == {"callbacks": True, "left": []}


# Two reading processes that stop in the middle of their part (each writes its pid, then waits),
# so that a signal surely comes while they read.
READING_SCRIPT = """
import os, sys, time
from unsup_embed.cli import train_main
from unsup_embed.text import ingest, read_parts
ingest.PART_BYTES = 1
ingest.os.cpu_count = lambda: 2
def stuck(job, *arguments):
    with open(os.path.join(sys.argv[3], f"worker-{os.getpid()}"), "w"):
        pass
    time.sleep(120)
read_parts._read_part = stuck
sys.exit(train_main([sys.argv[1], "-o", sys.argv[2], "--epochs", "1", "--dim", "8", "--quiet"]))
"""


def process_is_gone(pid: int) -> bool:
    """No such process, or one that has ended and waits only to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.slow  # two runs in fresh interpreters: some 10 s
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
@pytest.mark.parametrize(
    "signal_number, whole_group, code",
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],  # Ctrl-C reaches every process of the terminal's group; `kill` one
)
def test_a_signal_while_worker_processes_read_stops_them_all_and_leaves_nothing(tmp_path, signal_number, whole_group, code):
    corpus, output, marks = ROOT / "data" / "toy_world.txt", tmp_path / "out" / "v.bin", tmp_path / "marks"
    output.parent.mkdir()
    marks.mkdir()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", READING_SCRIPT, str(corpus), str(output), str(marks)],
        stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "the reading processes did not start"
            time.sleep(0.05)
        workers = [int(mark.name.split("-")[1]) for mark in marks.iterdir()]
        if whole_group:
            os.killpg(process.pid, signal_number)
        else:
            process.send_signal(signal_number)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    name = signal.Signals(signal_number).name
    assert process.returncode == code and f"{name} while reading the corpus: stopped; nothing was written" in err, err[-2000:]
    assert all(process_is_gone(pid) for pid in workers)  # no reading process outlives the run
    assert list(output.parent.iterdir()) == []  # nothing half-written: no parts, no encoded corpus
