#!/usr/bin/env python3
"""Scale-out on loopback: one worker against two, each pinned to its own core, as a table.

Each run is a real cluster of processes on 127.0.0.1 (as tests/test_distribute.py
starts them), each training process pinned to one core (`taskset -c N`,
`--threads 1`), on the same corpus with the same settings:

- `default`, one process on core 0: the single-process reference;
- `multi-worker` with 1 worker on core 0, then with 2 workers on cores 0 and 1;
- `parameter-server` with 1 ps and 1, then 2 workers (not pinned: the chief,
  the parameter server and the workers share the cores).

For each: the training phase's time and words/s (from the chief's log:
in-vocabulary tokens x epochs / the training phase, so start-up and the
reading pass are left out), the quality of the vectors (analogy, WordSim-353,
SimLex-999), the bytes that crossed the loopback interface (`/proc/net/dev`),
and, sampled every second from /proc, the largest thread count and resident
memory of any training process, first and last, so a leak shows as growth.

    python scripts/bench_scaling.py                             # text8like, 1 epoch, every run
    python scripts/bench_scaling.py --runs multi-worker --epochs 5   # 5 epochs, flat threads and memory?
    python scripts/bench_scaling.py --max-words 2000000 --no-report
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from benchmark import DEFAULT_CORPUS, ROOT, prepare_corpus, publish  # noqa: E402
from loopback import free_loopback_ports  # noqa: E402

RUNS = {
    "default": [("default", {}, True)],
    "multi-worker": [("multi-worker", {"worker": 1}, True), ("multi-worker", {"worker": 2}, True)],
    "parameter-server": [("parameter-server", {"chief": 1, "ps": 1, "worker": 1}, False), ("parameter-server", {"chief": 1, "ps": 1, "worker": 2}, False)],
}


def loopback_bytes() -> int:
    for line in Path("/proc/net/dev").read_text().splitlines():
        name, _, counters = line.partition(":")
        if name.strip() == "lo":
            return int(counters.split()[0])
    raise SystemExit("bench_scaling: no loopback interface in /proc/net/dev (Linux only)")


class ProcessWatch:
    """Samples the thread count and resident memory of some processes every second."""

    def __init__(self, processes: list[subprocess.Popen]):
        self.processes = processes
        self.samples: list[tuple[int, int]] = []  # (largest thread count, largest RSS in KiB) per second
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(1.0):
            threads, rss = 0, 0
            for process in self.processes:
                try:
                    status = Path(f"/proc/{process.pid}/status").read_text()
                except OSError:
                    continue
                threads = max(threads, int(re.search(r"Threads:\s+(\d+)", status).group(1)))
                found = re.search(r"VmRSS:\s+(\d+)", status)
                rss = max(rss, int(found.group(1)) if found else 0)
            if threads:
                self.samples.append((threads, rss))

    def stop(self) -> dict:
        self.stopped.set()
        self.thread.join()
        samples = self.samples or [(0, 0)]
        # Skip the start-up: compare the second tenth of the run with the end.
        early = samples[min(len(samples) - 1, len(samples) // 10)]
        return {"threads_early": early[0], "threads_last": samples[-1][0], "threads_max": max(s[0] for s in samples),
                "rss_early_mib": early[1] / 1024, "rss_last_mib": samples[-1][1] / 1024, "rss_max_mib": max(s[1] for s in samples) / 1024}


def run(strategy: str, roles: dict, pinned: bool, corpus: Path, work: Path, options: list[str]) -> dict:
    """Train once under `strategy` with `roles`; figures from the chief's log, the outputs and /proc."""
    name = f"{strategy}-{'-'.join(f'{kind}{count}' for kind, count in roles.items()) or 'single'}"
    output = work / f"{name}.bin"
    train = [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), "--force", "--strategy", strategy, *options]
    serve = [sys.executable, "-m", "unsup_embed", "serve"]
    ports = iter(free_loopback_ports(sum(roles.values())))
    spec = {kind: [f"127.0.0.1:{next(ports)}" for _ in range(count)] for kind, count in roles.items()}
    trainers, others, chief_log = [], [], work / f"{name}.log"
    before = loopback_bytes()
    core = 0
    for kind, count in roles.items() or [("", 1)]:
        for index in range(count):
            environment = dict(os.environ)
            if kind:
                environment["TF_CONFIG"] = json.dumps({"cluster": spec, "task": {"type": kind, "index": index}})
            trains = strategy == "default" or kind == "chief" or (strategy == "multi-worker" and kind == "worker")
            is_chief = kind in ("", "chief") or (strategy == "multi-worker" and index == 0)
            command = train if trains else serve
            if pinned and trains:
                command = ["taskset", "-c", str(core), *command, "--threads", "1"]
                core += 1
            log = open(chief_log if is_chief else work / f"{name}.{kind}{index}.log", "w")
            process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
            (trainers if trains else others).append(process)
    watch = ProcessWatch(trainers)
    try:
        statuses = [process.wait(timeout=7200) for process in trainers]
    finally:
        for process in trainers + others:
            process.kill()
    figures = watch.stop()
    traffic = loopback_bytes() - before
    log = chief_log.read_text()
    if any(statuses):
        raise SystemExit(f"bench_scaling: {name} failed; see {chief_log}:\n{log[-2000:]}")
    seconds = float(re.search(r"training took ([\d.]+) s", log).group(1))
    tokens = int(re.search(r"trained on ([\d,]+) in-vocabulary tokens", log).group(1).replace(",", ""))
    epochs = int(re.search(r"(\d+) epoch\(s\)", log).group(1))
    from unsup_embed.evaluate import evaluate
    from unsup_embed.vectors import load_vectors

    evaluation = evaluate(load_vectors(output), name=name)
    return {
        "strategy": strategy, "workers": roles.get("worker", 1), "pinned": pinned, "seconds": seconds,
        "words_per_second": tokens * epochs / seconds, "bytes": traffic, "analogy": evaluation.analogy.accuracy,
        "wordsim353": evaluation.pairs[0].spearman, "simlex999": evaluation.pairs[1].spearman, **figures,
    }  # fmt: skip


