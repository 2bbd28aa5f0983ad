"""Every option of a fusion run in one typed dataclass, `FusionConfig`.

The `unsup-embed fuse` command builds it; `fuse.fuse` takes it.
`validate()` checks ranges and choices before anything is read, and raises
`ConfigError` naming the flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..text.tokenizer import Tokenizer

LABEL_FORMATS = ("auto", "fasttext", "tsv", "per-class")
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


def _flag(name: str) -> str:
    return name.replace("_", "-")
