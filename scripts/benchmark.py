#!/usr/bin/env python3
"""unsup-embed against gensim Word2Vec and fastText on one corpus, in one run, as a table.

All three tools train with the same settings (dim 100, window 5, negative 5,
sample 1e-3, min_count 5 or --min-count, alpha 0.025 or --alpha, the same
epochs and --architecture), one after the other, each in its own child
process:

  unsup-embed  `python -m unsup_embed train CORPUS -o unsup-embed.bin ...`
               (plus the flags in --unsup-args); word2vec binary out.
  gensim       `gensim.models.Word2Vec` (sg=1 or 0, workers=--threads);
               word2vec binary out.
  fastText     fastText 0.9.2 through the `fasttext` Python package,
               `fasttext.train_unsupervised(model=skipgram|cbow, lr=alpha,
               thread=--threads, minn=0, maxn=0, ...)`: plain word vectors,
               no character n-grams. The child then writes the word vectors
               as word2vec text (`count dim` header, then one `word v1 ... vd`
               line per word in `model.get_words()` order, 5 decimals,
               laid out with NumPy), so its wall time is also corpus in ->
               vectors file out. The write time is reported under the
               table.

For each tool: end-to-end wall time of the child (interpreter start, corpus
file in, vectors file out), words/s (the tool's own count of in-vocabulary
corpus tokens x epochs / wall time; unsup-embed's from <output>.vocab.tsv,
gensim's from the model's counts, fastText's from
`model.get_words(include_freq=True)`), the child's peak RSS (os.wait4), and
the evaluation figures of its output (`unsup_embed.evaluate`: Google
analogies restricted to the 30,000 most frequent words, WordSim-353,
SimLex-999). A tool that fails shows as "failed" with the first line of its
error; the others still run.

--rounds N runs the tools in turn N times (A B A B ...), so that a slow
minute or a cold page cache falls on every tool alike: the table then gives
each tool's median wall time (and every round's), words/s from that median,
the median of the rounds' own ratios (each round's tools ran minutes apart),
the highest peak RSS, and the quality of the first round's vectors (the
later rounds are timed only). Every unsup-embed run compiles its training
step in an empty --compile-cache, as the first run of new settings does;
--compiled kept lets the rounds share one, as repeated runs of one user's
settings do (round 1 compiles, the later rounds load it). The table, with
the date, machine, versions, exact command and settings, is printed and
appended to docs/benchmarks.md (--report FILE elsewhere, --no-report to
print only).

    python scripts/benchmark.py                         # text8like, 5 epochs, all three tools
    python scripts/benchmark.py --epochs 1 --max-words 2000000
    python scripts/benchmark.py --architecture cbow --alpha 0.05
    python scripts/benchmark.py --tools gensim,fasttext --threads 4
    python scripts/benchmark.py --tools unsup-embed --repeat 4 --epochs 1   # memory on a 4x corpus
    python scripts/benchmark.py --unsup-args "--threads 2 --batch-size 4096"
    python scripts/benchmark.py --epochs 1 --architecture cbow --tools unsup-embed,gensim --rounds 5
    python scripts/benchmark.py --epochs 1 --architecture cbow --tools unsup-embed,gensim --rounds 5 --compiled kept
    python scripts/benchmark.py --unsup-args=--keep-work                   # one flag alone: with "="
    python scripts/benchmark.py --corpus zipf.txt --min-count 1       # scripts/make_zipf_corpus.py
    python scripts/benchmark.py --backend jax --tools unsup-embed --rounds 3 --compiled kept   # on a GPU (Keras on JAX)

--backend jax runs unsup-embed on Keras' JAX backend; where JAX has a GPU
it trains there (--pipeline auto), and the table adds its training time
alone (from its log line "training took") and the most GPU memory it held
(nvidia-smi every 0.2 s: its own process's figure, or where nvidia-smi lists
no processes, the card's less what was in use before it started; JAX takes
memory as it needs it rather than most of the card at once).

--threads sets gensim's workers and fastText's thread; unsup-embed keeps its
own --threads default (0: TensorFlow uses every core) unless --unsup-args
sets it.

--subwords: the subword model. fastText trains with character n-grams
(minn 3, maxn 6, its default 2,000,000 buckets) and its word vectors include
them; unsup-embed gets `--subwords` and writes fastText's binary model
`unsup-embed.bin` (with its words' vectors `unsup-embed.vec` beside it), and
that model is evaluated, so questions and pairs with unseen words are
answered from their n-grams and counted in the table; gensim is skipped,
since gensim Word2Vec has no subwords.

The corpus is prepared (unzipped, cut to --max-words, repeated --repeat
times) before any clock starts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "text8like.zip"
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "sample": 1e-3, "min_count": 5, "alpha": 0.025}
TOOLS = ("unsup-embed", "gensim", "fasttext")
NAMES = {"unsup-embed": "unsup-embed", "gensim": "gensim", "fasttext": "fastText"}
SUBWORDS = {"minn": 3, "maxn": 6}  # fastText's defaults for its subword model
QUALITY = ("analogy", "semantic", "syntactic", "wordsim353", "simlex999")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text file, or .zip of one text file (default: text8like.zip)")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the corpus, every tool (default: %(default)s)")
    parser.add_argument("--max-words", type=int, default=None, help="use only the first N words of the corpus")
    parser.add_argument("--repeat", type=int, default=1, help="concatenate the corpus N times (memory scaling)")
    parser.add_argument("--rounds", type=positive, default=1, help="run the tools in turn N times; medians and the median of the rounds' ratios (default: %(default)s)")
    parser.add_argument(
        "--compiled", choices=("fresh", "kept"), default="fresh",
        help="fresh: every unsup-embed run compiles its training step, as the first run of new settings does; "
        "kept: the rounds share one --compile-cache, so round 1 compiles and the later rounds load it (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--tools", type=parse_tools, default=list(TOOLS), help="comma list of unsup-embed, gensim, fasttext (default: all three)")
    parser.add_argument("--architecture", choices=("skipgram", "cbow"), default="skipgram", help="every tool (default: %(default)s)")
    parser.add_argument("--alpha", type=float, default=SETTINGS["alpha"], help="initial learning rate, every tool (default: %(default)s)")
    parser.add_argument("--min-count", type=int, default=SETTINGS["min_count"], help="every tool (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="gensim workers and fastText threads (default: %(default)s)")
    parser.add_argument("--unsup-args", default="", metavar="STRING", help='extra flags for `unsup_embed train`, e.g. "--threads 2" (split with shlex; a single flag as --unsup-args=--flag)')
    parser.add_argument(
        "--backend", choices=("tensorflow", "jax"), default="tensorflow",
        help="Keras backend of unsup-embed's run; jax on a GPU cuts the blocks there (--pipeline auto), and the table adds "
        "the training time alone and the GPU memory the run held (nvidia-smi) (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--subwords", action="store_true", help="subword vectors: fastText minn 3 maxn 6, unsup-embed --subwords, gensim skipped")
    parser.add_argument("--pairs", type=Path, action="append", default=[], metavar="FILE", help="another word1<TAB>word2<TAB>score file to evaluate, e.g. from scripts/make_rare_words.py (repeatable)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file the table is appended to")
    parser.add_argument("--no-report", action="store_true", help="print only")
    # Older spellings, kept so earlier commands in docs/benchmarks.md still run.
    parser.add_argument("--only", choices=TOOLS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, dest="threads", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "CORPUS", "OUTPUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.only:
        arguments.tools = [arguments.only]
    if arguments.child:
        tool, corpus, output = arguments.child
        return {"gensim": gensim_child, "fasttext": fasttext_child}[tool](corpus, output, arguments)
    if not arguments.corpus.exists():
        print(f"benchmark: corpus {arguments.corpus} does not exist; pass --corpus", file=sys.stderr)
        return 2
    try:
        shlex.split(arguments.unsup_args)
    except ValueError as error:
        parser.error(f"--unsup-args: {error}")

    notes = []
    tools = list(arguments.tools)
    if arguments.subwords and "gensim" in tools:
        tools.remove("gensim")
        notes.append("gensim skipped: gensim Word2Vec has no subword (character n-gram) vectors.")
    if not tools:
        print("benchmark: no tool left to run (gensim has no subwords)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="unsup-embed-bench-"))
    try:
        corpus = prepare_corpus(arguments.corpus, work, arguments.max_words, arguments.repeat)
        rounds = []
        for round_number in range(arguments.rounds):
            if arguments.rounds > 1:
                print(f"round {round_number + 1} of {arguments.rounds}", flush=True)
            results = {}
            for tool in tools:
                if rounds and "failed" in rounds[0][tool]:
                    results[tool] = rounds[0][tool]  # failed once: not run again
                    continue
                try:
                    results[tool] = run_tool(tool, corpus, work, arguments, evaluate_output=not rounds)
                except ToolFailed as failure:
                    print(f"benchmark: {NAMES[tool]} failed: {failure}", file=sys.stderr, flush=True)
                    results[tool] = {"failed": str(failure)}
            rounds.append(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = combine_rounds(rounds, arguments.epochs)
    if arguments.rounds > 1:
        notes.append(
            f"{arguments.rounds} rounds, the tools in turn in each: wall time and words/s are each tool's median, the ratios the "
            "median of the rounds' own ratios, the peak RSS the highest, the quality that of the first round's vectors."
        )
    table = format_table(results, arguments, notes)
    publish(table, None if arguments.no_report else arguments.report)
    return 0


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def combine_rounds(rounds: list[dict], epochs: int) -> dict:
    """One result per tool from the rounds' results: the median wall time, the median of the rounds' ratios to each other tool.

    A tool that failed in any round is failed. With one round the result is
    that round's. `ratios[other]` holds the median over the rounds of
    (this tool's wall time / the other's) in the same round.
    """
    if len(rounds) == 1:
        return rounds[0]
    combined = {}
    for tool in rounds[0]:
        failed = next((each[tool] for each in rounds if "failed" in each[tool]), None)
        if failed is not None:
            combined[tool] = failed
            continue
        walls = [each[tool]["wall"] for each in rounds]
        wall = statistics.median(walls)
        combined[tool] = {
            **rounds[0][tool],  # the quality of the first round's vectors; the tokens are the same in every round
            "wall": wall,
            "walls": walls,
            "words_per_second": rounds[0][tool]["tokens"] * epochs / wall,
            "peak_rss_mib": max(each[tool]["peak_rss_mib"] for each in rounds),
        }
        if all("training" in each[tool] for each in rounds):  # --backend jax: the median of the rounds' training times too
            training = statistics.median(each[tool]["training"] for each in rounds)
            combined[tool] |= {"training": training, "training_words_per_second": rounds[0][tool]["tokens"] * epochs / training}
        if all("gpu_memory_mib" in each[tool] for each in rounds):
            combined[tool]["gpu_memory_mib"] = max(each[tool]["gpu_memory_mib"] for each in rounds)
    for tool, result in combined.items():
        if "failed" in result:
            continue
        result["ratios"] = {
            other: statistics.median([each[tool]["wall"] / each[other]["wall"] for each in rounds])
            for other in combined
            if other != tool and "failed" not in combined[other]
        }
    return combined


def parse_tools(text: str) -> list[str]:
    """'gensim,fastText' -> ['gensim', 'fasttext'], in the order the tools run (unsup-embed, gensim, fastText)."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = names - set(TOOLS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected a comma list of {', '.join(TOOLS)}, got {text!r}")
    return [tool for tool in TOOLS if tool in names]


