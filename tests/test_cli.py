"""The commands as a user runs them: train on the shipped corpus, load what was written."""

import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.cli import main, train_main
from unsup_embed.cli.train import parser
from unsup_embed.config import TrainConfig


@pytest.fixture(scope="module")
def toy_vectors(tmp_path_factory, toy_corpus):
    out = tmp_path_factory.mktemp("toy") / "toy.bin"
    assert train_main([str(toy_corpus), "-o", str(out), "--epochs", "5", "--quiet", "--seed", "3"]) == 0
    return out


def test_training_writes_vectors_and_vocabulary_gensim_loads(toy_vectors):
    vectors = KeyedVectors.load_word2vec_format(str(toy_vectors), binary=True)
    vocab_lines = toy_vectors.with_name("toy.bin.vocab.tsv").read_text().splitlines()
    words = [line.split("\t")[0] for line in vocab_lines]
    counts = [int(line.split("\t")[1]) for line in vocab_lines]
    assert vectors.index_to_key == words
    assert counts == sorted(counts, reverse=True)
    assert vectors.vector_size == 100
    assert np.isfinite(vectors.vectors).all()
    assert not toy_vectors.with_name("toy.bin.work").exists()  # work directory removed


def test_shipped_corpus_learns_its_planted_neighbourhoods(toy_vectors, toy_groups):
    vectors = KeyedVectors.load_word2vec_format(str(toy_vectors), binary=True)
    for group, members in toy_groups.items():
        purity = np.mean(
            [np.mean([other in members for other, _ in vectors.most_similar(word, topn=5)]) for word in members]
        )
        assert purity >= 0.8, f"{group}: only {purity:.0%} of the top-5 neighbours are in the group"


def test_shipped_corpus_solves_planted_analogies(toy_vectors, toy_questions):
    vectors = KeyedVectors.load_word2vec_format(str(toy_vectors), binary=True)
    score, sections = vectors.evaluate_word_analogies(str(toy_questions))
    capital = next(section for section in sections if section["section"] == "capital-country")
    assert len(capital["correct"]) / (len(capital["correct"]) + len(capital["incorrect"])) >= 0.8
    assert score >= 0.7


