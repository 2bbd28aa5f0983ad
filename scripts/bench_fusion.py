#!/usr/bin/env python3
"""Fusion against its parts on rt-polarity: one table of accuracy, mean ± std.

Every method trains the same classifier (`unsup_embed.classifier`, Conv1D
widths 3/4/5 x 100 filters + max over time, dropout 0.5, Adam, the
`FusionConfig` defaults) on the same splits, and differs only in the
embedding under it:

- each source alone (frozen);
- the sources concatenated (one frozen table);
- fusion with scalar weights, softmax-normalised and free (the measurement
  behind the `--normalise` default), and with vector weights;
- a randomly initialised trainable embedding (dim 100).

Protocol: `--splits` seeded random 90/10 splits of the 10,662 sentences
(split i uses seed i for the split and for the model's initialisation), the
same splits for every method. A ninth of the 90 % (10 % of the data) is set
aside as the development set for early stopping, as Kim (2014) did on this
data: every method trains for at most `--max-epochs` epochs, stops after
`--patience` epochs without a better development accuracy and keeps its best
epoch's weights; the table gives the accuracy on the held-out 10 %, which
no method has seen.

Sources: the files given with --source, or by default three trained once on
text8like.zip and kept in --cache: unsup-embed (skip-gram, negative sampling,
dim 100), gensim skip-gram (dim 100) and gensim CBOW (dim 200), all 5 epochs,
window 5, min_count 5.

    python scripts/bench_fusion.py                          # trains the default sources once (~10 min), then ~30 min
    python scripts/bench_fusion.py --splits 1 --max-epochs 3 --no-report
    python scripts/bench_fusion.py --source glove.txt --source w2v.bin

The table, with the date, machine and versions, is printed and appended to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_SOURCES = {  # file name in the cache -> how it is trained
    "unsup-embed-sgns-100.bin": "unsup-embed train --dim 100 --epochs 5 (skip-gram, negative sampling)",
    "gensim-skipgram-100.bin": "gensim Word2Vec(sg=1, vector_size=100, epochs=5)",
    "gensim-cbow-200.bin": "gensim Word2Vec(sg=0, vector_size=200, epochs=5)",
}
RANDOM_DIM = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "rt-polarity", help="directory with rt-polarity.pos and rt-polarity.neg")
    parser.add_argument("--corpus", type=Path, default=SHARED / "text8like.zip", help="corpus the default sources are trained on")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench-cache", help="where the default sources are trained once and kept")
    parser.add_argument("--source", action="append", type=Path, default=None, help="a vectors file; repeat (default: the three trained sources)")
    parser.add_argument("--splits", type=int, default=5, help="seeded 90/10 splits")
    parser.add_argument("--max-epochs", type=int, default=15, help="epochs at most")
    parser.add_argument("--patience", type=int, default=3, help="epochs without a better development accuracy before stopping")
    parser.add_argument("--only", nargs="+", default=None, metavar="METHOD", help="run only these methods (names as in the table)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file the table is appended to")
    parser.add_argument("--no-report", action="store_true", help="print only")
    arguments = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    files = sorted(arguments.data.glob("rt-polarity.*")) if arguments.data.is_dir() else []
    if len(files) != 2:
        print(f"bench_fusion: expected rt-polarity.pos and rt-polarity.neg in {arguments.data}; pass --data", file=sys.stderr)
        return 2
    sources = arguments.source or train_default_sources(arguments.corpus, arguments.cache)
    from unsup_embed.fusion import FusionConfig

    config = FusionConfig(epochs=arguments.max_epochs)
    results, notes = run_all(files, sources, config, arguments.splits, arguments.patience, arguments.only)
    table = format_report(results, notes, sources, config, arguments)
    from benchmark import publish

    publish(table, None if arguments.no_report else arguments.report)
    return 0


def train_default_sources(corpus: Path, cache: Path) -> list[Path]:
    """The three default sources, trained into `cache` unless already there."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [cache / name for name in DEFAULT_SOURCES]
    if all(path.exists() for path in wanted):
        return wanted
    if not corpus.exists():
        raise SystemExit(f"bench_fusion: corpus {corpus} does not exist; pass --corpus or --source")
    text = cache / "corpus.txt"
    if not text.exists():
        with zipfile.ZipFile(corpus) as archive, archive.open(archive.namelist()[0]) as member, open(text, "wb") as out:
            while block := member.read(1 << 22):
                out.write(block)
    for path in wanted:
        if path.exists():
            continue
        started = time.perf_counter()
        partial = path.with_name(path.name + ".partial.bin")
        if path.name.startswith("unsup-embed"):
            command = [sys.executable, "-m", "unsup_embed", "train", str(text), "-o", str(partial), "--dim", "100", "--epochs", "5", "--quiet", "--force"]
            subprocess.run(command, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            partial.with_name(partial.name + ".vocab.tsv").unlink(missing_ok=True)
        else:
            from gensim.models import Word2Vec
            from gensim.models.word2vec import Text8Corpus

            skipgram = "skipgram" in path.name
            model = Word2Vec(
                Text8Corpus(str(text)), sg=int(skipgram), vector_size=100 if skipgram else 200, window=5, negative=5,
                sample=1e-3, min_count=5, epochs=5, workers=os.cpu_count() or 2, seed=1,
            )  # fmt: skip
            model.wv.save_word2vec_format(str(partial), binary=True)
        os.replace(partial, path)
        print(f"trained {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return wanted


def run_all(files: list[Path], source_paths: list[Path], config, splits: int, patience: int, only: list[str] | None):
    """{method: [test accuracy per split]}, and notes (coverage, mean weights, seconds, epochs)."""
    import keras

    from unsup_embed.classifier import accuracy as test_accuracy
    from unsup_embed.fusion import TaskVocabulary, aligned_tables, build_fusion_model, classifier_over, fit, source_names
    from unsup_embed.labelled import read_labelled, split_validation
    from unsup_embed.sources import load_source

    data = read_labelled(files)
    names = source_names(source_paths)
    sources = {name: load_source(path) for name, path in zip(names, source_paths)}
    tokenizer = config.tokenizer()
    results: dict[str, list[float]] = {}
    notes: dict = {"coverage": {}, "weights": {}, "seconds": {}, "epochs": {}}
    for split in range(splits):
        train, test = split_validation(data, 0.1, seed=split)
        train, development = split_validation(train, 1 / 9, seed=split)
        vocabulary = TaskVocabulary.build(train.texts, tokenizer, config.min_count)
        matrices, coverage = aligned_tables(sources, vocabulary, config.scale_sources)
        notes["coverage"].setdefault(split, coverage)
        encoded = [(vocabulary.encode(part.texts, tokenizer, config.max_length), part.labels) for part in (train, development, test)]
        size = len(vocabulary)

        def frozen(matrix):
            return keras.layers.Embedding(size, matrix.shape[1], weights=[matrix], trainable=False, mask_zero=True)

        methods = {f"{name} alone": (lambda m=matrix: frozen(m)) for name, matrix in zip(names, matrices)}
        methods["sources concatenated"] = lambda: frozen(np.hstack(matrices))
        fusions = {"fusion, scalar weights (softmax)": ("scalar", "softmax"), "fusion, scalar weights (free)": ("scalar", "none")}
        fusions["fusion, vector weights"] = ("vector", "none")
        for label, (weights, normalise) in fusions.items():
            methods[label] = (weights, normalise)
        methods[f"random trainable embedding (dim {RANDOM_DIM})"] = lambda: keras.layers.Embedding(size, RANDOM_DIM, mask_zero=True)
        for method, make in methods.items():
            if only and method not in only:
                continue
            keras.backend.clear_session()
            keras.utils.set_random_seed(split)
            run_config = type(config)(**{**config.__dict__, "seed": split})
            started = time.perf_counter()
            fused = None
            if isinstance(make, tuple):
                run_config.weights, run_config.normalise = make
                model, fused = build_fusion_model(matrices, 2, run_config)
            else:
                model = classifier_over(make(), 2, run_config)
            stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True)
            history, _ = fit(model, encoded[0], encoded[1], run_config, callbacks=[stop])
            accuracy = test_accuracy(model, *encoded[2])
            results.setdefault(method, []).append(accuracy)
            notes["epochs"].setdefault(method, []).append(int(np.argmax(history["val_accuracy"])) + 1)
            notes["seconds"].setdefault(method, []).append(time.perf_counter() - started)
            if fused is not None:
                notes["weights"].setdefault(method, []).append(fused.word_weights()[2:].mean(axis=0))
            print(f"split {split}: {method}: {accuracy:.4f} (best epoch {notes['epochs'][method][-1]}, {time.perf_counter() - started:.0f} s)", flush=True)
    return results, notes


def format_report(results: dict, notes: dict, source_paths: list[Path], config, arguments) -> str:
    import gensim
    import keras
    import tensorflow

    from unsup_embed import __version__

    sys.path.insert(0, str(ROOT / "scripts"))
    from benchmark import cpu_model, memory_gib

    names = [path.name for path in source_paths]
    splits = max(len(values) for values in results.values())
    lines = [
        f"### {datetime.datetime.now():%Y-%m-%d %H:%M} — fusion on rt-polarity, {splits} seeded 90/10 split(s), early stopping on a development tenth",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB, {platform.system()} {platform.machine()}. "
        f"Python {platform.python_version()}, unsup-embed {__version__}, TensorFlow {tensorflow.__version__}, Keras {keras.__version__}, "
        f"gensim {gensim.__version__}, NumPy {np.__version__}.",
        "",
        f"Command: `python scripts/bench_fusion.py{''.join(' ' + part for part in sys.argv[1:])}`",
        "",
        f"Classifier: {config.classifier}, kernel widths {'/'.join(map(str, config.kernel_sizes))} x {config.filters} filters, "
        f"dropout {config.dropout}, Adam {config.learning_rate}, batch {config.batch_size}, at most {config.epochs} epochs "
        f"(patience {arguments.patience}); sources scaled to mean row length 1. Sources:",
        "",
    ]
    coverage = notes["coverage"].get(0, {})
    for name in names:
        described = DEFAULT_SOURCES.get(name, "given with --source")
        found = f"; {coverage[name].found:,} of {coverage[name].total:,} task words ({coverage[name].share:.1%})" if name in coverage else ""
        lines.append(f"- `{name}`: {described}{found}")
    lines += ["", "| embedding under the classifier | test accuracy (mean ± std) | splits | best epoch (mean) | s per run |", "|---|---|---|---|---|"]
    best_single = max((np.mean(v) for k, v in results.items() if k.endswith(" alone")), default=None)
    for method, values in results.items():
        mean, std = np.mean(values), np.std(values, ddof=1) if len(values) > 1 else 0.0
        mark = " (≥ best single)" if method.startswith("fusion") and best_single is not None and mean >= best_single else ""
        epochs, seconds = np.mean(notes["epochs"][method]), np.mean(notes["seconds"][method])
        lines.append(f"| {method} | {mean:.2%} ± {std:.2%}{mark} | {len(values)} | {epochs:.1f} | {seconds:.0f} |")
    if notes["weights"]:
        lines += ["", "Mean learned weight per source over the task vocabulary (averaged over splits):", ""]
        for method, rows in notes["weights"].items():
            means = np.mean(rows, axis=0)
            lines.append(f"- {method}: " + ", ".join(f"`{name}` {value:.3f}" for name, value in zip(names, means)))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
