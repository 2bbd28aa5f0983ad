"""Training end to end: corpus -> vocabulary and ids -> blocks -> Keras model -> vectors.

`train(corpus, output, config, options)` is the library entry point the CLI
calls. In order:

1. checks (preflight.py): options, output, TensorBoard and work paths; the
   output is locked against a second run, and the run's own files are left
   out of the corpus when they lie inside its folder;
2. the corpus is read once, counted and encoded to ids (text/ingest.py),
   or, on --resume, the checkpoint's vocabulary and the encoded corpus are
   reused;
3. the model is built and trained (loop.py) by the trainer of the strategy
   (trainers.py), with checkpoints in `<output>.ckpt/`; its compiled step
   is kept for later runs of the same shapes (compile_cache.py);
4. the collapse report says whether the vectors learned anything
   (collapse.py), and the vectors and the vocabulary are written atomically.

TensorFlow is imported only once the cheap checks have passed and the
reading pass has forked its worker processes (in a thread, while they read,
with Python's garbage collector paused until then: startup.py), so a
mistake is answered at once and the workers start from a process that runs
no TensorFlow threads.

Interruptions tell the truth about what exists: SIGINT or SIGTERM while
reading leaves nothing behind; during training a checkpoint is saved
first; during the export the final checkpoint is kept, and --resume writes
the vectors without training again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import RunOptions, TrainConfig
from ..distributed.cluster import cluster_role
from ..errors import CheckpointError, TrainingDiverged, TrainingInterrupted, write_failure
from ..files import OutputLock, beside
from ..text.corpus import TextCorpus
from ..text.tokenizer import Tokenizer
from ..vectors import output_format
from . import preflight
from .checkpoint import Checkpointer, TrainingPosition, fingerprint
from .collapse import CollapseReport
from .compile_cache import compiled_steps_kept, default_directory
from .corpus_ids import corpus_ids
from .export import export
from .startup import garbage_collector_paused_until_started, import_training_in_background, jax_memory_as_needed

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    vectors_path: Path | None  # None on a worker that is not the chief: it writes nothing
    vocabulary_path: Path | None
    corpus_tokens: int  # every token read (0 on a resume, which reads nothing)
    training_tokens: int  # in-vocabulary tokens per epoch, the word2vec convention for words/s
    vocabulary_size: int
    epochs: int
    seconds: float  # this run, end to end
    training_seconds: float
    words_trained: float  # corpus words trained by this run (less than epochs x tokens after a resume)
    final_loss: float
    collapse: CollapseReport | None  # None on a worker that is not the chief
    resumed_from: TrainingPosition | None = None
    subwords: bool = False  # vectors_path is fastText's binary model, with the words' vectors as text beside it
    keyed_vectors: object | None = None  # with RunOptions(keep_vectors=True): the vectors as gensim KeyedVectors

    @property
    def words_per_second(self) -> float:
        """Words this run trained / its end-to-end wall time."""
        return self.words_trained / max(self.seconds, 1e-9)


@dataclass
class RunPaths:
    output: Path
    checkpoint: Path
    work: Path
    lock: Path
    tensorboard: str | None = None

    @classmethod
    def of(cls, output: Path, options: RunOptions, shard: tuple[int, int] | None) -> "RunPaths":
        work = Path(options.work_dir) / (output.name + ".work") if options.work_dir else beside(output, ".work")
        if shard is not None:
            work = work / f"shard-{shard[0]}-of-{shard[1]}"
        return cls(output, beside(output, ".ckpt"), work, beside(output, ".lock"), options.tensorboard)

    def own_files(self) -> list[Path]:
        files = [self.output, self.checkpoint, self.work, self.lock, beside(self.output, ".vocab.tsv"), self.output.with_suffix(".vec")]
        return files + ([Path(self.tensorboard)] if self.tensorboard else [])


def train(
    corpus_path: str | os.PathLike,
    output_path: str | os.PathLike,
    config: TrainConfig | None = None,
    options: RunOptions | None = None,
    force: bool = False,
    resume: bool = False,
) -> TrainResult:
    started = time.perf_counter()
    config, options = config or TrainConfig(), options or RunOptions()
    preflight.check_all(config, options)
    jax_memory_as_needed()
    role = cluster_role(options.strategy)
    output = Path(output_path)
    binary = output_format(output, options.output_format) == "binary"
    preflight.check_subword_output(config, options, output)
    preflight.check_output(output, Path(corpus_path), force)
    paths = RunPaths.of(output, options, role.shard)
    corpus = TextCorpus(
        corpus_path,
        Tokenizer(config.token_pattern, config.lowercase),
        shard=role.shard,
        exclude=preflight.run_files_inside(Path(corpus_path), paths.own_files()),
    )
    checkpointer = Checkpointer(paths.checkpoint, writer=role.is_chief)
    distribution = {"strategy": options.strategy, "shards": role.shard_count}
    run_fingerprint = fingerprint(corpus.files, config.as_dict())
    lock = OutputLock(paths.lock, output) if role.is_chief else contextlib.nullcontext()
    compiled_steps = compiled_steps_kept(options.compile_cache or default_directory())
    with lock, _interrupts_as_exceptions(), garbage_collector_paused_until_started() as started_up, compiled_steps as compile_cache:
        state = None
        if resume:
            state = checkpointer.read_state(run_fingerprint, distribution)
        elif checkpointer.exists() and not force:
            raise CheckpointError(
                f"{checkpointer.directory}/ holds the checkpoint of an unfinished run; pass --resume to continue it, or --force to start over"
            )
        phase = "reading the corpus"
        try:
            # One process alone imports TensorFlow while its corpus is read; a cluster's workers start its runtime first.
            early = functools.partial(import_training_in_background, config.subwords, options.keras_extras) if role.shard_count == 1 else None
            ids = corpus_ids(corpus, config, options, role, paths.work, checkpointer, state, run_fingerprint, distribution, early)
            preflight.check_table_memory(config, len(ids.vocabulary))
            phase = "training"
            from .trainers import train_tables  # imports TensorFlow

            started_up()

            trained = train_tables(ids.encoded, ids.vocabulary, config, options, role, checkpointer, state, paths.work)
            if compile_cache is not None:
                compile_cache.publish()  # the step compiled, and the run trained with it: later runs may load it
            if not role.is_chief:
                logger.info("%s done; the chief writes the vectors", role.describe())
                if not options.keep_work:
                    _remove_work(paths, checkpointer)
                return _result(None, None, ids, config, started, trained, None, state)
            phase = "writing the vectors"
            vectors_path, vocabulary_path, report, keyed = export(output, binary, ids.vocabulary, trained, config, options, collapse_advice(config))
        except (KeyboardInterrupt, _Terminated) as interrupt:
            raise _interrupted(interrupt, phase, checkpointer, paths, state) from None
        except BaseException as error:
            # Nothing trained yet, or a last checkpoint whose tables a resume would find non-finite again
            # (a non-finite loss during training keeps the last good checkpoint instead): leave nothing behind.
            if (state is None and not checkpointer.exists()) or (isinstance(error, TrainingDiverged) and phase == "writing the vectors"):
                _remove_work(paths, checkpointer)
            if isinstance(error, OSError):
                kept = ""
                if checkpointer.exists():
                    kept = f"the checkpoint in {checkpointer.directory}/ is kept"
                raise write_failure(error, *_what(phase, paths), kept=kept) from None
            raise
        checkpointer.remove()
        if not options.keep_work:
            _remove_work(paths, checkpointer)
    result = _result(vectors_path, vocabulary_path, ids, config, started, trained, report, state, keyed)
    # TensorFlow's import leaves a reference cycle (an ImportError it caught, whose traceback's frames lead
    # back to this one when the import runs here), frozen with the start-up objects (startup.py), so this
    # frame's locals outlive the call: without this, the trained tables (0.8 GB with --subwords) stayed in
    # memory while --show-neighbours loaded the model (tests/test_run_memory.py).
    del trained
    return result


def collapse_advice(config: TrainConfig) -> str:
    """What to do when the vectors did not learn, for this run's objective."""
    if config.objective != "negative-sampling":
        return "This objective is solved by making all vectors equal, or by leaving them where they started; train with --objective negative-sampling"
    return "Train longer (--epochs) or on more text"


