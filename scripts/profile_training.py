#!/usr/bin/env python3
"""Where does training time go? The host's blocks, the compiled step, and the step's operations, as tables.

On one corpus (default: the first 4M words of text8like), after the reading
pass, it times:
  1. the host side alone: one epoch of blocks (subsampling, the rows of each
     step, with --subwords their input rows), made and thrown away;
  2. the compiled block step alone, on blocks made beforehand;
  3. both, as training runs them (the host's blocks made in a thread);
then, with `--operations`, it traces a few blocks with TensorFlow's profiler
and XLA's per-operation trace events, and lists the operations that take the
most time per block (dot products, gathers, scatters, fusions...).

    python scripts/profile_training.py [--corpus PATH] [--max-words N] [--batch-size B] [--subwords] [--operations]
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "text8like.zip"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-words", type=int, default=4_000_000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the architecture's, as train-unsup uses")
    parser.add_argument("--steps-per-call", type=int, default=32)
    parser.add_argument("--architecture", choices=("skipgram", "cbow"), default="skipgram")
    parser.add_argument("--subwords", action="store_true")
    parser.add_argument("--negative-group", type=int, default=None, help="default: train-unsup's")
    parser.add_argument("--noise-draws", type=int, default=None, help="default: train-unsup's")
    parser.add_argument("--operations", action="store_true", help="also list the compiled step's costliest operations")
    arguments = parser.parse_args()
    if arguments.operations:
        os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT / "scripts"))
    from benchmark import prepare_corpus

    from unsup_embed.config import TrainConfig
    from unsup_embed.text.corpus import TextCorpus
    from unsup_embed.text.ingest import ingest
    from unsup_embed.training.prefetch import ahead
    from unsup_embed.training.trainers import build_model, noise_words, subword_packer
    from unsup_embed.word2vec.blocks import BlockShape, BlockStream

    noise = {name: getattr(arguments, name) for name in ("negative_group", "noise_draws") if getattr(arguments, name) is not None}
    config = TrainConfig(batch_size=arguments.batch_size, steps_per_call=arguments.steps_per_call, architecture=arguments.architecture, subwords=arguments.subwords, epochs=1, **noise)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        corpus = prepare_corpus(arguments.corpus, work, arguments.max_words, 1)
        read = ingest(TextCorpus(corpus), work / "ids", config.min_count, None, config.count_limit, progress=False)
        vocabulary, tokens = read.vocabulary, len(read.encoded)
        shape = BlockShape.for_batch(config.batch_size, config.steps_per_call, config.window)
        keep = vocabulary.keep_probabilities(config.sample)
        packer = subword_packer(vocabulary, config, shape, vocabulary.counts * keep) if config.subwords else None
        noise = noise_words(vocabulary, config, shape)
        stream = BlockStream(read.encoded, keep, shape, 1, config.alpha, config.min_alpha, config.seed, subwords=packer, noise=noise)

        started = time.perf_counter()
        blocks = list(stream.epoch(0))
        host = time.perf_counter() - started

        model = build_model(vocabulary, config, shape)
        model.train_on_batch(blocks[0])  # compiles
        started = time.perf_counter()
        for block in blocks:
            model.train_on_batch(block)
        step = time.perf_counter() - started

        started = time.perf_counter()
        with ahead(stream.epoch(0)) as made:  # as the training loop runs them: the host a few blocks ahead, in a thread
            for block in made:
                model.train_on_batch(block)
        both = time.perf_counter() - started

        rows = [("host side alone (blocks)", host), ("compiled step alone", step), ("both, as training runs", both)]
        print(f"{tokens:,} in-vocabulary tokens, vocabulary {len(vocabulary):,}, {len(blocks)} blocks of {shape.steps} steps x {shape.centres_per_step:,} centres"
              + (f", {packer.budget:,} input rows per step" if packer else ""))
        print("\n| part | seconds | words/s |\n|---|---|---|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} | {tokens / seconds:,.0f} |")
        if arguments.operations:
            print_operations(model, blocks[1:6])
    return 0


def print_operations(model, blocks: list) -> None:
    """The compiled step's costliest operations per block, from XLA's trace events."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as directory:
        tf.profiler.experimental.start(directory)
        for block in blocks:
            model.train_on_batch(block)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(open(glob.glob(f"{directory}/**/*.xplane.pb", recursive=True)[0], "rb").read())
    totals: collections.Counter = collections.Counter()
    for plane in space.planes:
        names = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            if "Eigen" not in line.name and "XLA" not in line.name:
                continue  # XLA's worker threads carry the operations' events
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                if not name.startswith(("ThunkExecutor", "SlinkyThreadPool")):
                    totals[name] += event.duration_ps / 1e9  # milliseconds
    print("\n| operation (XLA) | ms per block |\n|---|---|")
    for name, milliseconds in totals.most_common(20):
        print(f"| {name} | {milliseconds / len(blocks):.1f} |")


if __name__ == "__main__":
    sys.exit(main())
