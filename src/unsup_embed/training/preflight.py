"""Checks made before a run reads a single word: every mistake that can be known early is found early.

- the output: its directory exists and is writable, it is not a directory,
  an existing one is replaced only with --force, and it is never the corpus
  itself or a file inside the corpus (--force does not override that: the
  corpus is the user's, and a run writes several files beside its output);
- the TensorBoard directory is not an existing file;
- the work directory (the encoded corpus) can be created;
- `--pipeline device` is asked for where it can run (Keras on JAX, one
  process, no subwords);
- the tables and a step fit in memory: vocabulary x dim x 4 bytes x tables
  (plus the n-gram buckets with subwords), and a step's working memory
  (centres x dim x a measured constant), against the memory the machine has
  available. The vocabulary's size is known only once
  it is counted, so this one is checked after the reading pass, before any
  table is made: a bound taken before counting would refuse runs that fit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..config import RunOptions, TrainConfig
from ..errors import ConfigError
from ..files import can_create_in, nearest_existing


def check_output(output: Path, corpus_path: Path, force: bool) -> None:
    """Fail before training if the output cannot or must not be written."""
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"output directory {str(directory)!r} does not exist; create it first")
    if not can_create_in(directory):
        raise ConfigError(f"output directory {str(directory)!r} is not writable; choose another -o")
    if output.is_dir():
        raise ConfigError(f"output {str(output)!r} is a directory; give a file name such as vectors.bin")
    corpus = corpus_path.resolve()
    target = output.resolve()
    if target == corpus:
        raise ConfigError(f"output {str(output)!r} is the corpus itself; choose another -o (--force never replaces the corpus)")
    if corpus.is_dir() and corpus in target.parents and target.exists():
        raise ConfigError(
            f"output {str(output)!r} is a file of the corpus folder {str(corpus_path)!r}; choose an -o outside it "
            "(--force never replaces a corpus file)"
        )
    if output.exists() and not force:
        raise ConfigError(f"output {str(output)!r} already exists; pass --force to replace it, or choose another -o")


def run_files_inside(corpus_path: Path, paths: list[Path]) -> list[Path]:
    """Those of a run's own files and folders that lie inside the corpus folder (to leave out of it)."""
    corpus = corpus_path.resolve()
    if not corpus.is_dir():
        return []
    return [path for path in paths if corpus in path.resolve().parents]


def check_folder_option(option: str, directory: str | None, file_advice: str = "give a directory") -> None:
    """Refuse a folder option (`--tensorboard`, `--work-dir`) naming a file, or a place where it cannot be created.

    Tried by creating a folder there, not asked of os.access, which passes
    root everywhere: the run would otherwise fail once reading had begun
    (`--work-dir`), or with TensorFlow's traceback (`--tensorboard`).
    """
    if directory is None:
        return
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {directory!r} is a file; {file_advice}")
    if not can_create_in(nearest_existing(path)):
        raise ConfigError(f"{option} {directory!r} cannot be created or written; choose another place")


# What one compiled step holds, per centre word and dimension: the gathered rows of its window, its noise
# words' scores and their gradients. Measured on a skip-gram run at window 5 and 1,024 centres a step: the
# peak was 7.6 GB at --dim 20000 against 0.8 GB at --dim 100 (tables of 469 words: 75 MB), about 340 bytes
# per centre and dimension; taken to grow with the window. Negligible at usual sizes (18 MB at --dim 100),
# it is what a mistyped --dim runs out of memory on: the machine's out-of-memory killer ended --dim 5000000
# at 24 GB with no message.
STEP_BYTES_PER_CENTRE_DIMENSION = 340


def table_bytes(config: TrainConfig, vocabulary_size: int) -> int:
    """The tables' bytes: the words' rows in one table, or two with negative sampling's separate context table, and with subwords the n-gram buckets."""
    return (vocabulary_size * table_count(config) + (config.buckets if config.subwords else 0)) * config.dim * 4


def table_count(config: TrainConfig) -> int:
    return 2 if config.objective == "negative-sampling" and config.context_table == "separate" else 1


def step_bytes(config: TrainConfig) -> int:
    """About what one compiled step holds (STEP_BYTES_PER_CENTRE_DIMENSION)."""
    return config.batch_size * config.dim * STEP_BYTES_PER_CENTRE_DIMENSION * config.window // 5


def check_table_memory(config: TrainConfig, vocabulary_size: int) -> None:
    """Refuse tables and a step that cannot fit in the memory available (checked once the vocabulary is counted)."""
    tables, step = table_bytes(config, vocabulary_size), step_bytes(config)
    available = _available_memory()
    if available is None or tables + step <= available:
        return
    rows = f"{vocabulary_size:,} words x {table_count(config)} table(s)" + (f" + {config.buckets:,} n-gram buckets" if config.subwords else "")
    bound = "bound the vocabulary with --max-vocab or --min-count" + (", or lower --buckets" if config.subwords else "")
    raise ConfigError(
        f"the tables need {tables / 2**30:.1f} GiB ({rows}, x {config.dim} dimensions x 4 bytes) and a training step about "
        f"{step / 2**30:.1f} GiB ({config.batch_size:,} centres a step), more than the {available / 2**30:.1f} GiB of memory "
        f"available; lower --dim or --batch-size, or {bound}"
    )


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_subword_output(config: TrainConfig, options: RunOptions, output: Path) -> None:
    """A --subwords run writes fastText's binary model (and a .vec beside it): refuse a word2vec-only output."""
    if not config.subwords:
        return
    if options.output_format == "text" or output.suffix.lower() != ".bin":
        raise ConfigError(
            f"a --subwords run writes fastText's binary model, which keeps the n-grams that give unseen words their vectors; "
            f"name the output .bin (model.vec with the words' vectors is written beside it), got {str(output)!r}"
            + (" with --format text" if options.output_format == "text" else "")
        )


def keras_backend() -> str:
    """The backend Keras will load, read as Keras reads it (KERAS_BACKEND, else ~/.keras/keras.json), without importing it."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    settings = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return str(json.loads(settings.read_text()).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def check_pipeline(config: TrainConfig, options: RunOptions) -> None:
    """`--pipeline device` cuts blocks with JAX on the accelerator, for one process training word vectors."""
    if options.pipeline != "device":
        return
    if keras_backend() != "jax":
        raise ConfigError(f"--pipeline device runs on Keras' JAX backend, and Keras is set to {keras_backend()!r}; run with KERAS_BACKEND=jax")
    if options.strategy != "default":
        raise ConfigError(f"--pipeline device trains in one process; drop --strategy {options.strategy} or use --pipeline host")
    if config.subwords:
        raise ConfigError("--pipeline device does not cut --subwords blocks yet; use --pipeline host")


def check_all(config: TrainConfig, options: RunOptions) -> None:
    """The option checks that need no files."""
    config.validate()
    options.validate()
    check_pipeline(config, options)
    check_folder_option("--tensorboard", options.tensorboard, "give a directory (it is created if missing)")
    check_folder_option("--work-dir", options.work_dir)