def _result(vectors_path, vocabulary_path, ids, config: TrainConfig, started: float, trained, report, state, keyed_vectors=None) -> TrainResult:
    resumed = None if state is None else TrainingPosition(**state["position"])
    return TrainResult(
        vectors_path=vectors_path,
        vocabulary_path=vocabulary_path,
        corpus_tokens=ids.corpus_tokens,
        training_tokens=ids.vocabulary.total,
        vocabulary_size=len(ids.vocabulary),
        epochs=config.epochs,
        seconds=time.perf_counter() - started,
        training_seconds=trained.seconds,
        words_trained=trained.position.words - (resumed.words if resumed else 0.0),
        final_loss=trained.final_loss,
        collapse=report,
        resumed_from=resumed,
        subwords=config.subwords,
        keyed_vectors=keyed_vectors,
    )


class _Terminated(BaseException):
    """SIGTERM outside training, raised like KeyboardInterrupt so the run can say what it kept."""


@contextlib.contextmanager
def _interrupts_as_exceptions():
    def terminate(number, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(interrupt: BaseException, phase: str, checkpointer: Checkpointer, paths: RunPaths, state) -> TrainingInterrupted:
    name = "SIGTERM" if isinstance(interrupt, _Terminated) else "SIGINT"
    if checkpointer.exists():
        kept = f"the checkpoint in {checkpointer.directory}/ is kept: run the same command with --resume to go on"
        if phase == "writing the vectors":
            kept = f"training had finished and {kept}; it writes the vectors without training again"
    else:
        _remove_work(paths, checkpointer)
        kept = "nothing was written"
    return TrainingInterrupted(f"{name} while {phase}: stopped; {kept}", name)


def _remove_work(paths: RunPaths, checkpointer: Checkpointer) -> None:
    checkpointer.remove()
    shutil.rmtree(paths.work, ignore_errors=True)
    if paths.work.name.startswith("shard-"):  # the last worker to finish removes the shards' folder
        with contextlib.suppress(OSError):
            paths.work.parent.rmdir()


def _what(phase: str, paths: RunPaths) -> tuple[str, Path]:
    """What the run was doing in `phase`, and where."""
    return {
        "reading the corpus": ("reading the corpus into its encoded form", paths.work),
        "training": ("writing a checkpoint", paths.checkpoint),
        "writing the vectors": ("writing the vectors", paths.output),
    }[phase]