class ToolFailed(Exception):
    """A tool's child exited with an error, or its output could not be read; the message is one line."""


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
        raise SystemExit("benchmark: give a single corpus file (or a .zip of one): gensim's and fastText's readers here take one file")
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


def tool_command(tool: str, corpus: Path, output: Path, arguments) -> list[str]:
    """The child's command line: the unsup-embed CLI, or this script in --child mode for gensim and fastText."""
    if tool == "unsup-embed":
        command = [
            sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), "--epochs", str(arguments.epochs), "--force",
            "--dim", str(SETTINGS["dim"]), "--window", str(SETTINGS["window"]), "--negative", str(SETTINGS["negative"]),
            "--sample", str(SETTINGS["sample"]), "--min-count", str(arguments.min_count), "--alpha", str(arguments.alpha),
            "--architecture", arguments.architecture,
        ]  # fmt: skip
        if arguments.subwords:
            command.append("--subwords")
        if arguments.backend == "tensorflow":
            command.append("--quiet")  # the JAX runs log their training time, read for the table
        # Each run's own empty directory, or one the rounds share (--compiled).
        compiled = output.parent / ("compiled" if arguments.compiled == "kept" else f"compiled-{uuid.uuid4().hex[:8]}")
        return command + ["--compile-cache", str(compiled)] + shlex.split(arguments.unsup_args)
    command = [
        sys.executable, __file__, "--child", tool, str(corpus), str(output), "--epochs", str(arguments.epochs),
        "--architecture", arguments.architecture, "--alpha", str(arguments.alpha), "--min-count", str(arguments.min_count),
        "--threads", str(arguments.threads),
    ]  # fmt: skip
    return command + (["--subwords"] if arguments.subwords else [])


