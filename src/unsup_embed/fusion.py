"""Fusion end to end: sources and labelled text in; classifier, weights and fused vectors out.

    sources (vector files) -> task vocabulary -> aligned frozen tables
        -> FusedEmbedding (learned per-word weights) -> classifier -> outputs

`fuse(sources, train, output_dir, config)` is what `unsup-embed fuse` runs:

1. read the labelled training (and validation) text (`labelled.py`);
2. load every source (`sources.py`), failing before any training on a bad file;
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
`embedding_matrix` (re-exported from `sources.py`) and `FusedEmbedding`.
Reference for the idea: Kiela, Wang & Cho (2018), "Dynamic Meta-Embeddings
for Improved Sentence Representations"; here the weights depend on the word
only, not on its context, so they can be exported per word.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import ConfigError
from .corpus import Tokenizer
from .labelled import LABEL_FORMATS, LabelledData, read_labelled, split_validation
from .sources import Coverage, embedding_matrix, load_source  # noqa: F401  (embedding_matrix is public here)
from .vocab import Vocabulary

logger = logging.getLogger(__name__)

WEIGHTINGS = ("scalar", "vector")
NORMALISATIONS = ("softmax", "none")
CLASSIFIERS = ("conv", "lstm")


@dataclass
class FusionConfig:
    weights: str = "scalar"  # "scalar" or "vector" per word and source
    # Softmax across sources for scalar weights: 77.1 % against 76.7 % unnormalised
    # on rt-polarity (5 splits; docs/fusion.md), a small edge, within the noise.
    normalise: str = "softmax"
    common_dim: int | None = None  # None: the largest source dimension
    scale_sources: bool = True  # each table to mean row length 1 before fusing
    classifier: str = "conv"  # "conv" (Kim 2014) or "lstm"
    filters: int = 100  # per kernel width
    kernel_sizes: tuple[int, ...] = (3, 4, 5)
    lstm_units: int = 100
    dropout: float = 0.5
    epochs: int = 8  # the mean best epoch of fusion on rt-polarity under early stopping
    batch_size: int = 50  # Kim (2014) used 50
    learning_rate: float = 1e-3
    max_length: int = 100  # tokens kept per text; rt-polarity's longest sentence has 59
    min_count: int = 1  # a word seen once still gets a source vector
    lowercase: bool = True
    token_pattern: str = r"\w+"
    label_format: str = "auto"
    valid_split: float = 0.1  # used only without a validation file
    seed: int = 1

    def validate(self) -> None:
        choices = {"weights": WEIGHTINGS, "normalise": NORMALISATIONS, "classifier": CLASSIFIERS, "label_format": LABEL_FORMATS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"--{_flag(name)} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("epochs", "batch_size", "max_length", "min_count", "filters", "lstm_units"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{_flag(name)} must be at least 1, got {getattr(self, name)}")
        if self.common_dim is not None and self.common_dim < 1:
            raise ConfigError(f"--common-dim must be at least 1, got {self.common_dim}")
        if not self.kernel_sizes or min(self.kernel_sizes) < 1:
            raise ConfigError(f"--kernel-sizes must be one or more positive widths, got {self.kernel_sizes}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"--dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 < self.valid_split < 1.0:
            raise ConfigError(f"--valid-split must be between 0 and 1, got {self.valid_split}")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}")
        try:
            re.compile(self.token_pattern)
        except re.error as error:
            raise ConfigError(f"--token-pattern is not a valid regular expression: {error}") from None

    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self.token_pattern, self.lowercase)


class TaskVocabulary:
    """The training text's words: id 0 is padding, 1 out-of-vocabulary, then by frequency."""

    PADDING, OUT_OF_VOCABULARY = 0, 1

    def __init__(self, words: Sequence[str]):
        self.words = ["", "[UNK]", *words]  # the layout of TextVectorization.get_vocabulary()
        self.index = {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: Tokenizer, min_count: int = 1) -> "TaskVocabulary":
        counted = Vocabulary.build((tokenizer(text) for text in texts), min_count=min_count, progress=False)
        return cls(counted.words)

    def encode(self, texts: Sequence[str], tokenizer: Tokenizer, max_length: int) -> np.ndarray:
        """(texts, length) int32 ids, padded with 0 and cut to `max_length` tokens."""
        encoded = [[self.index.get(token, self.OUT_OF_VOCABULARY) for token in tokenizer(text)][:max_length] for text in texts]
        ids = np.zeros((len(encoded), max(1, max(map(len, encoded), default=1))), dtype=np.int32)
        for row, sequence in enumerate(encoded):
            ids[row, : len(sequence)] = sequence
        return ids


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

    from .fused_embedding import FusedEmbedding

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
    from .fusion_outputs import check_output_dir, training_curves_callback, write_outputs
    from .tensorboard import PROJECTOR_WORDS, write_projector

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
    sources = {name: load_source(path) for name, path in zip(names, source_paths)}

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

    from . import classifier, fused_embedding  # noqa: F401  (registration of the custom layers)

    return keras.models.load_model(path)


def _flag(name: str) -> str:
    return name.replace("_", "-")


def __getattr__(name: str):
    # The Keras layer is importable from here without importing TensorFlow for everything else.
    if name == "FusedEmbedding":
        from .fused_embedding import FusedEmbedding

        return FusedEmbedding
    raise AttributeError(f"module 'unsup_embed.fusion' has no attribute {name!r}")
