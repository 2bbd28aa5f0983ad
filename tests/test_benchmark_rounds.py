"""scripts/benchmark.py --rounds: the tools run in turn, and the table gives medians and the median of the rounds' own ratios."""

import argparse
import importlib.util
import os
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "benchmark.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(wall: float, peak: float = 100.0, **quality) -> dict:
    return {"wall": wall, "tokens": 1_000, "words_per_second": 1_000 / wall, "peak_rss_mib": peak, **quality}


def _quality(analogy: float) -> dict:
    return {
        "analogy": analogy, "semantic": analogy, "syntactic": analogy, "analogy_oov": 0.1, "analogy_from_ngrams": 0,
        "wordsim353": 0.6, "simlex999": 0.3,
    }  # fmt: skip


def _rounds():
    # Ours is slower in round 1 (a cold start) and faster in rounds 2 and 3;
    # the ratio of the medians (20 / 20 = 1.0) is not the median of the ratios.
    return [
        {"unsup-embed": _timed(30.0, 900.0, **_quality(0.5)), "gensim": _timed(20.0, 200.0, **_quality(0.4))},
        {"unsup-embed": _timed(20.0, 950.0), "gensim": _timed(25.0, 210.0)},
        {"unsup-embed": _timed(18.0, 920.0), "gensim": _timed(20.0, 190.0)},
    ]


def test_one_round_is_that_round(benchmark):
    only = _rounds()[:1]
    assert benchmark.combine_rounds(only, epochs=1) is only[0]


def test_rounds_give_medians_and_the_median_of_each_rounds_ratio(benchmark):
    combined = benchmark.combine_rounds(_rounds(), epochs=2)
    ours, theirs = combined["unsup-embed"], combined["gensim"]
    assert ours["walls"] == [30.0, 20.0, 18.0] and ours["wall"] == 20.0 and theirs["wall"] == 20.0
    assert ours["words_per_second"] == pytest.approx(1_000 * 2 / 20.0)
    assert ours["ratios"]["gensim"] == pytest.approx(0.9)  # the rounds' ratios: 1.5, 0.8, 0.9
    assert theirs["ratios"]["unsup-embed"] == pytest.approx(20.0 / 18.0)  # 0.667, 1.25, 1.111
    assert ours["peak_rss_mib"] == 950.0 and theirs["peak_rss_mib"] == 210.0
    assert ours["analogy"] == 0.5  # the first round's vectors were evaluated


def test_a_tool_that_failed_in_any_round_is_failed(benchmark):
    rounds = _rounds()
    rounds[1]["gensim"] = {"failed": "killed by signal 9"}
    combined = benchmark.combine_rounds(rounds, epochs=1)
    assert combined["gensim"] == {"failed": "killed by signal 9"}
    assert combined["unsup-embed"]["ratios"] == {}


def test_the_table_shows_every_round_and_the_median_ratio(benchmark):
    arguments = argparse.Namespace(
        corpus=Path("corpus.txt"), max_words=None, repeat=1, epochs=2, architecture="cbow", alpha=0.025, min_count=5,
        threads=2, unsup_args="", subwords=False, pairs=[], rounds=3, compiled="fresh", backend="tensorflow",
    )  # fmt: skip
    table = benchmark.format_table(benchmark.combine_rounds(_rounds(), epochs=2), arguments, [])
    assert "| wall time, corpus in to vectors out (s), median | 20.0 | 20.0 | 0.90x |" in table
    assert "|   each round (s) | 30.0, 20.0, 18.0 | 20.0, 25.0, 20.0 |  |" in table
    assert "| words/s (tokens x epochs / wall) | 100 | 100 | 1.11x |" in table
    assert "| analogy accuracy (restrict 30k) | 0.500 | 0.400 | +0.100 |" in table


