"""Compiled steps kept between runs (training/compile_cache.py): where TensorFlow writes, what is published, what turns it off."""

import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from unsup_embed.training import compile_cache

FLAG = "--tf_xla_persistent_cache_directory"


@pytest.fixture
def fresh(monkeypatch):
    """No process cache yet, and TF_XLA_FLAGS restored after the test (TensorFlow in this process has read it already)."""
    monkeypatch.setattr(compile_cache, "_process_cache", None)
    monkeypatch.setattr(compile_cache.atexit, "register", lambda function: None)
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    return monkeypatch


def _kept(root: Path) -> Path:
    (kept,) = [path for path in root.iterdir() if path.is_dir()]
    return kept


def _keep(kept: Path, name: str, data: bytes) -> Path:
    """A kept entry as a publish leaves it: TensorFlow's name, then the digest of the bytes."""
    kept.mkdir(parents=True, exist_ok=True)
    staged = kept / f".staged-{name}"
    staged.write_bytes(data)
    entry = kept / f"{name}.{compile_cache._digest(staged)}"
    staged.rename(entry)
    return entry


def _names(kept: Path) -> list[str]:
    """TensorFlow's names of the kept entries."""
    return sorted(path.name.rpartition(".")[0] for path in compile_cache._kept_entries(kept))


def test_tensorflow_writes_in_a_private_directory_and_a_good_run_publishes_what_it_wrote(fresh, tmp_path):
    kept = tmp_path / compile_cache._namespace()
    _keep(kept, "old.pb", b"kept before")
    abandoned = kept / ".process-999999999-dead"  # no such process
    abandoned.mkdir()
    with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
        private = cache.private
        assert os.environ["TF_XLA_FLAGS"] == f"{FLAG}={private}"
        assert private.parent == kept and private.name.startswith(f".process-{os.getpid()}-")
        assert (private / "old.pb").read_bytes() == b"kept before"  # linked in, for TensorFlow to load
        assert not abandoned.exists()
        (private / "new.pb").write_bytes(b"compiled now")  # as TensorFlow writes an entry
        assert _names(kept) == ["old.pb"]  # nothing is published while the run goes on
        assert cache.publish() == 1
        assert cache.publish() == 0
    assert "TF_XLA_FLAGS" not in os.environ  # a process started later does not inherit the private directory
    published = kept / f"new.pb.{compile_cache._digest(private / 'new.pb')}"
    assert published.read_bytes() == b"compiled now"
    assert sorted(path.name for path in kept.iterdir() if not path.name.startswith(".")) == sorted([published.name, f"old.pb.{compile_cache._digest(private / 'old.pb')}"])
    cache.remove()
    assert not private.exists() and published.exists()


def test_an_entry_damaged_on_disk_is_removed_and_not_given_to_tensorflow(fresh, tmp_path, caplog):
    kept = tmp_path / compile_cache._namespace()
    sound = _keep(kept, "sound.pb", b"a compiled program")
    damaged = _keep(kept, "damaged.pb", b"another compiled program")
    damaged.write_bytes(b"another compiled prog")  # cut short after it was published
    (kept / "unchecked.pb").write_bytes(b"kept by an older version, without a digest")
    in_flight = kept / ".other.pb.12345.tmp"  # another process publishing right now
    in_flight.write_bytes(b"half")
    with caplog.at_level("INFO", logger="unsup_embed.training.compile_cache"):
        with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
            assert sorted(path.name for path in cache.private.iterdir()) == ["sound.pb"]
    assert sound.exists() and not damaged.exists() and not (kept / "unchecked.pb").exists()
    assert in_flight.exists()
    (message,) = [record.getMessage() for record in caplog.records]
    assert message == f"removed 1 kept compiled step(s) of {tmp_path} whose bytes no longer match: they will be compiled again"


def test_the_same_program_published_by_two_processes_is_linked_once(fresh, tmp_path):
    kept = tmp_path / compile_cache._namespace()
    _keep(kept, "step.pb", b"compiled by one process")
    _keep(kept, "step.pb", b"compiled by another, byte for byte different")
    with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
        (linked,) = cache.private.iterdir()
        assert linked.name == "step.pb" and linked.read_bytes().startswith(b"compiled by")
        assert cache.publish() == 0  # TensorFlow loaded it and wrote nothing new


