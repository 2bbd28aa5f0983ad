"""TensorBoard output: scalar curves and embedding-projector files.

Scalars are written with `tf.summary.write` and the scalars plugin's metadata,
which is what `tf.summary.scalar` does, so runs are recorded without the
`tensorboard` package installed (it is needed only to look at them:
`pip install tensorboard; tensorboard --logdir DIR`).

The projector files are the plugin's plain layout: `vectors.tsv` (one vector
per line), `metadata.tsv` (one word per line, no header, as the projector
expects for a single column) and `projector_config.pbtxt` tying them together.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .files import atomic_path

PROJECTOR_WORDS = 10_000  # the projector slows down past some ten thousand points


def write_projector(directory: str | os.PathLike, words: Sequence[str], vectors: np.ndarray, tensor_name: str = "embedding") -> None:
    """The embedding projector's files for `vectors` labelled by `words`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / "vectors.tsv") as temporary:
        np.savetxt(temporary, vectors, delimiter="\t", fmt="%.5g")
    with atomic_path(directory / "metadata.tsv") as temporary:
        temporary.write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
    config = f'embeddings {{\n  tensor_name: "{tensor_name}"\n  tensor_path: "vectors.tsv"\n  metadata_path: "metadata.tsv"\n}}\n'
    with atomic_path(directory / "projector_config.pbtxt") as temporary:
        temporary.write_text(config, encoding="utf-8")


def write_scalars(writer, values: dict[str, float], step: int) -> None:
    """Scalars under their names at `step`, through a `tf.summary` file writer."""
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    with writer.as_default():
        for name, value in values.items():
            tf.summary.write(name, tf.constant(float(value)), step=step, metadata=metadata)
    writer.flush()
