"""What a training run is told: the hyperparameters, and the options of the run.

`TrainConfig` holds every hyperparameter: what decides the vectors a run
learns from a corpus. A checkpoint is bound to it (and to the corpus), so a
resume with other hyperparameters is refused, naming the flags that differ.
`RunOptions` holds how the run is carried out: where files go, what it
prints, how it is distributed, how often it checkpoints. None of them changes
what is learned, so a resume may change any of them.

The CLI builds both; library functions take them. `validate()` checks ranges
and combinations before any expensive work starts, and raises `ConfigError`
with a message meant for the person who typed the option. Defaults follow
the word2vec C tool and gensim `Word2Vec(sg=1)` where they share a knob, so
figures can be compared setting for setting.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from .errors import ConfigError

ARCHITECTURES = ("skipgram", "cbow")
BATCH_SIZES = {"skipgram": 1024, "cbow": 2048}  # the default --batch-size of each architecture
# ... where the blocks are cut on a GPU (--pipeline device): a step there costs about the same at 8,192 centres
# as at 1,024, and text8like, 5 epochs, on an H200 kept gensim's quality (docs/benchmarks.md, "On one GPU").
# Halved down to BATCH_SIZES while an epoch would have fewer than DEVICE_MIN_STEPS steps: text8like's 1 epoch
# lost 3 points of analogy at 768 steps (16,384 centres) and 1.3 at 1,536 (8,192), and the shipped corpus
# collapsed in 1 epoch of 24 steps.
DEVICE_BATCH_SIZES = {"skipgram": 8192, "cbow": 16384}
DEVICE_MIN_STEPS = 1000

NEGATIVE_GROUPS = {"skipgram": 64, "cbow": 128}  # the default --negative-group of each architecture
# A skip-gram --subwords run's own defaults, fastText's noise distribution among them. On text8like
# (docs/benchmarks.md, "Rare and unseen words: smaller steps, fastText's noise and a looser cap"), the three
# together took Stanford's Rare Words at 5 epochs from 0.395-0.405 to 0.408-0.419 over four seeds
# (fastText 0.416-0.419) and analogy from 0.517-0.525 to 0.532-0.541; any one alone, or fastText's noise
# at 1,024 centres a step, did not. 256 centres did better still (0.417-0.422) but took a 1-epoch run
# to 1.30x fastText's words/s, against 1.64x at 512.
SUBWORD_SKIPGRAM_DEFAULTS = {"batch_size": 512, "ns_exponent": 0.5, "row_update_cap": 128.0}
NS_EXPONENT, ROW_UPDATE_CAP = 0.75, 32.0  # every other run's defaults
OBJECTIVES = ("negative-sampling", "distance", "distance-squared")
CONTEXT_TABLES = ("separate", "shared")
FORMATS = ("binary", "text")
STRATEGIES = ("default", "mirrored", "multi-worker", "parameter-server")
PIPELINES = ("auto", "host", "device")


def device_batch_size(architecture: str, kept_tokens_per_epoch: float) -> int:
    """The default --batch-size with --pipeline device, for an epoch of that many kept (subsampled) tokens."""
    size, least = DEVICE_BATCH_SIZES[architecture], BATCH_SIZES[architecture]
    while size > least and kept_tokens_per_epoch / size < DEVICE_MIN_STEPS:
        size //= 2
    return max(size, least)

# Flags whose name is not the field's name with dashes.
FLAG_NAMES = {"lowercase": "--no-lowercase", "output_format": "--format"}


@dataclass
class TrainConfig:
    # Vocabulary.
    min_count: int = 5
    max_vocab: int | None = None  # keep only the N most frequent words
    # Distinct tokens held while counting before rare ones are pruned (as
    # gensim's max_vocab_size does). 2M entries of a Python dict of str->int
    # take about 250 MB, and English Wikipedia text of 17M words has only
    # 220k distinct tokens, so pruning starts only on corpora far larger or
    # far noisier than that.
    count_limit: int = 2_000_000
    lowercase: bool = True
    token_pattern: str = r"\w+"

    # Pairs.
    window: int = 5  # maximum; each centre draws its own size in 1..window
    sample: float = 1e-3  # word2vec's subsampling threshold; 0 turns it off

    # Model.
    architecture: str = "skipgram"  # or "cbow": the window's mean predicts the centre
    # fastText's subword model: a word's input vector is the mean of its own
    # row and its character n-grams' rows (min_n..max_n characters of
    # "<word>", hashed into `buckets` rows), so unseen words get vectors too.
    subwords: bool = False
    min_n: int = 3
    max_n: int = 6
    buckets: int = 2_000_000
    objective: str = "negative-sampling"
    dim: int = 100
    negative: int = 5  # noise words per pair (per centre with CBOW), in expectation
    context_table: str = "separate"  # word2vec's second (output) table
    # Consecutive centres sharing one draw of `noise_draws` noise words (Ji et
    # al. 2016 share them within a window): the noise scores become small
    # matrix products. On 8M words of text8-style Wikipedia, 64 centres
    # sharing 32 draws gave analogy 0.064 against 0.030 for 8 sharing 5, and
    # 0.055 for gensim (docs/benchmarks.md). None: by architecture
    # (NEGATIVE_GROUPS). CBOW, text8like: a whole row of 128 centres per draw
    # took 0.91x the CPU time of 64 (1 epoch), analogy 0.078 against 0.076
    # (1 epoch) and 0.304 against 0.305 (5 epochs); skip-gram gained no time.
    negative_group: int | None = None
    noise_draws: int = 32
    # Noise words are drawn in proportion to count ** ns_exponent (gensim's
    # name): 0.75 is word2vec's and gensim's, 0.5 fastText's. None: 0.75
    # (NS_EXPONENT), and 0.5 for a skip-gram --subwords run
    # (SUBWORD_SKIPGRAM_DEFAULTS). Alone, at 1,024 centres a step, 0.5 gave
    # analogy 0.425 against 0.449 at 1 epoch and 0.535 against 0.523 at 5,
    # Stanford RW 0.358 and 0.404 against 0.353 and 0.400, misspellings
    # 0.084 and 0.054 against 0.074 and 0.069 (docs/benchmarks.md, "Rows that
    # drift where the loss cannot see").
    ns_exponent: float | None = None
    # Pair updates one table row takes at the full learning rate in one step;
    # a row repeated more often in the batch is scaled down to this many.
    # Small vocabularies and frequent words otherwise diverge (word2vec/windows.py).
    # None: 32 (ROW_UPDATE_CAP), and 128 for a skip-gram --subwords run.
    row_update_cap: float | None = None

    # Optimisation.
    epochs: int = 5
    alpha: float = 0.025  # start learning rate, decayed linearly as word2vec does
    min_alpha: float = 0.0001
    # Centre words per SGD step (about 6 pairs each with window 5): rows of
    # 128 consecutive centres. Frequent words repeat in a batch and their
    # summed row updates grow with it; the row-update cap holds them.
    # None: by architecture (BATCH_SIZES). Skip-gram, text8like, 5 epochs:
    # 1,024 gave analogy 0.384 against 0.358 for 2,048 at the same speed
    # (100 s against 96 s); 512 gave 0.388 in 107 s. CBOW, 1 epoch: a step
    # costs far less, so its fixed cost weighs more: 2,048 took 26 s (analogy
    # 0.074), 1,024 took 36 s (0.075).
    batch_size: int | None = None
    steps_per_call: int = 32  # SGD steps inside one compiled call
    seed: int = 1

    def __post_init__(self) -> None:
        # Not a field (no flag, not in the run's fingerprint): whether --batch-size was left to its default.
        self.batch_size_by_default = self.batch_size is None
        own = SUBWORD_SKIPGRAM_DEFAULTS if self.subwords and self.architecture == "skipgram" else {}
        # Not a field either: the options this run took from its mode's own defaults, for the run to say so.
        self.mode_defaults = {name: value for name, value in own.items() if getattr(self, name) is None}
        if self.batch_size is None:
            self.batch_size = own.get("batch_size", BATCH_SIZES.get(self.architecture, BATCH_SIZES["skipgram"]))
        if self.ns_exponent is None:
            self.ns_exponent = own.get("ns_exponent", NS_EXPONENT)
        if self.row_update_cap is None:
            self.row_update_cap = own.get("row_update_cap", ROW_UPDATE_CAP)
        if self.negative_group is None:
            self.negative_group = NEGATIVE_GROUPS.get(self.architecture, NEGATIVE_GROUPS["skipgram"])

    def validate(self) -> None:
        """Raise ConfigError naming the first option that is out of range."""
        at_least_one = ("window", "dim", "epochs", "batch_size", "min_count", "steps_per_call", "negative_group", "noise_draws")
        for name in at_least_one:
            if getattr(self, name) < 1:
                raise ConfigError(f"{flag(name)} must be at least 1, got {getattr(self, name)}")
        _choose("architecture", self.architecture, ARCHITECTURES)
        _choose("objective", self.objective, OBJECTIVES)
        _choose("context_table", self.context_table, CONTEXT_TABLES)
        if self.objective == "negative-sampling" and self.negative < 1:
            raise ConfigError(f"--negative must be at least 1 with negative sampling, got {self.negative}")
        if self.architecture == "cbow" and self.objective != "negative-sampling":
            raise ConfigError("--architecture cbow trains with negative sampling only; drop --objective or use skipgram")
        if self.subwords:
            if self.objective != "negative-sampling":
                raise ConfigError("--subwords trains with negative sampling only; drop --objective")
            if not 1 <= self.min_n <= self.max_n:
                raise ConfigError(f"--min-n must be at least 1 and at most --max-n ({self.max_n}), got {self.min_n}")
            if self.max_n > 20:
                raise ConfigError(f"--max-n must be at most 20 characters, got {self.max_n}")
            if self.buckets < 1:
                raise ConfigError(f"--buckets must be at least 1, got {self.buckets}")
        if self.batch_size % 16 or (self.batch_size > 128 and self.batch_size % 128):
            raise ConfigError(f"--batch-size must be a multiple of 16 up to 128, and of 128 beyond, got {self.batch_size}")
        row = min(self.batch_size, 128)
        if row % min(self.negative_group, row):
            raise ConfigError(f"--negative-group must divide the row of {row} centres, got {self.negative_group}")
        for name in ("sample", "alpha", "min_alpha", "row_update_cap", "ns_exponent"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{flag(name)} must be a finite number, got {getattr(self, name)}")
        if self.sample < 0:
            raise ConfigError(f"--sample must be 0 (off) or positive, got {self.sample}")
        if self.row_update_cap <= 0:
            raise ConfigError(f"--row-update-cap must be positive, got {self.row_update_cap}")
        if self.alpha <= 0:
            raise ConfigError(f"--alpha must be positive, got {self.alpha}")
        if not 0 <= self.min_alpha <= self.alpha:
            raise ConfigError(f"--min-alpha must be between 0 and --alpha ({self.alpha}), got {self.min_alpha}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ConfigError(f"--max-vocab must be at least 1, got {self.max_vocab}")
        if self.count_limit < 1000:
            raise ConfigError(f"the counting limit must be at least 1000 distinct tokens, got {self.count_limit}")
        try:
            re.compile(self.token_pattern)
        except re.error as error:
            raise ConfigError(f"--token-pattern is not a valid regular expression: {error}") from None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class RunOptions:
    output_format: str | None = None  # None: from the output's extension
    # Checkpoints: a duration ("90s", "2m", "1h") or a number of SGD steps
    # ("5000"). Two minutes puts at most two minutes of work at risk, and a
    # save of text8-sized tables (2 x 27 MB) takes a fraction of a second.
    checkpoint_every: str = "2m"
    tensorboard: str | None = None  # directory for training curves and projector files
    keep_work: bool = False
    work_dir: str | None = None  # where the encoded corpus goes; None: beside the output
    threads: int = 0  # TensorFlow intra-op threads; 0 lets TensorFlow choose
    # Where compiled training steps are kept between runs (training/compile_cache.py);
    # None: UNSUP_EMBED_COMPILE_CACHE, else the user's cache directory; "off": not kept.
    compile_cache: str | None = None
    quiet: bool = False
    # Hand the vectors back in memory too (TrainResult.keyed_vectors, gensim's KeyedVectors; with
    # subwords they answer unseen words), so that queries after the run need not read the files back.
    keep_vectors: bool = False
    # Whether Keras may import its optional integrations (pandas, matplotlib, scikit-learn, OpenCV)
    # where they are installed; the command line's process only trains, and leaves them out (training/startup.py).
    keras_extras: bool = True
    # Where the training blocks are cut: "host" (NumPy, beside the compiled step), "device" (on the
    # accelerator, with the corpus there: Keras' JAX backend, training/device_trainer.py), "auto":
    # the device where Keras runs on JAX and JAX has a GPU or TPU, else the host.
    pipeline: str = "auto"
    # Distribution (see docs/scaling.md); the cluster comes from TF_CONFIG.
    strategy: str = "default"
    # About how long a dead peer may go unnoticed: every worker's health
    # check pings its peers a quarter of this apart, and ends the run with
    # an error when one stops answering, instead of a hang.
    peer_timeout: float = 120.0

    def validate(self) -> None:
        if self.output_format is not None:
            _choose("output_format", self.output_format, FORMATS)
        _choose("strategy", self.strategy, STRATEGIES)
        _choose("pipeline", self.pipeline, PIPELINES)
        if not self.peer_timeout > 0 or not math.isfinite(self.peer_timeout):
            raise ConfigError(f"--peer-timeout must be a positive number of seconds, got {self.peer_timeout}")
        if self.threads < 0:
            raise ConfigError(f"--threads must be 0 (as many as cores) or positive, got {self.threads}")
        self.checkpoint_interval()

    def checkpoint_interval(self) -> tuple[float | None, int | None]:
        """(seconds, None) for a duration, (None, steps) for a step count."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(self.checkpoint_every))
        if not match or float(match.group(1)) <= 0:
            raise ConfigError(
                "--checkpoint-every must be a duration such as 90s, 2m, 1h or a number of steps such as 5000, "
                f"got {self.checkpoint_every!r}"
            )
        value, unit = float(match.group(1)), match.group(2)
        if not unit:
            return None, int(value)
        return value * {"s": 1, "m": 60, "h": 3600}[unit], None


def flag(field_name: str) -> str:
    """The command-line flag that sets a config field."""
    return FLAG_NAMES.get(field_name, "--" + field_name.replace("_", "-"))


def _choose(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{flag(name)} must be one of {', '.join(allowed)}, got {value!r}")