def test_negative_sampling_is_reported_healthy(toy_vectors, capsys, toy_corpus, tmp_path):
    out = tmp_path / "ns.txt"
    assert main(["train", str(toy_corpus), "-o", str(out), "--epochs", "3", "--dim", "20", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "spread out and learned" in printed
    loaded = KeyedVectors.load_word2vec_format(str(out), binary=False)
    assert loaded.vector_size == 20


def test_squared_distance_objective_is_reported_as_collapsed(toy_corpus, tmp_path, caplog):
    out = tmp_path / "d.bin"
    assert train_main([str(toy_corpus), "-o", str(out), "--objective", "distance-squared", "--epochs", "5", "--quiet"]) == 0
    assert "COLLAPSED" in caplog.text and "--objective negative-sampling" in caplog.text
    assert KeyedVectors.load_word2vec_format(str(out), binary=True).vector_size == 100


def test_mean_distance_objective_is_reported_as_learning_nothing(toy_corpus, tmp_path, caplog):
    out = tmp_path / "d.vec"
    assert train_main([str(toy_corpus), "-o", str(out), "--objective", "distance", "--epochs", "2", "--quiet"]) == 0
    assert "learned nothing" in caplog.text and "--objective negative-sampling" in caplog.text


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["{missing}"], "does not exist"),
        (["{corpus}", "--window", "0"], "--window must be at least 1"),
        (["{corpus}", "--dim", "0"], "--dim must be at least 1"),
        (["{corpus}", "--epochs", "0"], "--epochs must be at least 1"),
        (["{corpus}", "--negative", "0"], "--negative must be at least 1"),
        (["{corpus}", "--sample", "-1"], "--sample"),
        (["{corpus}", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["{corpus}", "--min-count", "100000"], "lower --min-count"),
        (["{corpus}", "-o", "{tmp}/no/such/dir/v.bin"], "does not exist; create it"),
        (["{corpus}", "-o", "{tmp}/v.weird"], "extension"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(arguments, message, tmp_path, toy_corpus, capsys):
    arguments = [a.format(missing=tmp_path / "nope", corpus=toy_corpus, tmp=tmp_path) for a in arguments]
    if "-o" not in arguments:
        arguments += ["-o", str(tmp_path / "v.bin")]
    assert train_main(arguments + ["--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_without_force(tmp_path, toy_corpus, capsys):
    out = tmp_path / "v.bin"
    out.write_text("precious")
    assert train_main([str(toy_corpus), "-o", str(out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "precious"


def test_console_entry_points_answer_version_and_help():
    version = subprocess.run([sys.executable, "-m", "unsup_embed", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("unsup-embed ")
    help_text = subprocess.run([sys.executable, "-m", "unsup_embed", "train", "--help"], capture_output=True, text=True).stdout
    for option in ["--min-count", "--window", "--negative", "--context-table", "--objective", "--batch-size", "--seed"]:
        assert option in help_text
    assert "(default: 5)" in help_text and "examples:" in help_text
    # The console scripts end through `exit_quickly`, which must keep a failure's status and its one line.
    failed = subprocess.run([sys.executable, "-m", "unsup_embed", "evaluate", "missing.bin"], capture_output=True, text=True)
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1 and "does not exist" in failed.stderr


def test_batch_and_noise_group_defaults_follow_the_architecture():
    # The command line leaves both to the architecture; an explicit value wins.
    arguments = parser().parse_args(["corpus", "--architecture", "cbow"])
    assert arguments.batch_size is None and arguments.negative_group is None
    cbow, skipgram = TrainConfig(architecture="cbow"), TrainConfig(architecture="skipgram")
    assert (cbow.batch_size, cbow.negative_group) == (2048, 128)
    assert (skipgram.batch_size, skipgram.negative_group) == (1024, 64)
    assert TrainConfig(architecture="cbow", negative_group=32).negative_group == 32


def test_a_skipgram_subword_run_takes_fasttexts_noise_and_its_own_step_and_cap_unless_told_otherwise():
    arguments = parser().parse_args(["corpus", "--subwords"])
    assert (arguments.batch_size, arguments.ns_exponent, arguments.row_update_cap) == (None, None, None)  # left to the run
    subwords = TrainConfig(subwords=True)
    assert (subwords.batch_size, subwords.ns_exponent, subwords.row_update_cap) == (512, 0.5, 128.0)
    for config in (TrainConfig(), TrainConfig(subwords=True, architecture="cbow")):  # word2vec's and gensim's, as before
        assert (config.ns_exponent, config.row_update_cap) == (0.75, 32.0)
    assert TrainConfig(subwords=True, architecture="cbow").batch_size == 2048
    told = TrainConfig(subwords=True, batch_size=1024, ns_exponent=0.75, row_update_cap=32.0)
    assert (told.batch_size, told.ns_exponent, told.row_update_cap) == (1024, 0.75, 32.0)
    # What the run says it took from the mode's defaults: only what it was not told.
    assert subwords.mode_defaults == {"batch_size": 512, "ns_exponent": 0.5, "row_update_cap": 128.0}
    assert TrainConfig(subwords=True, batch_size=1024).mode_defaults == {"ns_exponent": 0.5, "row_update_cap": 128.0}
    assert told.mode_defaults == {} and TrainConfig().mode_defaults == {}


def test_same_seed_gives_identical_vectors(tmp_path, toy_corpus):
    vectors = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.bin"
        assert train_main([str(toy_corpus), "-o", str(out), "--epochs", "1", "--dim", "16", "--seed", "7", "--quiet"]) == 0
        vectors.append(KeyedVectors.load_word2vec_format(str(out), binary=True).vectors)
    assert np.array_equal(vectors[0], vectors[1])
    out = tmp_path / "c.bin"
    assert train_main([str(toy_corpus), "-o", str(out), "--epochs", "1", "--dim", "16", "--seed", "8", "--quiet"]) == 0
    assert not np.array_equal(vectors[0], KeyedVectors.load_word2vec_format(str(out), binary=True).vectors)


def test_tensorboard_curves_and_projector_files(tmp_path, toy_corpus):
    board = tmp_path / "board"
    out = tmp_path / "v.bin"
    assert train_main([str(toy_corpus), "-o", str(out), "--epochs", "1", "--dim", "8", "--quiet", "--tensorboard", str(board)]) == 0
    import tensorflow as tf

    events = list((board / "train").glob("events.out.tfevents.*"))
    assert events
    tags = set()
    for event in tf.compat.v1.train.summary_iterator(str(events[0])):
        tags.update(value.tag for value in event.summary.value)
    assert {"loss", "learning_rate", "words_per_second"} <= tags
    metadata = (board / "metadata.tsv").read_text().splitlines()
    vectors = np.loadtxt(board / "vectors.tsv", delimiter="\t")
    assert vectors.shape == (len(metadata), 8)
    assert metadata[:3] == [line.split("\t")[0] for line in out.with_name("v.bin.vocab.tsv").read_text().splitlines()[:3]]
    assert 'tensor_path: "vectors.tsv"' in (board / "projector_config.pbtxt").read_text()