def table(results: list[dict], title: str) -> str:
    baseline = {result["strategy"]: result for result in results if result["workers"] == 1}
    lines = [
        title, "",
        "| strategy | workers | pinned | training (s) | words/s | vs 1 worker | analogy (vs 1 worker) | WS353 | SimLex | loopback MB | threads (early → last) | RSS MiB (early → last) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for result in results:
        one = baseline.get(result["strategy"], result)
        lines.append(
            f"| {result['strategy']} | {result['workers']} | {'yes' if result['pinned'] else 'no'} | {result['seconds']:.1f} | "
            f"{result['words_per_second']:,.0f} | {result['words_per_second'] / one['words_per_second']:.2f}x | "
            f"{result['analogy']:.3f} ({result['analogy'] - one['analogy']:+.3f}) | {result['wordsim353']:.3f} | {result['simlex999']:.3f} | "
            f"{result['bytes'] / 1e6:,.0f} | {result['threads_early']} → {result['threads_last']} | "
            f"{result['rss_early_mib']:,.0f} → {result['rss_last_mib']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text file or .zip of one")
    parser.add_argument("--max-words", type=int, default=None, help="cut the corpus to this many words")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--runs", default="default,multi-worker,parameter-server", help="comma list of: " + ", ".join(RUNS))
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-report", action="store_true", help="only print the table")
    arguments = parser.parse_args()
    if not arguments.corpus.exists():
        raise SystemExit(f"bench_scaling: corpus {arguments.corpus} does not exist; give --corpus")
    options = ["--epochs", str(arguments.epochs), "--checkpoint-every", "1h"]
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        corpus = prepare_corpus(arguments.corpus, work, arguments.max_words, 1)
        results = []
        for group in arguments.runs.split(","):
            for strategy, roles, pinned in RUNS[group]:
                print(f"{strategy} {roles or 'single process'} ...", flush=True)
                results.append(run(strategy, roles, pinned, corpus, work, options))
    words = f", first {arguments.max_words:,} words" if arguments.max_words else ""
    title = (
        f"### Scale-out on loopback, {time.strftime('%Y-%m-%d %H:%M')}: {arguments.corpus.name}{words}, {arguments.epochs} epoch(s)\n\n"
        f"`python scripts/bench_scaling.py {' '.join(sys.argv[1:])}` on {os.cpu_count()} cores; default settings. "
        "Pinned runs: each training process on its own core with `taskset -c N` and `--threads 1`."
    )
    publish(table(results, title), None if arguments.no_report else arguments.report)


if __name__ == "__main__":
    main()
