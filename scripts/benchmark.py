#!/usr/bin/env python3
"""unsup-embed against gensim Word2Vec on one corpus, in one run, as a table.

Both tools train skip-gram with the same settings (dim 100, window 5,
negative 5, sample 1e-3, min_count 5, the same epochs; gensim with
--workers threads), one after the other, each in its own child process. For
each: end-to-end wall time (corpus file in, word2vec binary file out), words/s
(in-vocabulary corpus tokens x epochs / wall time), the child's peak RSS, and
the evaluation figures of its output (`unsup_embed.evaluate`: Google analogies
restricted to the 30,000 most frequent words, WordSim-353, SimLex-999). The
table, with the date, machine and versions, is printed and appended to
docs/benchmarks.md.

    python scripts/benchmark.py                         # text8like, 5 epochs
    python scripts/benchmark.py --epochs 1 --max-words 2000000
    python scripts/benchmark.py --only unsup-embed --repeat 4 --epochs 1   # memory on a 4x corpus

The corpus is prepared (unzipped, cut to --max-words, repeated --repeat
times) before any clock starts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "text8like.zip"
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "sample": 1e-3, "min_count": 5}
TOOLS = ("unsup-embed", "gensim")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text file, directory, or .zip of one text file")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--max-words", type=int, default=None, help="use only the first N words of the corpus")
    parser.add_argument("--repeat", type=int, default=1, help="concatenate the corpus N times (memory scaling)")
    parser.add_argument("--workers", type=int, default=2, help="gensim worker threads")
    parser.add_argument("--only", choices=TOOLS, default=None, help="run one tool only")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file the table is appended to")
    parser.add_argument("--no-report", action="store_true", help="print only")
    parser.add_argument("--gensim-child", nargs=3, metavar=("CORPUS", "OUTPUT", "EPOCHS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.gensim_child:
        return gensim_child(*arguments.gensim_child, workers=arguments.workers)
    if not arguments.corpus.exists():
        print(f"benchmark: corpus {arguments.corpus} does not exist; pass --corpus", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="unsup-embed-bench-"))
    try:
        corpus = prepare_corpus(arguments.corpus, work, arguments.max_words, arguments.repeat)
        tools = [arguments.only] if arguments.only else list(TOOLS)
        results = {tool: run_tool(tool, corpus, work, arguments.epochs, arguments.workers) for tool in tools}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = format_table(results, arguments)
    publish(table, None if arguments.no_report else arguments.report)
    return 0


def publish(table: str, report: Path | None) -> None:
    """Print the table and, unless report is None, append it to that markdown file."""
    print(table)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        with open(report, "a", encoding="utf-8") as stream:
            stream.write("\n" + table + "\n")
        print(f"\nappended to {report}")


def prepare_corpus(source: Path, work: Path, max_words: int | None, repeat: int) -> Path:
    """One plain text file in `work`: unzipped, cut to max_words, repeated."""
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            member = next(name for name in archive.namelist() if not name.endswith("/"))
            archive.extract(member, work / "unzipped")
            source = work / "unzipped" / member
    if source.is_dir():
        raise SystemExit("benchmark: give a single corpus file (or a .zip of one): gensim's reader here takes one file")
    if max_words is not None:
        cut = work / "cut.txt"
        with open(source, encoding="utf-8", errors="replace") as reader, open(cut, "w", encoding="utf-8") as writer:
            remaining = max_words
            while remaining > 0:
                block = reader.read(1 << 20)
                if not block:
                    break
                words = block.split(" ")
                if len(words) > remaining:
                    block = " ".join(words[:remaining])
                remaining -= len(words) - 1
                writer.write(block)
        source = cut
    if repeat > 1:
        repeated = work / "repeated.txt"
        with open(repeated, "wb") as writer:
            for _ in range(repeat):
                with open(source, "rb") as reader:
                    shutil.copyfileobj(reader, writer, 1 << 22)
                writer.write(b"\n")
        source = repeated
    return source


def run_tool(tool: str, corpus: Path, work: Path, epochs: int, workers: int) -> dict:
    output = work / f"{tool}.bin"
    if tool == "unsup-embed":
        command = [
            sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), "--epochs", str(epochs), "--quiet",
            "--dim", str(SETTINGS["dim"]), "--window", str(SETTINGS["window"]), "--negative", str(SETTINGS["negative"]),
            "--sample", str(SETTINGS["sample"]), "--min-count", str(SETTINGS["min_count"]),
        ]  # fmt: skip
    else:
        command = [sys.executable, __file__, "--gensim-child", str(corpus), str(output), str(epochs), "--workers", str(workers)]
    print(f"running {tool}: {' '.join(Path(part).name if os.sep in part else part for part in command)}", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stdout = child.stdout.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark: {tool} failed (exit {os.waitstatus_to_exitcode(status)}):\n{stdout}")
    tokens = in_vocabulary_tokens(tool, output, stdout)
    from unsup_embed.evaluate import evaluate, load_vectors

    evaluation = evaluate(load_vectors(output, binary=True), name=tool)
    return {
        "wall": wall,
        "tokens": tokens,
        "words_per_second": tokens * epochs / wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
        "analogy": evaluation.analogy.accuracy,
        "semantic": evaluation.analogy.semantic,
        "syntactic": evaluation.analogy.syntactic,
        "analogy_oov": evaluation.analogy.out_of_vocabulary,
        "wordsim353": evaluation.pairs[0].spearman,
        "simlex999": evaluation.pairs[1].spearman,
    }


def in_vocabulary_tokens(tool: str, output: Path, stdout: str) -> int:
    if tool == "gensim":
        return json.loads(stdout.strip().splitlines()[-1])["tokens"]
    vocabulary = output.with_name(output.name + ".vocab.tsv")
    with open(vocabulary, encoding="utf-8") as stream:
        return sum(int(line.rsplit("\t", 1)[1]) for line in stream)


def gensim_child(corpus: str, output: str, epochs: str, workers: int) -> int:
    """Train gensim Word2Vec as the reference figures were measured, save word2vec binary."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus

    with open(corpus, "rb") as stream:
        one_long_line = b"\n" not in stream.read(1 << 20)
    sentences = Text8Corpus(corpus) if one_long_line else LineSentence(corpus)
    model = Word2Vec(
        sentences,
        sg=1,
        vector_size=SETTINGS["dim"],
        window=SETTINGS["window"],
        negative=SETTINGS["negative"],
        sample=SETTINGS["sample"],
        min_count=SETTINGS["min_count"],
        epochs=int(epochs),
        workers=workers,
    )
    model.wv.save_word2vec_format(output, binary=True)
    tokens = sum(model.wv.get_vecattr(word, "count") for word in model.wv.index_to_key)
    print(json.dumps({"tokens": int(tokens)}))
    return 0