def tool_environment(tool: str, arguments) -> dict:
    """The child's environment: with --backend jax, Keras on JAX, and JAX taking GPU memory as it needs it (so that it can be measured)."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if tool == "unsup-embed" and arguments.backend == "jax":
        environment |= {"KERAS_BACKEND": "jax", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    return environment


class GpuMemory:
    """The most GPU memory the child held while the block ran (nvidia-smi every 0.2 s); `peak_mib` None without a GPU.

    nvidia-smi lists each process's own memory where it can see the
    processes (`--query-compute-apps`); the child's own figure is taken
    then, so that memory another process holds on the card is not counted
    (a process left over from an earlier command once made a run read
    107,926 MiB). Where it lists none (inside some containers), the reading
    is the whole card's memory in use less what was in use before the child
    started. `how` says which of the two the peak came from.
    """

    def __init__(self):
        self.peak_mib, self.how, self.pid = None, None, None

    def __enter__(self):
        import threading

        self._stop, self._thread = threading.Event(), None
        if shutil.which("nvidia-smi"):
            self._baseline = card_memory_in_use()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            if self.pid is None or self._baseline is None:
                continue
            try:
                reading = child_gpu_memory(
                    _nvidia_smi("--query-compute-apps=pid,used_memory"), _nvidia_smi("--query-gpu=memory.used"), self.pid, self._baseline
                )
            except (OSError, ValueError, subprocess.SubprocessError):
                continue
            if reading is not None and (self.peak_mib is None or reading[0] > self.peak_mib):
                self.peak_mib, self.how = reading

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _nvidia_smi(query: str) -> str:
    return subprocess.run(["nvidia-smi", query, "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=5, check=True).stdout


def card_memory_in_use() -> float | None:
    """MiB in use on the GPUs nvidia-smi lists, summed; None where it cannot say."""
    try:
        return sum(float(line) for line in _nvidia_smi("--query-gpu=memory.used").split())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def child_gpu_memory(apps: str, card: str, pid: int, baseline: float) -> tuple[float, str] | None:
    """(MiB, how) the child holds, from nvidia-smi's per-process lines (`pid, used_memory`) and its whole-card lines.

    The child's own lines where nvidia-smi lists them; else, if it lists no
    process at all, the card's memory in use less `baseline`; None where it
    lists other processes and not the child (it has taken no memory yet).
    """
    rows = [[field.strip() for field in line.split(",")] for line in apps.splitlines() if line.strip()]
    own = [float(used) for row_pid, used in rows if row_pid == str(pid)]
    if own:
        return sum(own), "the process's own"
    if rows:
        return None
    return max(0.0, sum(float(line) for line in card.split()) - baseline), "the card's, less what was in use before"


def run_tool(tool: str, corpus: Path, work: Path, arguments, evaluate_output: bool = True) -> dict:
    """Train one tool in a child process, time it, evaluate its vectors (unless told not to); ToolFailed if it does not get that far."""
    output = work / (f"{tool}.vec" if tool == "fasttext" else f"{tool}.bin")
    command = tool_command(tool, corpus, output, arguments)
    shown = " ".join(Path(part).name if os.sep in part else shlex.quote(part) for part in command)
    print(f"running {NAMES[tool]}: {shown}", flush=True)
    stdout_path, stderr_path = work / f"{tool}.stdout", work / f"{tool}.stderr"
    with open(stdout_path, "w") as stdout, open(stderr_path, "w") as stderr:
        with GpuMemory() as gpu_memory:
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=tool_environment(tool, arguments))
            gpu_memory.pid = child.pid
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stdout = stdout_path.read_text(encoding="utf-8", errors="replace")
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    if child.returncode < 0:
        killed = f"killed by signal {-child.returncode}" + (" (SIGKILL: out of memory?)" if child.returncode == -9 else "")
        raise ToolFailed(f"{killed}; {first_error_line(stderr or stdout)}" if (stderr or stdout).strip() else killed)
    if child.returncode != 0:
        raise ToolFailed(f"{first_error_line(stderr or stdout)} (exit {child.returncode})")
    try:
        tokens, extra = in_vocabulary_tokens(tool, output, stdout)
    except (OSError, ValueError, IndexError, KeyError) as error:
        raise ToolFailed(f"cannot count its in-vocabulary tokens: {error.__class__.__name__}: {error}") from None
    timing = {"wall": wall, "tokens": tokens, "words_per_second": tokens * arguments.epochs / wall, "peak_rss_mib": usage.ru_maxrss / 1024}  # KiB on Linux
    training = re.search(r"training took ([0-9.]+) s", stderr)  # unsup-embed's log line (--backend jax runs it without --quiet)
    if tool == "unsup-embed" and training:
        timing |= {"training": float(training.group(1)), "training_words_per_second": tokens * arguments.epochs / float(training.group(1))}
    if gpu_memory.peak_mib is not None:
        timing |= {"gpu_memory_mib": gpu_memory.peak_mib, "gpu_memory_how": gpu_memory.how}
    if not evaluate_output:
        return {**timing, **extra}
    vectors = load_output(output.with_suffix(".bin") if arguments.subwords else output)
    from unsup_embed.evaluate import default_pairs, evaluate

    try:
        evaluation = evaluate(vectors, pairs=default_pairs() + [str(path) for path in arguments.pairs], name=NAMES[tool])
    except Exception as error:  # noqa: BLE001 - reported in the table like any other failure
        raise ToolFailed(f"evaluation: {error.__class__.__name__}: {first_error_line(str(error))}") from None
    return {
        **timing,
        "analogy": evaluation.analogy.accuracy if evaluation.analogy.evaluated else None,  # no question asked: "—"
        "semantic": evaluation.analogy.semantic,
        "syntactic": evaluation.analogy.syntactic,
        "analogy_oov": evaluation.analogy.out_of_vocabulary,
        "wordsim353": evaluation.pairs[0].spearman,
        "simlex999": evaluation.pairs[1].spearman,
        "analogy_from_ngrams": evaluation.analogy.from_ngrams,
        **{f"pairs{index}": result.spearman for index, result in enumerate(evaluation.pairs[2:])},
        **{f"pairs{index}_skipped": result.out_of_vocabulary for index, result in enumerate(evaluation.pairs[2:])},
        **{f"pairs{index}_from_ngrams": result.from_ngrams for index, result in enumerate(evaluation.pairs[2:])},
        **(pairs_without_mean(vectors, arguments.pairs) if arguments.pairs else {}),
        **extra,
    }


def pairs_without_mean(vectors, pairs_files: list[Path]) -> dict[str, float]:
    """Each extra pairs set's Spearman again, with the mean word vector taken from every vector (changes `vectors` in place).

    What a figure owes to the direction all of a model's vectors share: on
    sets whose human scores follow word frequency (Stanford's Rare Words,
    the misspellings), a model that leans further one way scores higher for
    it (docs/benchmarks.md, "The last rare-word gaps"). With subwords the
    mean comes off every input row, so a vector built from n-grams loses it
    too.
    """
    from rare_word_split import mean_word_vector, shift_rows  # this directory is on sys.path when the script runs
    from unsup_embed.evaluate import evaluate_pairs
    from unsup_embed.vectors import is_subword_model

    mean, _ = mean_word_vector(vectors)
    if is_subword_model(vectors):
        shift_rows(vectors, -mean)
    else:
        vectors.vectors -= mean
    vectors.norms = None  # gensim's cached lengths are stale now
    return {f"pairs{index}centred": evaluate_pairs(vectors, str(path)).spearman for index, path in enumerate(pairs_files)}


def load_output(output: Path):
    """The tool's vectors (with --subwords, fastText's model: unseen words answered from n-grams); an unreadable file is the tool's failure."""
    from unsup_embed.vectors import load_vectors

    try:
        return load_vectors(output)
    except Exception as error:  # noqa: BLE001 - any unreadable file is this tool's failure, not the script's
        raise ToolFailed(f"cannot read {output.name}: {first_error_line(str(error))}") from None


