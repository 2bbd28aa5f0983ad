"""Fusion end to end: sources and labelled text in; classifier, weights and fused vectors out.

    sources (vector files) -> task vocabulary -> aligned frozen tables
        -> FusedEmbedding (learned per-word weights) -> classifier -> outputs

`fuse(sources, train, output_dir, config)` is what `unsup-embed fuse` runs:

1. read the labelled training (and validation) text (`labelled.py`);
2. load every source (`vectors.py`), failing before any training on a bad file;
3. build the task vocabulary from the training text: id 0 is padding, id 1
   out-of-vocabulary, then the words by frequency (the project's `Vocabulary`);
4. align each source to it (`embedding_matrix`), logging its coverage, and
   scale each table to a mean row length of 1, so that no source dominates the
   average the weights start from merely because its vectors are longer;
5. train `FusedEmbedding` + the classifier (`classifier.py`) with `model.fit`;
6. write `classifier.keras`, `source_weights.tsv` (word, one weight column per
   source) and `fused.vec` (word2vec text, the fused vector of every word at
   least one source knows).

Everything the run does is in `FusionConfig`. Helpers for users' own models:
`embedding_matrix` (`sources.py`) and `FusedEmbedding` (`layer.py`).
Reference for the idea: Kiela, Wang & Cho (2018), "Dynamic Meta-Embeddings
for Improved Sentence Representations"; here the weights depend on the word
only, not on its context, so they can be exported per word.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..vectors import load_vectors
from .config import FusionConfig
from .labelled import read_labelled, split_validation
from .sources import Coverage, embedding_matrix
from .task_vocabulary import TaskVocabulary

logger = logging.getLogger(__name__)


@dataclass
class FuseResult:
    val_accuracy: float
    classes: list[str]
    train_examples: int
    valid_examples: int
    vocabulary_size: int
    coverage: dict[str, Coverage]
    mean_weights: dict[str, float]  # mean learned weight per source over the task vocabulary
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        result = dataclasses.asdict(self)
        result["coverage"] = {name: coverage.as_dict() for name, coverage in self.coverage.items()}
        return result


def source_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """File names, or whole paths where two sources share a file name."""
    names = [Path(path).name for path in paths]
    return names if len(set(names)) == len(names) else [str(path) for path in paths]


def aligned_tables(sources: dict, vocabulary: TaskVocabulary, scale: bool = True) -> tuple[list[np.ndarray], dict[str, Coverage]]:
    """One matrix per source in the vocabulary's row order, and each source's coverage."""
    matrices, coverage = [], {}
    for name, vectors in sources.items():
        matrix, coverage[name] = embedding_matrix(vectors, vocabulary.words, name=name)
        if coverage[name].found == 0:
            raise ConfigError(f"{name} has none of the {coverage[name].total:,} training words; is it a vectors file for this language?")
        if scale:
            lengths = np.linalg.norm(matrix, axis=1)
            matrix = matrix / lengths[lengths > 0].mean()
        matrices.append(matrix.astype(np.float32))
    return matrices, coverage


def build_fusion_model(matrices: Sequence[np.ndarray], num_classes: int, config: FusionConfig):
    """(compiled classifier, its FusedEmbedding layer) over frozen `matrices`."""
    import keras

    from .layer import FusedEmbedding

    keras.utils.set_random_seed(config.seed)
    fused = FusedEmbedding(
        len(matrices[0]), [matrix.shape[1] for matrix in matrices], config.weights, config.normalise, config.common_dim,
        matrices=matrices, name="fused_embedding",
    )  # fmt: skip
    return classifier_over(fused, num_classes, config), fused


def classifier_over(embedding, num_classes: int, config: FusionConfig):
    from .classifier import build_classifier

    return build_classifier(
        embedding, num_classes, config.classifier, config.filters, config.kernel_sizes, config.lstm_units, config.dropout, config.learning_rate
    )


def fit(model, train: tuple[np.ndarray, np.ndarray], valid: tuple[np.ndarray, np.ndarray], config: FusionConfig, callbacks=(), verbose: int = 0):
    """Train for `config.epochs`; returns (history dict, validation accuracy after the last epoch)."""
    from .classifier import train_classifier

    return train_classifier(model, train, valid, config.epochs, config.batch_size, config.seed, callbacks, verbose)


def fuse(
    source_paths: Sequence[str | os.PathLike],
    train: str | os.PathLike | Sequence[str | os.PathLike],
    output_dir: str | os.PathLike,
    config: FusionConfig | None = None,
    valid: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    tensorboard_dir: str | os.PathLike | None = None,
    force: bool = False,
    progress: bool = True,
) -> FuseResult:
    """Train a fusion classifier and write its three outputs to `output_dir`."""
    from ..tensorboard import PROJECTOR_WORDS, write_projector
    from .outputs import check_output_dir, training_curves_callback, write_outputs

    started = time.perf_counter()
    config = config or FusionConfig()
    config.validate()
    if len(source_paths) < 2:
        raise ConfigError(f"fusion needs two or more --source files, got {len(source_paths)}")
    check_output_dir(output_dir, force)
    if tensorboard_dir is not None:
        import keras

        if keras.backend.backend() != "tensorflow":
            raise ConfigError("--tensorboard writes its files with TensorFlow; run with the TensorFlow backend (KERAS_BACKEND=tensorflow)")
    training = read_labelled(train, config.label_format)
    if valid is not None:
        validation = read_labelled(valid, config.label_format, label_names=training.label_names)
    else:
        training, validation = split_validation(training, config.valid_split, config.seed)
    names = source_names(source_paths)
    sources = {name: load_vectors(path) for name, path in zip(names, source_paths)}

    tokenizer = config.tokenizer()
    vocabulary = TaskVocabulary.build(training.texts, tokenizer, config.min_count)
    logger.info("task vocabulary: %s words from %s training texts", f"{len(vocabulary) - 2:,}", f"{len(training):,}")
    matrices, coverage = aligned_tables(sources, vocabulary, config.scale_sources)
    train_ids, valid_ids = (vocabulary.encode(data.texts, tokenizer, config.max_length) for data in (training, validation))

    model, fused = build_fusion_model(matrices, len(training.label_names), config)
    callbacks = [] if tensorboard_dir is None else [training_curves_callback(tensorboard_dir, int((train_ids > 0).sum()))]
    history, accuracy = fit(model, (train_ids, training.labels), (valid_ids, validation.labels), config, callbacks, verbose=int(progress))
    logger.info("validation accuracy %.4f after %d epoch(s)", accuracy, config.epochs)

    weights = fused.word_weights()
    vectors = fused.fused_vectors()
    known = np.any([np.any(matrix != 0, axis=1) for matrix in matrices], axis=0)
    outputs = write_outputs(output_dir, model, vocabulary.words, names, weights, vectors, known)
    if tensorboard_dir is not None:
        rows = np.flatnonzero(known)[:PROJECTOR_WORDS]  # the most frequent words: ids follow frequency
        write_projector(tensorboard_dir, [vocabulary.words[i] for i in rows], vectors[rows], tensor_name="fused")
    return FuseResult(
        val_accuracy=accuracy,
        classes=training.label_names,
        train_examples=len(training),
        valid_examples=len(validation),
        vocabulary_size=len(vocabulary) - 2,
        coverage=coverage,
        mean_weights={name: float(weights[2:, i].mean()) for i, name in enumerate(names)},
        seconds=time.perf_counter() - started,
        outputs=outputs,
        history=history,
    )


def load_classifier(path: str | os.PathLike):
    """Load a `classifier.keras` that `fuse` wrote (its custom layers registered first)."""
    import keras

    from . import classifier, layer  # noqa: F401  (registration of the custom layers)

    return keras.models.load_model(path)
