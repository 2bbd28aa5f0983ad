"""Compiled training steps kept on disk between runs, so that a run with the same shapes skips XLA's compilation.

The first block of a run waits for XLA to compile the training step (2.3 s
of a 21 s CBOW run on text8like, two cores). The step depends only on the
shapes (vocabulary size, dim, batch, window, negative, ...), not on the
text, so a run that repeats another's settings on the same corpus (a
second epoch count, another learning rate, another seed) compiles the same
program. TensorFlow can keep compiled programs in a directory
(`--tf_xla_persistent_cache_directory`); it checks that an entry's program is
exactly the one asked for before it loads it. This module points it at one:

- `--compile-cache DIR` (or `UNSUP_EMBED_COMPILE_CACHE`), by default
  `$XDG_CACHE_HOME/unsup-embed/compiled` (`~/.cache/...`); `off` turns it off;
- entries are kept per TensorFlow version and processor (a program built
  for one CPU's instructions must not run on another), at most
  `MAX_ENTRIES` of them (about 1 MB each), the oldest dropped first;
- TensorFlow writes an entry in place, and a half-written one makes every
  later run that loads it fail. So each process gets a private directory
  holding hard links to the kept entries, TensorFlow writes only there, and
  a run that ends well publishes its new entries into the kept ones with an
  atomic rename. A killed process leaves only its private directory,
  removed by the next run;
- a kept entry carries a digest of its bytes in its name
  (`<TensorFlow's name>.<digest>`), and is linked in for TensorFlow only if
  its bytes still match: one damaged on disk afterwards (a failing disk, a
  copy cut short) is removed, with one line saying so, and the step is
  compiled again instead of failing the run;
- nothing here stops a run: a directory that cannot be written, or less
  than `MIN_FREE_BYTES` free on its disk, leaves the cache off for the run,
  with one line saying why.

TensorFlow reads its flags once per process, at its first compilation, so
the first run of a process decides where its programs go; later runs of the
same process use the same private directory. On Keras' JAX backend the
directory holds JAX's own persistent cache instead (`jax-<version>/`),
unless `JAX_COMPILATION_CACHE_DIR` names one.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.metadata
import logging
import os
import platform
import secrets
import shutil
import sys
from pathlib import Path

from .preflight import keras_backend

logger = logging.getLogger(__name__)

ENVIRONMENT = "UNSUP_EMBED_COMPILE_CACHE"
OFF = "off"
MAX_ENTRIES = 64
MIN_FREE_BYTES = 512 << 20
_FLAG = "--tf_xla_persistent_cache_directory"
_PRIVATE_PREFIX = ".process-"
_ENTRY_SUFFIX = ".pb"  # TensorFlow's entries; kept ones add ".<digest of the bytes>"


def default_directory() -> str:
    """Where compiled steps are kept unless --compile-cache says otherwise."""
    chosen = os.environ.get(ENVIRONMENT)
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "unsup-embed" / "compiled")


class CompileCache:
    """One process's private directory of compiled steps, and the kept entries it publishes to."""

    def __init__(self, kept: Path, private: Path, linked: set[str]):
        self.kept = kept  # the entries of this TensorFlow version and processor
        self.private = private  # where this process's TensorFlow reads and writes
        self._published = set(linked)  # names already in `kept`

    def publish(self) -> int:
        """Move the entries TensorFlow wrote in this process into the kept ones; returns how many. Call only after a run that ended well."""
        published = 0
        for entry in sorted(self.private.glob(f"*{_ENTRY_SUFFIX}")):
            if entry.name in self._published:
                continue
            temporary = self.kept / f".{entry.name}.{os.getpid()}.tmp"
            try:
                kept_name = f"{entry.name}.{_digest(entry)}"
                _link_or_copy(entry, temporary)
                os.replace(temporary, self.kept / kept_name)
            except OSError as error:
                with contextlib.suppress(OSError):
                    temporary.unlink()
                logger.debug("could not keep the compiled step %s: %s", entry.name, error)
                continue
            self._published.add(entry.name)
            published += 1
        if published:
            _prune(self.kept, MAX_ENTRIES)
        return published

    def remove(self) -> None:
        shutil.rmtree(self.private, ignore_errors=True)


_process_cache: CompileCache | None = None


@contextlib.contextmanager
def compiled_steps_kept(directory: str | None):
    """Within it, TensorFlow keeps compiled programs in this process's private directory under `directory`; yields the CompileCache, or None when it stays off.

    TensorFlow reads `TF_XLA_FLAGS` at the process's first compilation, so
    that must happen inside; the variable is restored on the way out, so
    that no other process started later inherits the private directory.
    """
    if keras_backend() == "jax":
        _use_jax_cache(directory)
        yield None
        return
    flags = os.environ.get("TF_XLA_FLAGS")
    cache = _process_cache if _process_cache is not None else _open(directory, flags)
    if cache is None:
        yield None
        return
    os.environ["TF_XLA_FLAGS"] = f"{flags or ''} {_FLAG}={cache.private}".strip()
    try:
        yield cache
    finally:
        if flags is None:
            os.environ.pop("TF_XLA_FLAGS", None)
        else:
            os.environ["TF_XLA_FLAGS"] = flags


