#!/usr/bin/env python3
"""Where does training time go? The pair pipeline and the compiled step, apart and together.

On one corpus (default: the first 4M words of text8like), after counting and
encoding, it times:
  1. the NumPy pair pipeline alone: one epoch of blocks (pairs, shuffle,
     noise words), consumed and thrown away;
  2. the compiled Keras training step alone: the same blocks, made
     beforehand and fed through the same tf.data path (no NumPy work);
  3. both together: one epoch of `model.fit`, as training runs.
If 3 is close to 2, the step is the bottleneck and the pipeline is hidden
behind it by prefetch; if 3 is close to 1 + 2, they do not overlap.

    python scripts/profile_training.py [--corpus PATH] [--max-words N] [--batch-size B]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "text8like.zip"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-words", type=int, default=4_000_000)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--steps-per-call", type=int, default=32)
    arguments = parser.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from unsup_embed.config import TrainConfig
    from unsup_embed.encode import EncodedCorpus
    from unsup_embed.model import SkipGramModel
    from unsup_embed.pairs import PairBlocks
    from unsup_embed.train import block_dataset
    from unsup_embed.vocab import Vocabulary

    work = Path(tempfile.mkdtemp(prefix="unsup-embed-profile-"))
    text = work / "corpus.txt"
    with zipfile.ZipFile(arguments.corpus) as archive, archive.open(archive.namelist()[0]) as source:
        words = source.read(arguments.max_words * 7).decode("utf-8", "replace").split()[: arguments.max_words]
    text.write_text(" ".join(words))
    sentences = [words[i : i + 10_000] for i in range(0, len(words), 10_000)]
    config = TrainConfig(epochs=1, batch_size=arguments.batch_size, steps_per_call=arguments.steps_per_call, quiet=True)
    vocabulary = Vocabulary.build(sentences, config.min_count, progress=False)
    encoded = EncodedCorpus.write(sentences, vocabulary, work / "work", progress=False)
    blocks = PairBlocks(encoded, vocabulary, config)

    started = time.perf_counter()
    produced = list(blocks.epoch(0))
    pipeline_seconds = time.perf_counter() - started

    def new_model():
        model = SkipGramModel(len(vocabulary), config.dim, negative_group=config.negative_group, steps_per_call=config.steps_per_call, seed=1)
        model.build()
        model.compile(optimizer=keras.optimizers.SGD(config.alpha), jit_compile=True)
        model.optimizer.build(model.trainable_variables)
        return model

    class Replay:
        """Stands in for PairBlocks: the same tf.data path, blocks made beforehand."""

        negative_sampling = True

        def epoch(self, epoch):
            return iter(produced)

    model = new_model()
    model.fit(block_dataset(Replay(), config, epoch=0).take(1), verbose=0)  # compile outside the clock
    started = time.perf_counter()
    model.fit(block_dataset(Replay(), config, epoch=0), verbose=0)
    step_seconds = time.perf_counter() - started

    model = new_model()
    model.fit(block_dataset(Replay(), config, epoch=0).take(1), verbose=0)
    started = time.perf_counter()
    model.fit(block_dataset(blocks, config, epoch=0), verbose=0)
    together_seconds = time.perf_counter() - started

    tokens = len(encoded)
    pairs = sum(float(block["weight"].sum()) for block in produced)
    print(f"corpus: {tokens:,} in-vocabulary tokens, {pairs:,.0f} pairs in {len(produced)} blocks of {config.steps_per_call} x {config.batch_size}")
    print("| part | seconds | words/s | pairs/s |")
    print("|---|---|---|---|")
    for label, seconds in (
        ("pair pipeline alone (NumPy)", pipeline_seconds),
        ("compiled step alone (replayed blocks)", step_seconds),
        ("both, as training runs (fit + prefetch)", together_seconds),
    ):
        print(f"| {label} | {seconds:.2f} | {tokens / seconds:,.0f} | {pairs / seconds:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
