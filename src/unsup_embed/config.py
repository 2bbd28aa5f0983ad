"""Every training option in one typed dataclass.

The CLI builds a `TrainConfig`; library functions take it. `validate()` checks
ranges and combinations before any expensive work starts, and raises
`ConfigError` with a message meant for the person who typed the option.
Defaults follow the word2vec C tool and gensim `Word2Vec(sg=1)` where they
share a knob, so figures can be compared setting for setting.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

OBJECTIVES = ("negative-sampling", "distance", "distance-squared")
CONTEXT_TABLES = ("separate", "shared")
FORMATS = ("binary", "text")


class ConfigError(ValueError):
    """An option value or combination that cannot work; the message says how to fix it."""


@dataclass
class TrainConfig:
    # Vocabulary.
    min_count: int = 5
    max_vocab: int | None = None  # keep only the N most frequent words
    # Distinct tokens held while counting before rare ones are pruned (as
    # gensim's max_vocab_size does). 2M entries of a Python dict of str->int
    # take about 250 MB, well inside the 2 GiB budget, and English Wikipedia
    # text of 17M words has only 220k distinct tokens, so pruning starts only
    # on corpora far larger or far noisier than that.
    count_limit: int = 2_000_000
    lowercase: bool = True
    token_pattern: str = r"\w+"

    # Pairs.
    window: int = 5  # maximum; each centre draws its own size in 1..window
    sample: float = 1e-3  # word2vec's subsampling threshold; 0 turns it off

    # Model.
    objective: str = "negative-sampling"
    dim: int = 100
    negative: int = 5
    context_table: str = "separate"  # word2vec's second (output) table
    # Pairs that share one draw of negatives (Ji et al. 2016): the negative
    # scores become a small matrix product. 64 kept 1-epoch quality on
    # text8-style Wikipedia while halving the rows gathered per pair.
    negative_group: int = 64
    # Pair updates one table row takes at the full learning rate in one step;
    # a row repeated more often in the batch is scaled down to this many.
    # Small vocabularies and frequent words otherwise diverge (see model.py).
    row_update_cap: float = 32.0

    # Optimisation.
    epochs: int = 5
    alpha: float = 0.025  # start learning rate, decayed linearly as word2vec does
    min_alpha: float = 0.0001
    # Pairs per SGD step. Frequent words repeat in a batch and their summed
    # row updates grow with it: 16k pairs diverge at alpha 0.025, 4k-8k do not.
    batch_size: int = 8192
    steps_per_call: int = 32  # SGD steps inside one compiled call
    seed: int = 1
    threads: int = 0  # TensorFlow intra-op threads; 0 lets TensorFlow choose

    # Checkpoints: a duration ("90s", "2m", "1h") or a number of SGD steps
    # ("5000"). Two minutes puts at most two minutes of work at risk, and a
    # save of text8-sized tables (2 x 27 MB) takes a fraction of a second.
    checkpoint_every: str = "2m"

    # Distribution (see docs/scaling.md): "default", "mirrored",
    # "multi-worker" or "parameter-server"; the cluster comes from TF_CONFIG.
    strategy: str = "default"
    # Seconds a worker waits for its peers in one collective before giving
    # up: a dead worker ends the run with an error instead of a hang.
    peer_timeout: float = 300.0

    # Output.
    output_format: str | None = None  # None: from the output's extension
    tensorboard: str | None = None  # directory for training curves and projector files
    keep_work: bool = False
    quiet: bool = False

    def validate(self) -> None:
        """Raise ConfigError naming the first option that is out of range."""
        at_least_one = {
            "window": self.window,
            "dim": self.dim,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "min_count": self.min_count,
            "steps_per_call": self.steps_per_call,
            "negative_group": self.negative_group,
        }
        for name, value in at_least_one.items():
            if value < 1:
                raise ConfigError(f"--{_flag(name)} must be at least 1, got {value}")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.objective == "negative-sampling" and self.negative < 1:
            raise ConfigError(f"--negative must be at least 1 with negative sampling, got {self.negative}")
        if self.objective == "negative-sampling" and self.batch_size % self.negative_group:
            raise ConfigError(
                f"--batch-size ({self.batch_size}) must be a multiple of --negative-group ({self.negative_group})"
            )
        if self.context_table not in CONTEXT_TABLES:
            raise ConfigError(f"--context-table must be one of {', '.join(CONTEXT_TABLES)}, got {self.context_table!r}")
        if self.sample < 0:
            raise ConfigError(f"--sample must be 0 (off) or positive, got {self.sample}")
        if self.row_update_cap <= 0:
            raise ConfigError(f"--row-update-cap must be positive, got {self.row_update_cap}")
        if self.alpha <= 0:
            raise ConfigError(f"--alpha must be positive, got {self.alpha}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ConfigError(f"--max-vocab must be at least 1, got {self.max_vocab}")
        if self.count_limit < 1000:
            raise ConfigError(f"the counting limit must be at least 1000 distinct tokens, got {self.count_limit}")
        if self.output_format is not None and self.output_format not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {self.output_format!r}")
        if self.peer_timeout <= 0:
            raise ConfigError(f"--peer-timeout must be positive, got {self.peer_timeout}")
        self.checkpoint_interval()
        try:
            re.compile(self.token_pattern)
        except re.error as error:
            raise ConfigError(f"--token-pattern is not a valid regular expression: {error}") from None

    def checkpoint_interval(self) -> tuple[float | None, int | None]:
        """(seconds, None) for a duration, (None, steps) for a step count."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(self.checkpoint_every))
        if not match or float(match.group(1)) <= 0:
            raise ConfigError(
                f"--checkpoint-every must be a duration such as 90s, 2m, 1h or a number of steps such as 5000, got {self.checkpoint_every!r}"
            )
        value, unit = float(match.group(1)), match.group(2)
        if not unit:
            return None, int(value)
        return value * {"s": 1, "m": 60, "h": 3600}[unit], None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _flag(field_name: str) -> str:
    return field_name.replace("_", "-")