def first_error_line(text: str) -> str:
    """The line that says what went wrong: a CLI's 'error:' line, a traceback's last line, else the first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no error message"
    for line in lines:
        if ": error:" in line:
            return line
    if any(line.startswith("Traceback") for line in lines):
        return lines[-1]
    for line in lines:
        if re.search(r"error|exception|killed", line, re.IGNORECASE):
            return line
    return lines[0]


def in_vocabulary_tokens(tool: str, output: Path, stdout: str) -> tuple[int, dict]:
    """The tool's own count of corpus tokens in its vocabulary, and any extra figures its child reported."""
    if tool != "unsup-embed":
        report = json.loads(stdout.strip().splitlines()[-1])
        return int(report.pop("tokens")), report
    vocabulary = output.with_name(output.name + ".vocab.tsv")
    if not vocabulary.exists():  # fall back on the CLI's summary line
        found = re.search(r"trained on ([\d,]+) in-vocabulary tokens", stdout)
        if found is None:
            raise ValueError(f"neither {vocabulary.name} nor a summary line to count the tokens from")
        return int(found.group(1).replace(",", "")), {}
    total = 0
    with open(vocabulary, encoding="utf-8") as stream:
        for line in stream:
            count = line.rstrip("\n").rsplit("\t", 1)[-1]
            if count.isdigit():
                total += int(count)
    return total, {}


