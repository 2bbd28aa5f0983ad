"""The one reading pass: counts and ids in one read, in one process or several, with the corpus pinned."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unsup_embed.errors import CorpusChanged, RunFailure
from unsup_embed.text import ingest as ingest_module
from unsup_embed.text import read_parts as read_parts_module
from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest

SRC = Path(__file__).resolve().parent.parent / "src"

# Runs `ingest` in a fresh interpreter: the pass forks worker processes only
# while neither TensorFlow nor JAX is loaded, and other test files load them.
INGEST_SCRIPT = """
import json, logging, multiprocessing, sys
from pathlib import Path
from unsup_embed.text import ingest as ingest_module, read_parts
from unsup_embed.text.corpus import TextCorpus
corpus_path, directory, processes = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
logged = []
handler = logging.Handler(logging.WARNING)
handler.emit = lambda record: logged.append(record.getMessage())
logging.getLogger("unsup_embed").addHandler(handler)
readers = []  # worker processes alive each time the pass calls while_reading
hook = lambda: readers.append(len(multiprocessing.active_children()))
result = ingest_module.ingest(TextCorpus(corpus_path), directory, 1, None, 2_000_000, processes=processes, progress=False, while_reading=hook)
print(json.dumps({
    "readers": readers,
    "forks": read_parts._process_context() is not None,
    "words": result.vocabulary.words,
    "counts": result.vocabulary.counts.tolist(),
    "corpus_tokens": result.corpus_tokens,
    "undecodable_bytes": result.stats.undecodable_bytes,
    "files_read": result.stats.files_read,
    "skipped": result.stats.skipped,
    "logged": logged,
}))
"""


def ingest_in_a_fresh_process(corpus_path: Path, directory: Path, processes: int) -> dict:
    paths = [str(SRC), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(
        [sys.executable, "-c", INGEST_SCRIPT, str(corpus_path), str(directory), str(processes)],
        capture_output=True, text=True, env=environment, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_generated_corpus(directory: Path, files: int = 4, lines: int = 1500) -> None:
    """A few thousand lines of Zipf-like generated text over several files, some non-ASCII."""
    rng = np.random.default_rng(7)
    words = [f"w{index}" for index in range(600)] + ["délta", "ε", "naïve", "東京"]
    weights = 1.0 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        text = "".join(" ".join(rng.choice(words, size=rng.integers(1, 25), p=weights)) + "\n" for _ in range(lines))
        (directory / f"part{number}.txt").write_text(text, encoding="utf-8")


def ingest_here(corpus, directory: Path, min_count: int = 1, count_limit: int = 2_000_000, processes: int = 1):
    return ingest(corpus, directory, min_count, None, count_limit, processes=processes, progress=False)


def test_two_processes_give_the_same_vocabulary_and_ids_as_one(tmp_path):
    corpus_path = tmp_path / "corpus"
    write_generated_corpus(corpus_path)
    one = ingest_here(TextCorpus(corpus_path), tmp_path / "one")
    two = ingest_in_a_fresh_process(corpus_path, tmp_path / "two", processes=2)
    assert two["forks"], "the pass should run in worker processes in a fresh interpreter"
    assert two["readers"] == [2], "while_reading is called once, while both workers read"
    assert len(one.vocabulary) > 500
    assert two["words"] == one.vocabulary.words  # ties too: first seen first, across parts
    assert two["counts"] == one.vocabulary.counts.tolist()
    assert two["corpus_tokens"] == one.corpus_tokens
    ids_one = (tmp_path / "one" / "ids.i32").read_bytes()
    assert len(ids_one) == 4 * one.corpus_tokens
    assert (tmp_path / "two" / "ids.i32").read_bytes() == ids_one
    # The line cut by the boundary between the two parts becomes two sentences; nothing else differs.
    ends_one = np.fromfile(tmp_path / "one" / "sentence_ends.i64", dtype=np.int64)
    ends_two = np.fromfile(tmp_path / "two" / "sentence_ends.i64", dtype=np.int64)
    assert set(ends_one) <= set(ends_two) and len(ends_two) - len(ends_one) <= 1
    assert sorted(path.name for path in (tmp_path / "two").iterdir()) == ["ids.i32", "sentence_ends.i64"]


def test_parts_read_in_this_process_give_the_same_ids_as_one_part(tmp_path):
    corpus_path = tmp_path / "corpus"
    write_generated_corpus(corpus_path, files=3, lines=1000)
    one = ingest_here(TextCorpus(corpus_path), tmp_path / "one")
    three = ingest_here(TextCorpus(corpus_path), tmp_path / "three", processes=3)
    assert three.vocabulary.words == one.vocabulary.words and three.vocabulary.digest() == one.vocabulary.digest()
    assert (tmp_path / "three" / "ids.i32").read_bytes() == (tmp_path / "one" / "ids.i32").read_bytes()
    assert three.stats.tokens == one.stats.tokens == one.corpus_tokens


def test_sentences_left_empty_by_out_of_vocabulary_words_are_dropped(tmp_path):
    # min_count 2: "once", "rare", "odd" and "lone" are out of the vocabulary.
    (tmp_path / "corpus.txt").write_text("once\na a b\nrare odd\nb a\nlone\na\nodd2 rare2\n")
    result = ingest_here(TextCorpus(tmp_path / "corpus.txt"), tmp_path / "work", min_count=2)
    assert result.vocabulary.words == ["a", "b"]
    assert result.corpus_tokens == 12
    assert np.fromfile(result.encoded.ids_path, dtype=np.int32).tolist() == [0, 0, 1, 1, 0, 0]
    assert np.fromfile(result.encoded.ends_path, dtype=np.int64).tolist() == [3, 5, 6]
    assert result.encoded.sentences == 3


def test_count_limit_keeps_a_frequent_word_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(read_parts_module, "_FLUSH_TOKENS", 100)  # check the limit as often as a big corpus would
    lines = [f"once{index} frequent" for index in range(3000)]  # 3,000 distinct words seen once
    (tmp_path / "corpus.txt").write_text("\n".join(lines) + "\n")
    result = ingest_here(TextCorpus(tmp_path / "corpus.txt"), tmp_path / "work", count_limit=1000)
    assert result.vocabulary.words[0] == "frequent"
    assert result.vocabulary.counts[0] == 3000
    assert len(result.vocabulary) < 1000 + 100  # pruned: the once-seen words did not all survive
    assert result.corpus_tokens == 6000
    # Every occurrence of the frequent word is in the encoded corpus.
    assert int((np.fromfile(result.encoded.ids_path, dtype=np.int32) == 0).sum()) == 3000


def test_corpus_file_changed_during_the_pass_stops_the_run(tmp_path, monkeypatch):
    (tmp_path / "corpus.txt").write_text("a b c\n" * 50)
    real_pin = ingest_module.pin
    calls = []

    def pin_that_sees_a_change(corpus):
        pinned = real_pin(corpus)
        calls.append(pinned)
        if len(calls) > 1:  # after the pass: the file has grown
            pinned = [(name, size + 10, mtime) for name, size, mtime in pinned]
        return pinned

    monkeypatch.setattr(ingest_module, "pin", pin_that_sees_a_change)
    with pytest.raises(CorpusChanged, match="changed while they were being read") as error:
        ingest_here(TextCorpus(tmp_path / "corpus.txt"), tmp_path / "work")
    assert "corpus.txt" in str(error.value) and isinstance(error.value, RunFailure)
    assert len(calls) == 2
    assert not (tmp_path / "work" / "ids.i32").exists()  # nothing encoded from a mixture


def test_corpus_file_appended_to_while_it_is_read_stops_the_run(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("a b c\n" * 50)
    (tmp_path / "b.txt").write_text("d e f\n" * 50)
    real_read_piece = TextCorpus.read_piece

    def read_piece_while_a_writer_appends(self, file, start=0, stop=None):
        yield from real_read_piece(self, file, start, stop)
        with open(tmp_path / "b.txt", "a") as stream:  # another program writes to the corpus meanwhile
            stream.write("late words\n")

    monkeypatch.setattr(TextCorpus, "read_piece", read_piece_while_a_writer_appends)
    with pytest.raises(CorpusChanged, match="b.txt"):
        ingest_here(TextCorpus(tmp_path), tmp_path / "work")


def test_undecodable_bytes_are_counted_per_corpus(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    (tmp_path / "bad" / "a.txt").write_bytes(b"caf\xe9 ok \xff\xfe end\n" * 10)  # 3 bad bytes a line
    (tmp_path / "bad" / "b.txt").write_bytes(b"na\xefve word\n" * 5)
    (tmp_path / "good" / "a.txt").write_text("clean words only\n" * 20)
    bad = ingest_here(TextCorpus(tmp_path / "bad"), tmp_path / "work-bad")
    good = ingest_here(TextCorpus(tmp_path / "good"), tmp_path / "work-good")
    bad_again = ingest_here(TextCorpus(tmp_path / "bad"), tmp_path / "work-bad-again", processes=2)
    assert bad.stats.undecodable_bytes == 35
    assert good.stats.undecodable_bytes == 0
    assert bad_again.stats.undecodable_bytes == 35  # parts add up, and nothing leaks from the earlier passes
    assert "\ufffd" not in bad.vocabulary and "caf" in bad.vocabulary


def test_undecodable_bytes_are_counted_by_worker_processes(tmp_path):
    (tmp_path / "bad").mkdir()
    for index in range(3):
        (tmp_path / "bad" / f"{index}.txt").write_bytes(b"caf\xe9 ok \xff\xfe end\n" * 400)
    result = ingest_in_a_fresh_process(tmp_path / "bad", tmp_path / "work", processes=3)
    assert result["forks"]
    assert result["undecodable_bytes"] == 3 * 400 * 3


def test_several_processes_count_and_warn_about_each_file_once(tmp_path):
    corpus_path = tmp_path / "corpus"
    corpus_path.mkdir()
    (corpus_path / "a.bin").write_bytes(b"\x00" * 100_000)  # binary, spans several parts
    (corpus_path / "b.txt").write_text("hello world\n" * 20_000)  # text, spans several parts
    result = ingest_in_a_fresh_process(corpus_path, tmp_path / "work", processes=3)
    assert result["forks"]
    assert result["files_read"] == 1
    assert result["skipped"] == [str(corpus_path / "a.bin")]
    assert len([message for message in result["logged"] if "a.bin" in message]) == 1