def format_table(results: dict, arguments) -> str:
    import gensim
    import numpy

    try:
        import tensorflow
        import keras

        tf_versions = f"TensorFlow {tensorflow.__version__}, Keras {keras.__version__}"
    except ImportError:
        tf_versions = "TensorFlow not installed"
    from unsup_embed import __version__

    corpus = arguments.corpus.name + (f", first {arguments.max_words:,} words" if arguments.max_words else "")
    corpus += f", repeated {arguments.repeat}x" if arguments.repeat > 1 else ""
    lines = [
        f"### {datetime.datetime.now():%Y-%m-%d %H:%M} — {corpus}, {arguments.epochs} epoch(s)",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB, {platform.system()} {platform.machine()}. "
        f"Python {platform.python_version()}, unsup-embed {__version__}, {tf_versions}, "
        f"gensim {gensim.__version__} (workers={arguments.workers}), NumPy {numpy.__version__}.",
        "",
        f"Command: `python scripts/benchmark.py {' '.join(sys.argv[1:])}`".replace("python scripts/benchmark.py `", "python scripts/benchmark.py`"),
        "",
    ]
    tools = list(results)
    header = "| figure | " + " | ".join(tools) + (" | unsup-embed / gensim |" if len(tools) == 2 else " |")
    lines += [header, "|---" * (len(tools) + 1 + (len(tools) == 2)) + "|"]
    rows = [
        ("wall time, corpus in to vectors out (s)", "wall", "{:.1f}"),
        ("in-vocabulary tokens", "tokens", "{:,}"),
        ("words/s (tokens x epochs / wall)", "words_per_second", "{:,.0f}"),
        ("peak RSS (MiB)", "peak_rss_mib", "{:,.0f}"),
        ("analogy accuracy (restrict 30k)", "analogy", "{:.3f}"),
        ("  semantic", "semantic", "{:.3f}"),
        ("  syntactic", "syntactic", "{:.3f}"),
        ("  questions skipped (OOV)", "analogy_oov", "{:.1%}"),
        ("WordSim-353 Spearman", "wordsim353", "{:.3f}"),
        ("SimLex-999 Spearman", "simlex999", "{:.3f}"),
    ]
    for label, key, fmt in rows:
        cells = [fmt.format(results[tool][key]) for tool in tools]
        if len(tools) == 2:
            ours, theirs = results["unsup-embed"][key], results["gensim"][key]
            if key in ("analogy", "semantic", "syntactic", "wordsim353", "simlex999"):
                cells.append(f"{ours - theirs:+.3f}")
            elif key in ("analogy_oov", "tokens"):
                cells.append("")
            else:
                cells.append(f"{ours / theirs:.2f}x")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if len(tools) == 2:
        lines += ["", "Quality columns give the difference (unsup-embed − gensim); the others the ratio."]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


if __name__ == "__main__":
    sys.exit(main())
