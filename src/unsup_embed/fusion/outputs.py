"""What a fusion run leaves on disk: the classifier, the weights, the fused vectors, TensorBoard files.

In the output directory, each file written atomically (`files.atomic_path`),
so none appears half-written under its final name:

- `classifier.keras`: the trained model in Keras format (token ids in, class
  probabilities out); `fusion.load_classifier` loads it with its custom
  layers registered;
- `source_weights.tsv`: a header `word<TAB>source...`, then one line per task
  word in id order (the first line is id 2), one weight column per source
  (softmax-normalised where the model normalises; the mean of the vector for
  vector weights);
- `fused.vec`: word2vec text (the layout of gensim's `save_word2vec_format`) of the fused
  vector of every task word that at least one source knows.

For TensorBoard, the training curves: loss, accuracy, learning rate and
words/s per epoch, for training and validation (the projector files are
`tensorboard.write_projector`'s).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..files import atomic_path, can_create_in, nearest_existing
from ..vectors import save_word2vec

OUTPUT_NAMES = ("classifier.keras", "fused.vec", "source_weights.tsv")


def check_output_dir(output_dir: str | os.PathLike, force: bool = False) -> None:
    """Fail before training if the outputs cannot be written or would replace others' without --force."""
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ConfigError(f"output {str(output_dir)!r} is a file; -o takes a directory")
    existing = [name for name in OUTPUT_NAMES if (output_dir / name).exists()]
    if existing and not force:
        raise ConfigError(f"{output_dir} already holds {', '.join(existing)}; pass --force to replace them, or choose another -o")
    ancestor = nearest_existing(output_dir)
    if not ancestor.is_dir() or not can_create_in(ancestor):
        raise ConfigError(f"cannot create files under {str(ancestor)!r}; choose another -o")


def write_outputs(
    output_dir: str | os.PathLike,
    model,
    words: Sequence[str],
    names: Sequence[str],
    weights: np.ndarray,
    vectors: np.ndarray,
    known: np.ndarray,
) -> dict[str, str]:
    """Write the three outputs; `words`, `weights`, `vectors` and `known` are indexed by task id."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {name.split(".")[0]: output_dir / name for name in OUTPUT_NAMES}
    with atomic_path(paths["classifier"]) as temporary:
        model.save(str(temporary))
    with atomic_path(paths["source_weights"]) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        stream.write("\t".join(["word", *names]) + "\n")
        for word, row in zip(words[2:], weights[2:]):
            stream.write(word + "\t" + "\t".join(f"{value:.6g}" for value in row) + "\n")
    rows = np.flatnonzero(known)
    save_word2vec(paths["fused"], [words[i] for i in rows], vectors[rows], binary=False)
    return {name: str(path) for name, path in paths.items()}


def training_curves_callback(log_dir: str | os.PathLike, tokens_per_epoch: int):
    """A Keras callback writing each epoch's logs, the learning rate and words/s as TensorBoard scalars.

    Training figures go to `train/`, validation ones to `validation/`, under
    the tags Keras' own TensorBoard callback uses (`epoch_loss`, ...), through
    `tensorboard.write_scalars` (no `tensorboard` package needed to write).
    """
    import keras
    import tensorflow as tf

    from ..tensorboard import write_scalars

    class TrainingCurves(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.writers = {run: tf.summary.create_file_writer(str(Path(log_dir) / run)) for run in ("train", "validation")}

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            values = dict(logs or {})
            values["words_per_second"] = tokens_per_epoch / max(time.perf_counter() - self.started, 1e-9)
            values["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            for run in ("train", "validation"):
                chosen = {key: value for key, value in values.items() if key.startswith("val_") == (run == "validation")}
                write_scalars(self.writers[run], {f"epoch_{key.removeprefix('val_')}": value for key, value in chosen.items()}, epoch)

        def on_train_end(self, logs=None):
            for writer in self.writers.values():
                writer.close()

    return TrainingCurves()
