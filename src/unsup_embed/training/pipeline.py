"""Where a run's blocks are cut: on the host (word2vec/blocks.py) or on the accelerator (`--pipeline`).

- `on_device`: `--pipeline device`, or `auto` where Keras runs on JAX and
  JAX has a GPU (or TPU), for one process training word vectors
  (preflight.py refuses `device` where it cannot run);
- `check_resumed_pipeline`: a checkpoint records where its blocks were cut,
  and resumes only there;
- `device_trainer`: the trainer of the device pipeline (device_trainer.py),
  once the GPU's memory is known to hold the corpus, which is copied there.

JAX is imported only for a run that needs it.
"""

from __future__ import annotations

import logging
import time

from ..config import RunOptions, TrainConfig
from ..errors import CheckpointError
from ..text.encode import EncodedCorpus
from ..word2vec.blocks import BlockShape
from .preflight import table_bytes

logger = logging.getLogger(__name__)


def on_device(options: RunOptions, config: TrainConfig) -> bool:
    """Whether this run cuts its blocks on the accelerator (--pipeline; preflight.py refused what cannot)."""
    if options.pipeline != "auto":
        return options.pipeline == "device"
    import keras

    if keras.backend.backend() != "jax" or options.strategy != "default" or config.subwords:
        return False
    import jax

    return jax.default_backend() != "cpu"


def check_resumed_pipeline(state: dict, device: bool) -> None:
    """A run resumes only where its blocks were cut: the two pipelines lay their blocks out differently."""
    pipeline = "device" if device else "host"
    saved = state["distribution"].get("pipeline", "host")
    if saved != pipeline:
        raise CheckpointError(
            f"cannot resume: the checkpoint's blocks were cut on the {saved} (--pipeline {saved}), and this run cuts them on the "
            f"{pipeline}; resume with --pipeline {saved}{' and KERAS_BACKEND=jax' if saved == 'device' else ''}, or pass --force to start over"
        )


def device_trainer(encoded: EncodedCorpus, keep, noise, shape: BlockShape, config: TrainConfig, make_model, vocabulary_size: int):
    """The trainer of --pipeline device (device_trainer.py): the corpus copied to the accelerator once."""
    import jax

    from ..word2vec.device_blocks import DeviceCorpus
    from .device_trainer import DeviceTrainer, check_device_memory, out_of_device_memory_as_failure

    started = time.perf_counter()
    check_device_memory(len(encoded), table_bytes(config, vocabulary_size))
    with out_of_device_memory_as_failure("copying the corpus there"):
        corpus = DeviceCorpus(encoded, keep, noise, shape, config.epochs, config.alpha, config.min_alpha, config.seed)
    device = jax.devices()[0]
    where = device.platform.upper() + ("" if device.device_kind.lower() == device.platform else f" ({device.device_kind})")
    logger.info(
        "blocks are cut on %s, %s centres per step: %s tokens copied there in %.1f s",
        where, f"{shape.centres_per_step:,}", f"{corpus.tokens:,}", time.perf_counter() - started,
    )  # fmt: skip
    return DeviceTrainer(make_model(), corpus)
