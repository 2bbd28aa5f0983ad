"""Training checkpoints in `<output>.ckpt/`: save, validate, resume.

Layout of the directory:

    vocab.tsv         the vocabulary of the run (word<TAB>count)
    state.json        format tag, position (epoch, blocks done in it, steps,
                      words), the fingerprint of corpus and options, and the
                      name of the step directory it belongs to
    step-<N>/         the model's tables, in Keras' own weights format
                      (`model.weights.h5`, `model.save_weights`), which every
                      Keras backend reads and writes. Plain SGD has no state
                      of its own to save: the learning rate at any point is
                      a function of the position in the corpus.

A save writes `step-<N>` under a temporary name, renames it into place (a
directory rename is atomic), then replaces `state.json` atomically, and only
then removes the previous step. Whatever kills the process, `state.json`
names a complete step directory: a checkpoint is never half-valid.

The pair stream is a pure function of (seed, epoch), so the position is the
whole random state: resuming regenerates the epoch and skips the blocks
already trained. A resumed run therefore gives the same vectors as an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from .export import atomic_path

logger = logging.getLogger(__name__)

FORMAT = "unsup-embed checkpoint v2"
WEIGHTS = "model.weights.h5"
# Options that do not change what is trained, so a resume may change them.
_FREE_OPTIONS = {"quiet", "keep_work", "threads", "checkpoint_every", "tensorboard", "peer_timeout"}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why and what to do."""


@dataclass
class TrainingPosition:
    epoch: int  # epochs completed
    blocks: int  # blocks trained in the current epoch
    steps: int  # SGD steps in all
    words: float  # corpus words processed in all


def fingerprint(corpus_files: list[Path], options: dict) -> dict:
    """What a resume must match: the corpus files (name, size, mtime) and the training options."""
    files = []
    for file in corpus_files:
        try:
            status = file.stat()
            files.append([str(file), status.st_size, status.st_mtime_ns])
        except OSError:
            files.append([str(file), None, None])
    kept = {name: value for name, value in sorted(options.items()) if name not in _FREE_OPTIONS}
    digest = hashlib.sha256(json.dumps([files, kept], sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "files": files, "options": kept}


def describe_difference(saved: dict, current: dict) -> str:
    """One phrase saying how two fingerprints differ."""
    changed = [
        f"--{name.replace('_', '-')} {saved['options'].get(name)!r} -> {current['options'].get(name)!r}"
        for name in sorted(set(saved["options"]) | set(current["options"]))
        if saved["options"].get(name) != current["options"].get(name)
    ]
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

    def exists(self) -> bool:
        return self.state_path.exists()

    def start(self, vocabulary, corpus_fingerprint: dict) -> None:
        """Begin a fresh run: an empty directory holding the run's vocabulary."""
        self.fingerprint = corpus_fingerprint
        if not self.writer:
            return
        self.remove()
        self.directory.mkdir(parents=True)
        with atomic_path(self.vocabulary_path) as temporary:
            vocabulary.save(temporary)

    def save(self, model, position: TrainingPosition) -> None:
        if not self.writer:
            return
        name = f"step-{position.steps:012d}"
        staging = self.directory / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        model.save_weights(str(staging / WEIGHTS))
        final = self.directory / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        state = {"format": FORMAT, "step_directory": name, "position": asdict(position), "fingerprint": self.fingerprint}
        with atomic_path(self.state_path) as temporary:
            temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        for old in self.directory.glob("step-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        logger.debug("checkpoint saved: epoch %d, block %d, step %d", position.epoch, position.blocks, position.steps)

    def read_state(self, corpus_fingerprint: dict) -> dict:
        """The saved state, checked for format and for a matching corpus and options."""
        if not self.exists():
            raise CheckpointError(f"no checkpoint to resume in {self.directory}/; run without --resume to start")
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            valid = state.get("format") == FORMAT and {"step_directory", "position", "fingerprint"} <= state.keys()
        except (OSError, ValueError):
            valid = False
        if not valid:
            raise CheckpointError(
                f"checkpoint {self.state_path} is corrupt or not an unsup-embed checkpoint; remove {self.directory}/ (or pass --force) to start over"
            )
        if state["fingerprint"]["digest"] != corpus_fingerprint["digest"]:
            raise CheckpointError(
                f"cannot resume: {describe_difference(state['fingerprint'], corpus_fingerprint)}; "
                "resume with the same corpus and options, or pass --force to start over"
            )
        self.fingerprint = corpus_fingerprint
        return state

    def restore(self, model, state: dict) -> TrainingPosition:
        """Load the saved tables into `model` (built like the saved one)."""
        path = self.directory / state["step_directory"] / WEIGHTS
        try:
            model.load_weights(str(path))
        except Exception as error:  # h5py and Keras report damage as OSError, ValueError, KeyError...
            raise CheckpointError(
                f"checkpoint {path} is corrupt or truncated ({error.__class__.__name__}); remove {self.directory}/ (or pass --force) to start over"
            ) from None
        return TrainingPosition(**state["position"])

    def kept(self) -> str:
        """Says where the last checkpoint is, for error messages."""
        return f"the last checkpoint is kept in {self.directory}/" if self.exists() else "no checkpoint had been saved yet"

    def remove(self) -> None:
        if self.writer:
            shutil.rmtree(self.directory, ignore_errors=True)