@pytest.mark.parametrize("compiled", ["fresh", "kept"])
def test_unsup_embed_compiles_in_every_run_unless_the_rounds_keep_its_step(benchmark, compiled, tmp_path):
    arguments = argparse.Namespace(
        epochs=1, architecture="cbow", alpha=0.025, min_count=5, subwords=False, unsup_args="--threads 2", compiled=compiled,
        backend="tensorflow",
    )  # fmt: skip

    def cache_of(command: list[str]) -> str:
        return command[command.index("--compile-cache") + 1]

    first, second = (benchmark.tool_command("unsup-embed", Path("corpus.txt"), tmp_path / "unsup-embed.bin", arguments) for _ in range(2))
    assert first[-2:] == ["--threads", "2"]  # the user's flags come last, so they win
    assert Path(cache_of(first)).parent == tmp_path
    assert (cache_of(first) == cache_of(second)) == (compiled == "kept")


def test_jax_rounds_give_the_median_training_time_and_the_most_gpu_memory(benchmark):
    rounds = [
        {"unsup-embed": {**_timed(30.0, **_quality(0.5)), "training": 9.0, "gpu_memory_mib": 1500.0}},
        {"unsup-embed": {**_timed(20.0), "training": 4.0, "gpu_memory_mib": 1650.0}},
        {"unsup-embed": {**_timed(18.0), "training": 3.0, "gpu_memory_mib": 1600.0}},
    ]
    combined = benchmark.combine_rounds(rounds, epochs=5)["unsup-embed"]
    assert combined["training"] == 4.0 and combined["training_words_per_second"] == pytest.approx(1_000 * 5 / 4.0)
    assert combined["gpu_memory_mib"] == 1650.0
    arguments = argparse.Namespace(
        corpus=Path("corpus.txt"), max_words=None, repeat=1, epochs=5, architecture="skipgram", alpha=0.025, min_count=5,
        threads=2, unsup_args="", subwords=False, pairs=[], rounds=3, compiled="kept", backend="jax",
    )  # fmt: skip
    table = benchmark.format_table({"unsup-embed": combined}, arguments, [])
    assert "| training alone (s), median | 4.0 |" in table
    assert "| peak GPU memory held (MiB, nvidia-smi) | 1,650 |" in table
    assert benchmark.tool_environment("unsup-embed", arguments)["KERAS_BACKEND"] == "jax"


def test_the_childs_gpu_memory_is_its_own_where_nvidia_smi_lists_processes_else_the_card_less_what_was_there(benchmark):
    apps = "4242, 1650\n77, 105000\n"  # the child, and another process holding most of the card
    assert benchmark.child_gpu_memory(apps, "107000\n", 4242, 105000.0) == (1650.0, "the process's own")
    assert benchmark.child_gpu_memory("77, 105000\n", "105000\n", 4242, 105000.0) is None  # the child holds nothing yet
    assert benchmark.child_gpu_memory("", "106650\n", 4242, 105000.0) == (1650.0, "the card's, less what was in use before")


def _fake_nvidia_smi(folder: Path, monkeypatch) -> None:
    """An `nvidia-smi` that answers from files: apps.txt for --query-compute-apps, and used.txt, one line read per call."""
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        f"cd {folder}\n"
        'case "$1" in\n'
        "  --query-compute-apps=*) cat apps.txt ;;\n"
        "  *) head -n 1 used.txt; if [ $(wc -l < used.txt) -gt 1 ]; then sed -i 1d used.txt; fi ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")


@pytest.mark.parametrize("listed", [True, False])
def test_gpu_memory_sampling_leaves_out_what_other_processes_hold(benchmark, listed, tmp_path, monkeypatch):
    _fake_nvidia_smi(tmp_path, monkeypatch)
    # Another process holds 105,000 MiB from the start; the child's 1,650 MiB come on top.
    (tmp_path / "used.txt").write_text("105000\n106650\n")
    (tmp_path / "apps.txt").write_text(f"77, 105000\n{os.getpid()}, 1650\n" if listed else "")
    with benchmark.GpuMemory() as memory:
        memory.pid = os.getpid()
        time.sleep(0.7)
    assert memory.peak_mib == 1650.0
    assert memory.how == ("the process's own" if listed else "the card's, less what was in use before")