def _use_jax_cache(directory: str | None) -> None:
    """On Keras' JAX backend: JAX's own persistent cache, in `jax-<version>` under `directory` (unless JAX_COMPILATION_CACHE_DIR chose one).

    JAX keys each entry by the program, the devices and its own version, and
    writes entries whole; on a GPU it saves the run the compilation of the
    block step (several seconds of a text8like run on an H200).
    """
    if directory is None or directory.strip().lower() == OFF or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return
    try:
        version = importlib.metadata.version("jax")
    except importlib.metadata.PackageNotFoundError:
        return  # Keras will say that JAX is missing
    path = Path(directory).expanduser() / f"jax-{version}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.info("compiled steps are not kept this run: %s cannot be used (%s)", directory, error.strerror or error)
        return
    settings = {"jax_compilation_cache_dir": str(path), "jax_persistent_cache_min_compile_time_secs": 0.2}
    if "jax" in sys.modules:
        for name, value in settings.items():
            sys.modules["jax"].config.update(name, value)
        return
    # Not imported yet: JAX reads its settings from the environment when it is. Importing it here would keep
    # the reading pass from forking its workers (text/read_parts.py): 5 s instead of 1 on 16 cores.
    for name, value in settings.items():
        os.environ[name.upper()] = str(value)


def _open(directory: str | None, flags: str | None) -> CompileCache | None:
    """The process's cache under `directory`, made once; None when it stays off."""
    global _process_cache
    if directory is None or directory.strip().lower() == OFF:
        return None
    if keras_backend() != "tensorflow" or _FLAG in (flags or ""):
        return None  # JAX has its own cache; a directory set by the user is theirs
    try:
        kept = Path(directory).expanduser() / _namespace()
        kept.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(kept).free
        if free < MIN_FREE_BYTES:
            logger.info("compiled steps are not kept this run: %s has %d MiB free (under %d MiB)", directory, free >> 20, MIN_FREE_BYTES >> 20)
            return None
        _remove_abandoned(kept)
        private = kept / f"{_PRIVATE_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        private.mkdir()
        linked = _link_sound_entries(kept, private)
    except OSError as error:
        logger.info("compiled steps are not kept this run: %s cannot be used (%s)", directory, error.strerror or error)
        return None
    _process_cache = CompileCache(kept, private, linked)
    atexit.register(_process_cache.remove)
    return _process_cache


def _namespace() -> str:
    """A directory name of the TensorFlow version and the processor: entries are only loaded where they were built."""
    try:
        version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"tf-{version}-{_processor_digest()}"


def _processor_digest() -> str:
    described = [platform.machine(), platform.processor()]
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("flags", "Features", "model name")):
                    described.append(line.strip())
                elif not line.strip() and len(described) > 2:
                    break  # the first processor's description is enough
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:12]


def _link_sound_entries(kept: Path, private: Path) -> set[str]:
    """Link every kept entry whose bytes match its digest into `private`, under TensorFlow's name; remove the damaged ones. Returns the names linked."""
    linked, damaged = set(), []
    for entry in _kept_entries(kept):
        name, _, digest = entry.name.rpartition(".")
        try:
            if name in linked:
                continue  # the same program published twice, by two processes
            if _digest(entry) != digest:
                damaged.append(entry)
                continue
            _link_or_copy(entry, private / name)
            linked.add(name)
        except OSError:  # pruned by another process meanwhile
            continue
    for entry in damaged:
        with contextlib.suppress(OSError):
            entry.unlink()
    for unchecked in kept.glob(f"*{_ENTRY_SUFFIX}"):  # no digest: kept by an older unsup-embed
        with contextlib.suppress(OSError):
            unchecked.unlink()
    if damaged:
        logger.info("removed %d kept compiled step(s) of %s whose bytes no longer match: they will be compiled again", len(damaged), kept.parent)
    return linked


def _kept_entries(kept: Path) -> list[Path]:
    """The published entries (`<name>.pb.<digest>`), not the temporary files of a publish under way (`.<name>...tmp`)."""
    return sorted(entry for entry in kept.glob(f"*{_ENTRY_SUFFIX}.*") if not entry.name.startswith("."))


def _digest(entry: Path) -> str:
    with open(entry, "rb") as data:
        return hashlib.file_digest(data, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)  # a filesystem without hard links


def _remove_abandoned(kept: Path) -> None:
    """Remove the private directories of processes that are gone."""
    for private in kept.glob(f"{_PRIVATE_PREFIX}*"):
        pid = private.name[len(_PRIVATE_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(private, ignore_errors=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill would end it there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def _prune(kept: Path, limit: int) -> None:
    """Keep the newest `limit` entries."""
    entries = []
    for entry in _kept_entries(kept):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime, entry))
    for _, entry in sorted(entries, reverse=True)[limit:]:
        with contextlib.suppress(OSError):
            entry.unlink()
