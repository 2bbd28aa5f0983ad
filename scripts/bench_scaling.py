#!/usr/bin/env python3
"""Throughput and traffic of every --strategy on loopback, 1 worker against 2, as a table.

Each run is a real cluster of processes on 127.0.0.1 (as tests/test_distribute.py
starts them) training on the same corpus with the same settings. For each:
training time and words/s (from the chief's log: in-vocabulary tokens x
epochs / the training phase, so TensorFlow's start-up and the cluster's
connection time are left out), SGD steps, and the bytes that crossed the
loopback interface during the run (`/proc/net/dev`, received bytes of `lo`)
per step. Loopback carries nothing else here, so that is the traffic
between the tasks. The table is printed and appended to docs/benchmarks.md.

    python scripts/bench_scaling.py                       # text8like, first 2M words, 1 epoch
    python scripts/bench_scaling.py --max-words 500000 --no-report

On one 2-core machine every extra process competes for the same cores, so
the 2-worker ratio here measures the cost of the strategy, not the gain of
a second machine; docs/scaling.md says how to read it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import DEFAULT_CORPUS, ROOT, prepare_corpus, publish  # noqa: E402

from unsup_embed.cluster import free_loopback_ports  # noqa: E402

RUNS = [
    ("default", {}),
    ("multi-worker", {"worker": 1}),
    ("multi-worker", {"worker": 2}),
    ("parameter-server", {"chief": 1, "ps": 1, "worker": 1}),
    ("parameter-server", {"chief": 1, "ps": 1, "worker": 2}),
]


def loopback_bytes() -> int:
    for line in Path("/proc/net/dev").read_text().splitlines():
        name, _, counters = line.partition(":")
        if name.strip() == "lo":
            return int(counters.split()[0])
    raise SystemExit("bench_scaling: no loopback interface in /proc/net/dev (Linux only)")


def run(strategy: str, roles: dict, corpus: Path, work: Path, options: list[str]) -> dict:
    """Train once under `strategy` with `roles`; figures from the chief's log and the loopback counter."""
    output = work / f"{strategy}-{'-'.join(f'{kind}{count}' for kind, count in roles.items()) or 'single'}.bin"
    train = [sys.executable, "-m", "unsup_embed", "train", str(corpus), "-o", str(output), "--force", "--strategy", strategy, *options]
    serve = [sys.executable, "-m", "unsup_embed", "serve"]
    ports = iter(free_loopback_ports(sum(roles.values())))
    spec = {kind: [f"127.0.0.1:{next(ports)}" for _ in range(count)] for kind, count in roles.items()}
    processes, chief_log = [], work / f"{output.name}.log"
    before = loopback_bytes()
    for kind, count in roles.items() or [("", 1)]:
        for index in range(count):
            environment = dict(os.environ)
            if kind:
                environment["TF_CONFIG"] = json.dumps({"cluster": spec, "task": {"type": kind, "index": index}})
            trains = strategy == "default" or kind == "chief" or (strategy == "multi-worker" and kind == "worker")
            is_chief = kind in ("", "chief") or (strategy == "multi-worker" and index == 0)
            log = open(chief_log if is_chief else work / f"{output.name}.{kind}{index}.log", "w")
            processes.append((trains, subprocess.Popen(train if trains else serve, env=environment, stdout=log, stderr=subprocess.STDOUT)))
    try:
        statuses = [process.wait(timeout=3600) for trains, process in processes if trains]
    finally:
        for _, process in processes:
            process.kill()
    traffic = loopback_bytes() - before
    log = chief_log.read_text()
    if any(statuses):
        raise SystemExit(f"bench_scaling: {strategy} {roles} failed; see {chief_log}:\n{log[-2000:]}")
    seconds = float(re.search(r"training took ([\d.]+) s", log).group(1))
    steps = int(re.search(r"in (\d+) SGD steps", log).group(1))
    tokens = int(re.search(r"trained on ([\d,]+) in-vocabulary tokens", log).group(1).replace(",", ""))
    epochs = int(re.search(r"(\d+) epoch\(s\)", log).group(1))
    workers = roles.get("worker", 1)
    return {"strategy": strategy, "workers": workers, "seconds": seconds, "words_per_second": tokens * epochs / seconds,
            "steps": steps, "bytes": traffic, "bytes_per_step": traffic / max(steps, 1)}


def table(results: list[dict], title: str) -> str:
    baseline = {result["strategy"]: result["words_per_second"] for result in results if result["workers"] == 1}
    lines = [title, "", "| strategy | workers | training (s) | words/s | vs 1 worker | SGD steps | loopback bytes | bytes / step |",
             "|---|---|---|---|---|---|---|---|"]
    for result in results:
        ratio = result["words_per_second"] / baseline[result["strategy"]]
        lines.append(
            f"| {result['strategy']} | {result['workers']} | {result['seconds']:.1f} | {result['words_per_second']:,.0f} | "
            f"{ratio:.2f}x | {result['steps']:,} | {result['bytes']:,} | {result['bytes_per_step']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text file or .zip of one")
    parser.add_argument("--max-words", type=int, default=2_000_000, help="cut the corpus to this many words")
    parser.add_argument("--epochs", type=int, default=1)
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
        for strategy, roles in RUNS:
            print(f"{strategy} {roles or 'single process'} ...", flush=True)
            results.append(run(strategy, roles, corpus, work, options))
    title = (
        f"### Strategies on loopback, {time.strftime('%Y-%m-%d %H:%M')}\n\n"
        f"`python scripts/bench_scaling.py --max-words {arguments.max_words} --epochs {arguments.epochs}` "
        f"on {os.cpu_count()} cores; dim 100, batch 8,192, 32 steps per call."
    )
    publish(table(results, title), None if arguments.no_report else arguments.report)


if __name__ == "__main__":
    main()
