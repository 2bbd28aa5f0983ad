"""Training checkpoints in `<output>.ckpt/`: save, validate, resume.

Layout of the directory:

    vocab.tsv         the vocabulary of the run (word<TAB>count)
    state.json        format tag, the fingerprint of the corpus and the
                      hyperparameters, how the run was distributed, and the
                      step directories it may resume from, newest first,
                      each with its position (epoch, blocks done in it,
                      steps, words) and the checksums of its tables
    step-<N>/         the model's tables as NumPy arrays (`input.npy`,
                      `output.npy`), which every Keras backend loads. Plain SGD
                      has no state of its own to save: the learning rate at any
                      point is a function of the position in the corpus.

A save checks the free space first, writes `step-<N>` under a temporary
name, renames it into place (a directory rename is atomic), then replaces
`state.json` atomically, and only then removes steps older than the
previous one. Whatever kills the process, `state.json` names complete step
directories. On resume, a step whose tables do not match their checksum is
refused by name, and the previous one is used if it is intact.

The fingerprint is the hyperparameters (`TrainConfig`) and the corpus files
(resolved path, size, modification time): a resume with other
hyperparameters or another corpus is refused, naming the flags or files
that differ. Run options (`RunOptions`) may change freely.

The block stream is a pure function of (seed, epoch), so the position is the
whole random state: resuming regenerates the epoch and skips the blocks
already trained, and a resumed run gives the same vectors as an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..config import flag
from ..errors import CheckpointError
from ..files import atomic_path, check_free_space, write_table

logger = logging.getLogger(__name__)

FORMAT = "unsup-embed checkpoint v3"
_KEPT_STEPS = 2  # the newest step, and the one before it in case the newest is damaged


@dataclass
class TrainingPosition:
    epoch: int  # epochs completed
    blocks: int  # blocks trained in the current epoch
    steps: int  # SGD steps in all
    words: float  # corpus words processed in all

    def describe(self, epochs: int | None = None) -> str:
        """The position as people count it: epochs from 1 (the end of the last one, once all `epochs` are done)."""
        if epochs is not None and self.epoch >= epochs:
            return f"the end of epoch {epochs}, step {self.steps:,}"
        return f"epoch {self.epoch + 1}, step {self.steps:,}"


def fingerprint(corpus_files: list[Path], hyperparameters: dict) -> dict:
    """What a resume must match: the corpus files (resolved path, size, mtime) and the hyperparameters."""
    files = []
    for file in corpus_files:
        resolved = str(Path(file).resolve())
        try:
            status = os.stat(resolved)
            files.append([resolved, status.st_size, status.st_mtime_ns])
        except OSError:
            files.append([resolved, None, None])
    kept = dict(sorted(hyperparameters.items()))
    digest = hashlib.sha256(json.dumps([files, kept], sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "files": files, "hyperparameters": kept}


def describe_difference(saved: dict, current: dict) -> str:
    """One phrase saying how two fingerprints differ, naming the flags as they are typed."""
    before, now = saved.get("hyperparameters", {}), current["hyperparameters"]
    changed = [f"{flag(name)} {before.get(name)!r} -> {now.get(name)!r}" for name in sorted(set(before) | set(now)) if before.get(name) != now.get(name)]
    if changed:
        return "options differ: " + ", ".join(changed)
    saved_files = {name: (size, mtime) for name, size, mtime in saved["files"]}
    current_files = {name: (size, mtime) for name, size, mtime in current["files"]}
    if saved_files.keys() != current_files.keys():
        added = sorted(current_files.keys() - saved_files.keys())
        removed = sorted(saved_files.keys() - current_files.keys())
        return f"the corpus files differ (added: {added[:3]}, missing: {removed[:3]})"
    modified = [name for name in saved_files if saved_files[name] != current_files[name]]
    return f"corpus file(s) changed since the checkpoint: {', '.join(modified[:3])}"


class Checkpointer:
    """Reads and writes `<output>.ckpt/`; with `writer=False` (a non-chief worker) it only reads."""

    def __init__(self, directory: str | os.PathLike, writer: bool = True):
        self.directory = Path(directory)
        self.state_path = self.directory / "state.json"
        self.vocabulary_path = self.directory / "vocab.tsv"
        self.writer = writer
        self.fingerprint: dict | None = None
        self.distribution: dict = {}
        self.steps: list[dict] = []  # {"name", "checksums"} of the steps on disk, newest first

    def exists(self) -> bool:
        return self.state_path.exists()

    def start(self, vocabulary, run_fingerprint: dict, distribution: dict) -> None:
        """Begin a fresh run: an empty directory holding the run's vocabulary."""
        self.fingerprint, self.distribution, self.steps = run_fingerprint, distribution, []
        if not self.writer:
            return
        self.remove()
        self.directory.mkdir(parents=True)
        with atomic_path(self.vocabulary_path) as temporary:
            vocabulary.save(temporary)

    def save(self, trainer, position: TrainingPosition) -> None:
        """Save the trainer's tables (`table_shapes()`, `gather_rows(name, ids)`), a slice at a time, and the position."""
        if not self.writer:
            return
        shapes = trainer.table_shapes()
        check_free_space(self.directory, sum(rows * dim * 4 for rows, dim in shapes.values()), "a checkpoint")
        name = f"step-{position.steps:012d}"
        staging = self.directory / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            checksums = {}
            for table_name, shape in shapes.items():
                path = staging / f"{table_name}.npy"
                write_table(path, shape, lambda rows, name=table_name: trainer.gather_rows(name, rows))
                checksums[table_name] = _checksum(path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        final = self.directory / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        self.steps = [{"name": name, "checksums": checksums, "position": asdict(position)}] + [step for step in self.steps if step["name"] != name][: _KEPT_STEPS - 1]
        state = {
            "format": FORMAT,
            "position": asdict(position),
            "fingerprint": self.fingerprint,
            "distribution": self.distribution,
            "steps": self.steps,
        }
        with atomic_path(self.state_path) as temporary:
            temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        kept = {step["name"] for step in self.steps}
        for old in self.directory.glob("step-*"):
            if old.name not in kept:
                shutil.rmtree(old, ignore_errors=True)
        logger.debug("checkpoint saved: %s", position.describe())

    def read_state(self, run_fingerprint: dict, distribution: dict) -> dict:
        """The saved state, checked for format and for a matching corpus, hyperparameters and distribution."""
        if not self.exists():
            raise CheckpointError(f"no checkpoint to resume in {self.directory}/; run without --resume to start")
        state = self._load_state()
        if state["fingerprint"]["digest"] != run_fingerprint["digest"]:
            raise CheckpointError(
                f"cannot resume: {describe_difference(state['fingerprint'], run_fingerprint)}; "
                "resume with the same corpus and options, or pass --force to start over"
            )
        # Where the blocks were cut (--pipeline) is known, and checked, once training starts (trainers.py).
        if {key: value for key, value in state["distribution"].items() if key != "pipeline"} != distribution:
            raise CheckpointError(
                f"cannot resume: the checkpoint was made by a run with {_distribution(state['distribution'])}, "
                f"and this one has {_distribution(distribution)}; resume with the same --strategy and cluster, or pass --force to start over"
            )
        self.fingerprint, self.distribution, self.steps = run_fingerprint, distribution, state["steps"]
        return state

    def _load_state(self) -> dict:
        corrupt = CheckpointError(
            f"checkpoint {self.state_path} is corrupt or not an unsup-embed checkpoint; "
            f"remove {self.directory}/ (or pass --force) to start over"
        )
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            TrainingPosition(**state["position"])
            valid = (
                state.get("format") == FORMAT
                and isinstance(state["fingerprint"]["digest"], str)
                and isinstance(state["distribution"], dict)
                and all(isinstance(step["name"], str) and isinstance(step["checksums"], dict) for step in state["steps"])
                and all(TrainingPosition(**step["position"]) for step in state["steps"])
                and len(state["steps"]) > 0
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise corrupt from None
        if not valid:
            raise corrupt
        return state

    def restore(self, state: dict) -> tuple[dict[str, np.ndarray], TrainingPosition]:
        """The tables of the newest intact step, and the position to go on from."""
        problems = []
        for index, step in enumerate(state["steps"]):
            directory = self.directory / step["name"]
            damaged = [name for name, checksum in step["checksums"].items() if _checksum(directory / f"{name}.npy") != checksum]
            if damaged:
                problems.append(f"{directory}/ ({', '.join(damaged)} damaged)")
                continue
            tables = {name: np.load(directory / f"{name}.npy") for name in step["checksums"]}
            if index > 0:
                logger.warning("checkpoint %s is damaged; resuming from the previous one, %s", problems[0], step["name"])
            return tables, TrainingPosition(**step["position"])
        raise CheckpointError(
            f"every checkpoint in {self.directory}/ is damaged: {'; '.join(problems)}; remove it (or pass --force) to start over"
        )

    def newest_tables(self, position: TrainingPosition) -> dict[str, Path] | None:
        """The table files of the newest step, by table name, if this process saved it at `position`; else None."""
        if not self.writer or not self.steps or self.steps[0]["position"] != asdict(position):
            return None
        directory = self.directory / self.steps[0]["name"]
        return {name: directory / f"{name}.npy" for name in self.steps[0]["checksums"]}

    def kept(self) -> str:
        """Says where the last checkpoint is, for error messages."""
        return f"the last checkpoint is kept in {self.directory}/" if self.exists() else "no checkpoint had been saved yet"

    def remove(self) -> None:
        if self.writer:
            shutil.rmtree(self.directory, ignore_errors=True)


def _checksum(path: Path) -> str | None:
    """CRC-32 of a file, or None if it cannot be read."""
    value = 0
    try:
        with open(path, "rb") as stream:
            while block := stream.read(1 << 22):
                value = zlib.crc32(block, value)
    except OSError:
        return None
    return f"{value:08x}"


def _distribution(distribution: dict) -> str:
    strategy = distribution.get("strategy", "default")
    shards = distribution.get("shards", 1)
    return f"--strategy {strategy}" + (f" over {shards} workers" if shards > 1 else "")