def test_the_process_keeps_one_private_directory_and_the_users_flags(fresh, tmp_path):
    fresh.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    with compile_cache.compiled_steps_kept(str(tmp_path)) as first:
        assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 {FLAG}={first.private}"
    with compile_cache.compiled_steps_kept(str(tmp_path / "elsewhere")) as second:
        assert second is first  # TensorFlow reads its flags once per process
    assert os.environ["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=0"


@pytest.mark.parametrize("directory", [None, "off", " OFF "])
def test_off_leaves_tensorflow_alone(fresh, directory):
    with compile_cache.compiled_steps_kept(directory) as cache:
        assert cache is None
        assert "TF_XLA_FLAGS" not in os.environ


def test_a_directory_the_user_gave_tensorflow_is_left_alone(fresh, tmp_path):
    fresh.setenv("TF_XLA_FLAGS", f"{FLAG}=/their/own")
    with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
        assert cache is None and os.environ["TF_XLA_FLAGS"] == f"{FLAG}=/their/own"
    assert list(tmp_path.iterdir()) == []


def test_on_the_jax_backend_jax_keeps_its_own_programs_there_unless_told_elsewhere(fresh, tmp_path):
    jax = pytest.importorskip("jax")
    settings = {}
    fresh.setattr(jax.config, "update", lambda name, value: settings.__setitem__(name, value))  # the process's JAX stays as it is
    fresh.setenv("KERAS_BACKEND", "jax")
    with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
        assert cache is None and "TF_XLA_FLAGS" not in os.environ
    assert settings["jax_compilation_cache_dir"] == str(tmp_path / f"jax-{jax.__version__}")
    assert (tmp_path / f"jax-{jax.__version__}").is_dir()
    # Before JAX is imported, the settings go where its import reads them, and it stays unimported.
    settings.clear()
    fresh.delitem(sys.modules, "jax")
    for name in ("JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"):
        fresh.delenv(name, raising=False)  # set by the run, taken back after the test
    with compile_cache.compiled_steps_kept(str(tmp_path)):
        pass
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / f"jax-{jax.__version__}") and "jax" not in sys.modules
    assert settings == {}
    settings.clear()
    fresh.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "theirs"))
    with compile_cache.compiled_steps_kept(str(tmp_path / "ours")):
        pass
    assert settings == {} and not (tmp_path / "ours").exists()


def test_a_directory_that_cannot_be_used_leaves_it_off_with_one_line(fresh, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with caplog.at_level("INFO", logger="unsup_embed.training.compile_cache"):
        with compile_cache.compiled_steps_kept(str(blocker / "cache")) as cache:
            assert cache is None and "TF_XLA_FLAGS" not in os.environ
    (message,) = [record.getMessage() for record in caplog.records]
    assert message.startswith(f"compiled steps are not kept this run: {blocker / 'cache'} cannot be used")


def test_a_nearly_full_disk_leaves_it_off(fresh, tmp_path, caplog):
    usage = namedtuple("usage", "total used free")
    fresh.setattr(compile_cache.shutil, "disk_usage", lambda path: usage(1 << 40, 1 << 40, 100 << 20))
    with caplog.at_level("INFO", logger="unsup_embed.training.compile_cache"):
        with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
            assert cache is None
    assert "has 100 MiB free (under 512 MiB)" in caplog.text
    assert not any(path.name.startswith(".process-") for path in tmp_path.rglob("*"))


def test_publishing_keeps_the_newest_entries(fresh, tmp_path):
    fresh.setattr(compile_cache, "MAX_ENTRIES", 3)
    with compile_cache.compiled_steps_kept(str(tmp_path)) as cache:
        for age, name in enumerate(["e.pb", "d.pb", "c.pb", "b.pb", "a.pb"]):
            entry = cache.private / name
            entry.write_bytes(name.encode())
            os.utime(entry, (1_000_000 - age * 100, 1_000_000 - age * 100))
        assert cache.publish() == 5
    assert _names(_kept(tmp_path)) == ["c.pb", "d.pb", "e.pb"]


def test_the_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv(compile_cache.ENVIRONMENT, str(tmp_path / "chosen"))
    assert compile_cache.default_directory() == str(tmp_path / "chosen")
    monkeypatch.delenv(compile_cache.ENVIRONMENT)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compile_cache.default_directory() == str(tmp_path / "xdg" / "unsup-embed" / "compiled")


@pytest.mark.slow  # three whole runs in fresh interpreters: some 20 s
def test_a_second_run_of_the_same_shapes_loads_the_first_runs_step_and_trains_the_same(tmp_path, toy_corpus):
    cache = tmp_path / "cache"

    def run(output: Path, *options: str) -> None:
        command = [sys.executable, "-m", "unsup_embed", "train", str(toy_corpus), "-o", str(output), "--epochs", "1", "--quiet", "--compile-cache", str(cache)]
        subprocess.run(command + list(options), check=True, capture_output=True, timeout=300)

    run(tmp_path / "first.bin")
    kept = _kept(cache)
    entries = {path.name: path.stat().st_ino for path in compile_cache._kept_entries(kept)}
    assert entries, "the first run kept no compiled step"
    assert not [path for path in kept.iterdir() if path.name.startswith(".")]  # no private directory or half-published entry left
    run(tmp_path / "second.bin")
    # Nothing new was compiled and published: the second run loaded the first's step.
    assert {path.name: path.stat().st_ino for path in compile_cache._kept_entries(kept)} == entries
    assert (tmp_path / "first.bin").read_bytes() == (tmp_path / "second.bin").read_bytes()
    # Other shapes compile another step, and it is kept beside the first.
    run(tmp_path / "third.bin", "--dim", "16")
    assert len(compile_cache._kept_entries(kept)) == len(entries) + 1