def gensim_child(corpus: str, output: str, arguments) -> int:
    """Train gensim Word2Vec with the shared settings, save word2vec binary; print its in-vocabulary tokens."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus

    with open(corpus, "rb") as stream:
        one_long_line = b"\n" not in stream.read(1 << 20)
    sentences = Text8Corpus(corpus) if one_long_line else LineSentence(corpus)
    model = Word2Vec(
        sentences,
        sg=1 if arguments.architecture == "skipgram" else 0,
        vector_size=SETTINGS["dim"],
        window=SETTINGS["window"],
        negative=SETTINGS["negative"],
        sample=SETTINGS["sample"],
        min_count=arguments.min_count,
        alpha=arguments.alpha,
        epochs=arguments.epochs,
        workers=arguments.threads,
    )
    started = time.perf_counter()
    model.wv.save_word2vec_format(output, binary=True)
    write_seconds = time.perf_counter() - started
    tokens = sum(model.wv.get_vecattr(word, "count") for word in model.wv.index_to_key)
    print(json.dumps({"tokens": int(tokens), "write_seconds": write_seconds}))
    return 0


def fasttext_child(corpus: str, output: str, arguments) -> int:
    """Train fastText, write its word vectors as word2vec text; print its in-vocabulary tokens and the write time."""
    import fasttext

    subwords = SUBWORDS if arguments.subwords else {"minn": 0, "maxn": 0}
    model = fasttext.train_unsupervised(
        input=corpus,
        model=arguments.architecture,
        dim=SETTINGS["dim"],
        ws=SETTINGS["window"],
        neg=SETTINGS["negative"],
        t=SETTINGS["sample"],
        minCount=arguments.min_count,
        epoch=arguments.epochs,
        thread=arguments.threads,
        lr=arguments.alpha,
        verbose=0,
        **subwords,
    )  # with maxn 0 (and wordNgrams 1) the package sets bucket 0, as the fastText CLI does: no n-gram rows
    started = time.perf_counter()
    words, counts = model.get_words(include_freq=True)
    if arguments.subwords:
        matrix = [model.get_word_vector(word) for word in words]  # the word's row plus its n-grams', averaged
        model.save_model(str(Path(output).with_suffix(".bin")))  # as `fasttext -output` does: the model that answers unseen words
    else:
        matrix = model.get_input_matrix()[: len(words)]  # row i is word i, and its whole vector with no n-grams
    write_word2vec_text(output, words, matrix, SETTINGS["dim"])
    write_seconds = time.perf_counter() - started
    end_of_line = int(counts[words.index("</s>")]) if "</s>" in words else 0  # fastText's token for each line end
    print(json.dumps({"tokens": int(sum(int(count) for count in counts)), "write_seconds": write_seconds, "end_of_line": end_of_line}))
    return 0


def write_word2vec_text(path: str, words, matrix, dim: int, block: int = 16384) -> None:
    """`count dim` header, then `word v1 ... vd` lines with 5 decimals, laid out by NumPy block by block.

    "%.5f" in Python takes ~30 s per million words of dim 100 (a cost of this script,
    not of fastText); as below, ~5 s.
    """
    import numpy

    with open(path, "wb") as stream:
        stream.write(f"{len(words)} {dim}\n".encode())
        for start in range(0, len(words), block):
            rows = numpy.asarray(matrix[start : start + block], dtype=numpy.float64).reshape(-1, dim)
            stream.write(format_rows([word.encode("utf-8", "surrogateescape") for word in words[start : start + block]], rows))


def format_rows(words: list[bytes], rows) -> bytes:
    """What b"".join(word + (" %.5f" * dim % row).encode() + b"\n") gives (but "0.00000" for -0.00000).

    Every number gets a fixed-width slot of characters (space, sign, integer
    digits, point, 5 decimals), every word one of the longest word's width; a
    mask of the characters that are really there (no "+" sign, no leading zeros,
    no padding) then packs the lines row by row into one buffer.
    """
    import numpy

    if not numpy.isfinite(rows).all():
        raise ValueError("the vectors hold NaN or infinite values")
    count, dim = rows.shape
    scaled = numpy.rint(rows * 1e5).astype(numpy.int64)
    negative = scaled < 0
    numpy.abs(scaled, out=scaled)
    integer, fraction = numpy.divmod(scaled, 100_000)
    digits = len(str(int(integer.max(initial=0))))
    width = 1 + 1 + digits + 1 + 5
    chars = numpy.empty((count, dim, width), dtype=numpy.uint8)
    keep = numpy.ones((count, dim, width), dtype=bool)
    chars[:, :, 0] = ord(" ")
    chars[:, :, 1] = ord("-")
    keep[:, :, 1] = negative
    for position in range(digits - 1, -1, -1):  # units first
        integer, digit = numpy.divmod(integer, 10)
        chars[:, :, 2 + position] = digit + ord("0")
    shown = numpy.zeros((count, dim), dtype=bool)  # no leading zeros; the units digit always shows
    for position in range(digits - 1):
        shown |= chars[:, :, 2 + position] != ord("0")
        keep[:, :, 2 + position] = shown
    chars[:, :, 2 + digits] = ord(".")
    for position in range(4, -1, -1):
        fraction, digit = numpy.divmod(fraction, 10)
        chars[:, :, 3 + digits + position] = digit + ord("0")
    lengths = numpy.fromiter(map(len, words), dtype=numpy.int64, count=count)
    word_keep = numpy.arange(int(lengths.max(initial=0))) < lengths[:, None]
    word_chars = numpy.zeros(word_keep.shape, dtype=numpy.uint8)
    word_chars[word_keep] = numpy.frombuffer(b"".join(words), dtype=numpy.uint8)
    newline = numpy.full((count, 1), ord("\n"), dtype=numpy.uint8)
    lines = numpy.concatenate([word_chars, chars.reshape(count, -1), newline], axis=1)
    mask = numpy.concatenate([word_keep, keep.reshape(count, -1), numpy.ones((count, 1), dtype=bool)], axis=1)
    return lines[mask].tobytes()


def format_table(results: dict, arguments, notes: list[str]) -> str:
    tools = list(results)
    lines = header_lines(arguments)
    compared = [other for other in ("gensim", "fasttext") if ok(results, "unsup-embed") and ok(results, other)]
    columns = [NAMES[tool] for tool in tools] + [f"unsup-embed / {NAMES[other]}" for other in compared]
    lines += ["| figure | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    rounds = arguments.rounds > 1
    rows = [
        ("wall time, corpus in to vectors out (s)" + (", median" if rounds else ""), "wall", "{:.1f}"),
        *([("  each round (s)", "walls", "")] if rounds else []),
        ("in-vocabulary tokens", "tokens", "{:,}"),
        ("words/s (tokens x epochs / wall)", "words_per_second", "{:,.0f}"),
        ("peak RSS (MiB)", "peak_rss_mib", "{:,.0f}"),
        *([("training alone (s)" + (", median" if rounds else ""), "training", "{:.1f}"), ("words/s, training alone", "training_words_per_second", "{:,.0f}"),
           ("peak GPU memory held (MiB, nvidia-smi)", "gpu_memory_mib", "{:,.0f}")] if arguments.backend == "jax" else []),
        ("analogy accuracy (restrict 30k)", "analogy", "{:.3f}"),
        ("  semantic", "semantic", "{:.3f}"),
        ("  syntactic", "syntactic", "{:.3f}"),
        ("  questions skipped (OOV)", "analogy_oov", "{:.1%}"),
        ("  questions answered from n-grams", "analogy_from_ngrams", "{:,}"),
        ("WordSim-353 Spearman", "wordsim353", "{:.3f}"),
        ("SimLex-999 Spearman", "simlex999", "{:.3f}"),
    ]
    for index, path in enumerate(arguments.pairs):
        rows += [
            (f"{path.name} Spearman", f"pairs{index}", "{:.3f}"),
            ("  pairs skipped (OOV)", f"pairs{index}_skipped", "{:.1%}"),
            ("  pairs answered from n-grams", f"pairs{index}_from_ngrams", "{:,}"),
            ("  Spearman, each tool's mean word vector removed", f"pairs{index}centred", "{:.3f}"),
        ]
    for index, (label, key, fmt) in enumerate(rows):
        cells = []
        for tool in tools:
            if "failed" in results[tool]:
                cells.append("failed: " + results[tool]["failed"].replace("|", "\\|") if index == 0 else "failed")
            elif key == "walls":
                cells.append(", ".join(f"{wall:.1f}" for wall in results[tool]["walls"]))
            else:
                cells.append(figure(results[tool].get(key), fmt))
        for other in compared:
            ours, theirs = results["unsup-embed"].get(key), results[other].get(key)
            if rounds and key in ("wall", "words_per_second"):
                ratio = results["unsup-embed"]["ratios"][other]  # the median of the rounds' ratios of wall time
                cells.append(f"{ratio:.2f}x" if key == "wall" else f"{1 / ratio:.2f}x")
            elif key == "walls" or not (number(ours) and number(theirs)) or key in ("analogy_oov", "tokens", "analogy_from_ngrams") or "_" in key and key.startswith("pairs"):
                cells.append("")
            elif key in QUALITY or key.startswith("pairs"):
                cells.append(f"{ours - theirs:+.3f}".replace("-0.000", "+0.000"))
            else:
                cells.append(f"{ours / theirs:.2f}x" if theirs else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", settings_line(arguments, tools)]
    if compared:
        lines += ["", "Quality columns give the difference (unsup-embed − the other tool); the others the ratio."]
    written = [
        f"{results[tool]['write_seconds']:.1f} s of {NAMES[tool]}'s ({'binary' if tool == 'gensim' else 'text'})"
        for tool in tools
        if ok(results, tool) and "write_seconds" in results[tool]
    ]
    if written:
        notes = [*notes, "Writing the vectors file took " + ", ".join(written) + " wall time."]
    read_from = sorted({results[tool]["gpu_memory_how"] for tool in tools if ok(results, tool) and results[tool].get("gpu_memory_how")})
    if read_from:
        notes = [*notes, "Peak GPU memory: " + " / ".join(read_from) + " memory in use (nvidia-smi)."]
    if ok(results, "fasttext") and results["fasttext"].get("end_of_line"):
        notes = [*notes, f"fastText's tokens include {results['fasttext']['end_of_line']:,} of its end-of-line token `</s>`, which it trains on."]
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines)


def header_lines(arguments) -> list[str]:
    """Date, corpus, machine, versions and the exact command."""
    import gensim
    import numpy

    tensorflow, keras = package_version("tensorflow", "tensorflow-cpu"), package_version("keras")
    tf_versions = f"TensorFlow {tensorflow}, Keras {keras}"  # from the package metadata: importing TensorFlow takes seconds
    if arguments.backend == "jax":
        import jax

        tf_versions = f"Keras {keras} on JAX {jax.__version__}, {jax.devices()[0].device_kind} ({jax.default_backend()})"
    from unsup_embed import __version__

    corpus = arguments.corpus.name + (f", first {arguments.max_words:,} words" if arguments.max_words else "")
    corpus += f", repeated {arguments.repeat}x" if arguments.repeat > 1 else ""
    command = " ".join(["python", "scripts/benchmark.py", *map(shlex.quote, sys.argv[1:])])
    return [
        f"### {datetime.datetime.now():%Y-%m-%d %H:%M} — {corpus}, {arguments.epochs} epoch(s), {arguments.architecture}",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB, {platform.system()} {platform.machine()}. "
        f"Python {platform.python_version()}, unsup-embed {__version__}, {tf_versions}, "
        f"gensim {gensim.__version__}, fastText {package_version('fasttext-wheel', 'fasttext')} (Python package), NumPy {numpy.__version__}.",
        "",
        f"Command: `{command}`",
        "",
    ]


def settings_line(arguments, tools: list[str]) -> str:
    """The settings every tool shared, then what applies to each tool that ran."""
    subwords = f"subwords (minn {SUBWORDS['minn']}, maxn {SUBWORDS['maxn']})" if arguments.subwords else "no subwords"
    line = (
        f"Settings: architecture {arguments.architecture}, alpha {arguments.alpha:g}, dim {SETTINGS['dim']}, window {SETTINGS['window']}, "
        f"negative {SETTINGS['negative']}, sample {SETTINGS['sample']:g}, min_count {arguments.min_count}, {arguments.epochs} epoch(s), {subwords}"
    )
    per_tool = []
    if "unsup-embed" in tools:
        threads = "--threads as in --unsup-args" if "--threads" in arguments.unsup_args else "its default --threads (all cores)"
        flags = " ".join(["--subwords"] * arguments.subwords + [arguments.unsup_args.strip()]).strip()
        compiled = (
            "the rounds sharing one --compile-cache (round 1 compiled its step, the later rounds loaded it)"
            if arguments.compiled == "kept"
            else "compiling its step in every run (an empty --compile-cache each time)"
        )
        backend = ", Keras on JAX (KERAS_BACKEND=jax)" if arguments.backend == "jax" else ""
        per_tool.append(f"unsup-embed {threads}, {compiled}{backend}" + (f", extra flags `{flags}`" if flags else ""))
    if "gensim" in tools:
        per_tool.append(f"gensim workers={arguments.threads}")
    if "fasttext" in tools:
        ngrams = f"minn={SUBWORDS['minn']} maxn={SUBWORDS['maxn']}" if arguments.subwords else "minn=0 maxn=0"
        per_tool.append(f"fastText thread={arguments.threads} lr={arguments.alpha:g} {ngrams}")
    return line + ("; " + "; ".join(per_tool) if per_tool else "") + "."


def ok(results: dict, tool: str) -> bool:
    return tool in results and "failed" not in results[tool]


def number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def figure(value, fmt: str) -> str:
    return fmt.format(value) if number(value) else "—"


def package_version(*names: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "not installed"


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
