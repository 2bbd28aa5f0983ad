"""Fusion on tiny synthetic data: which source the weights favour, the projection, padding, outputs, the command."""

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from gensim.models import KeyedVectors

from unsup_embed.cli.fuse import add_parser
from unsup_embed.fusion.config import FusionConfig
from unsup_embed.fusion.fuse import aligned_tables, build_fusion_model, fit, load_classifier
from unsup_embed.fusion.layer import FusedEmbedding
from unsup_embed.fusion.task_vocabulary import TaskVocabulary

DOCS = Path(__file__).resolve().parent.parent / "docs" / "fusion.md"
POSITIVE = [f"good{i}" for i in range(30)]
NEGATIVE = [f"bad{i}" for i in range(30)]
NEUTRAL = [f"word{i}" for i in range(40)]
TENSORFLOW = keras.backend.backend() == "tensorflow"
TINY = ["--epochs", "8", "--filters", "8", "--kernel-sizes", "1", "2", "--batch-size", "16", "--learning-rate", "0.01", "--quiet"]


def _texts(count: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Six-word texts: two sentiment words of the text's class among neutral ones."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    texts = []
    for label in labels:
        words = list(rng.choice(NEUTRAL, 4)) + list(rng.choice(POSITIVE if label else NEGATIVE, 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, labels


def _sources(dims=(6, 4), seed: int = 0) -> dict[str, KeyedVectors]:
    """An informative source (class words on either side of one direction) and a pure-noise one."""
    rng = np.random.default_rng(seed)
    words = POSITIVE + NEGATIVE + NEUTRAL
    direction = rng.normal(size=dims[0])
    sign = np.array([1.0] * len(POSITIVE) + [-1.0] * len(NEGATIVE) + [0.0] * len(NEUTRAL))
    informative = sign[:, None] * direction + 0.3 * rng.normal(size=(len(words), dims[0]))
    noise = rng.normal(size=(len(words), dims[1]))
    sources = {}
    for name, vectors in (("informative", informative), ("noise", noise)):
        keyed = KeyedVectors(vector_size=vectors.shape[1])
        keyed.add_vectors(words, vectors.astype(np.float32))
        sources[name] = keyed
    return sources


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The synthetic task as a user has it: fastText train/valid files, a word2vec binary and a GloVe source."""
    root = tmp_path_factory.mktemp("fusion")
    for name, (count, seed) in {"train.ft": (240, 1), "valid.ft": (60, 2)}.items():
        texts, labels = _texts(count, seed)
        (root / name).write_text("".join(f"__label__{'pos' if y else 'neg'} {t}\n" for t, y in zip(texts, labels)))
    sources = _sources()
    sources["informative"].save_word2vec_format(str(root / "informative.bin"), binary=True)
    noise = sources["noise"]
    (root / "noise.txt").write_text("".join(f"{w} {' '.join(f'{v:.6f}' for v in noise[w])}\n" for w in noise.index_to_key))
    return {"root": root, "train": root / "train.ft", "valid": root / "valid.ft", "informative": root / "informative.bin", "noise": root / "noise.txt"}


def _run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="unsup-embed")
    add_parser(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["fuse", *arguments])
    return parsed.run(parsed)


@pytest.fixture(scope="module")
def fused_run(files, tmp_path_factory):
    """One real `fuse` run, shared by the tests that read what it wrote."""
    out = tmp_path_factory.mktemp("out") / "run"
    board = out.parent / "board"
    arguments = ["--source", str(files["informative"]), "--source", str(files["noise"]), "--train", str(files["train"])]
    arguments += ["--valid", str(files["valid"]), "-o", str(out), "--json", *TINY]
    if TENSORFLOW:  # TensorBoard files are written with TensorFlow
        arguments += ["--tensorboard", str(board)]
    return out, board, arguments


@pytest.fixture(scope="module")
def fused_json(fused_run):
    """The run's stdout (module-scoped, so captured by hand rather than with capsys)."""
    _, _, arguments = fused_run
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert _run(arguments) == 0
    return stdout.getvalue()


@pytest.mark.parametrize("normalise", ["softmax", "none"])
def test_learned_weights_favour_the_informative_source(normalise):
    config = FusionConfig(normalise=normalise, epochs=8, filters=8, kernel_sizes=(1, 2), batch_size=16, learning_rate=0.01, seed=2)
    texts, labels = _texts(240, 1)
    tokenizer = config.tokenizer()
    vocabulary = TaskVocabulary.build(texts, tokenizer)
    matrices, _ = aligned_tables(_sources(), vocabulary)
    model, fused = build_fusion_model(matrices, 2, config)
    valid_texts, valid_labels = _texts(60, 2)
    encode = lambda t: vocabulary.encode(t, tokenizer, config.max_length)  # noqa: E731
    _, accuracy = fit(model, (encode(texts), labels), (encode(valid_texts), valid_labels), config)
    weights = fused.word_weights()
    sentiment_rows = [vocabulary.index[word] for word in POSITIVE + NEGATIVE if word in vocabulary.index]
    informative, noise = np.abs(weights[sentiment_rows]).mean(axis=0)
    assert accuracy >= 0.9
    assert informative > 1.2 * noise, (informative, noise)


def test_shared_projection_is_one_matrix_whatever_the_vocabulary():
    for vocabulary_size in (50, 5000):
        layer = FusedEmbedding(vocabulary_size, [6, 4, 6], weighting="vector")
        layer.build((None, None))
        projections = [p for p in layer.projections if p is not None]
        assert len(projections) == 1  # only the 4-dimensional source differs from the common 6
        assert [tuple(w.shape) for w in projections[0].weights] == [(4, 6)]  # one kernel, no bias
        trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        assert trainable == vocabulary_size * (6 + 4 + 6) + 4 * 6  # per-word weights + one shared matrix
        assert sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights) == vocabulary_size * 16  # frozen tables


@pytest.mark.parametrize("classifier", ["conv", "lstm"])
def test_padding_is_masked(classifier):
    rng = np.random.default_rng(0)
    matrices = [rng.normal(size=(12, 5)).astype("float32"), rng.normal(size=(12, 3)).astype("float32")]
    config = FusionConfig(classifier=classifier, filters=4, kernel_sizes=(2, 3), lstm_units=4, normalise="none")
    model, fused = build_fusion_model(matrices, 3, config)
    short = np.array([[3, 7, 2, 0]])
    long = np.array([[3, 7, 2, 0, 0, 0, 0, 0, 0]])
    vectors = keras.ops.convert_to_numpy(fused(long))
    assert np.all(vectors[0, 3:] == 0) and np.all(np.abs(vectors[0, :3]).sum(axis=1) > 0)
    assert keras.ops.convert_to_numpy(fused.compute_mask(long)).tolist() == [[True] * 3 + [False] * 6]
    np.testing.assert_allclose(model.predict(short, verbose=0), model.predict(long, verbose=0), rtol=1e-5, atol=1e-6)


def test_command_writes_the_three_outputs_and_its_json_parses(fused_run, fused_json):
    out, _, _ = fused_run
    assert sorted(p.name for p in out.iterdir()) == ["classifier.keras", "fused.vec", "source_weights.tsv"]
    summary = json.loads(fused_json.strip().splitlines()[-1])
    assert summary["val_accuracy"] >= 0.85
    assert summary["coverage"]["informative.bin"]["found"] == summary["coverage"]["informative.bin"]["total"] == 100
    assert set(summary["coverage"]) == {"informative.bin", "noise.txt"}
    header, *rows = (out / "source_weights.tsv").read_text().splitlines()
    assert header == "word\tinformative.bin\tnoise.txt" and len(rows) == 100


def test_fused_export_round_trips_through_gensim(fused_run, fused_json):
    out, _, _ = fused_run
    exported = KeyedVectors.load_word2vec_format(str(out / "fused.vec"), binary=False)
    model = load_classifier(out / "classifier.keras")
    fused = model.get_layer("fused_embedding")
    rows = [line.split("\t")[0] for line in (out / "source_weights.tsv").read_text().splitlines()[1:]]
    ids = np.array([[rows.index(word) + 2] for word in exported.index_to_key])  # id = row in source_weights.tsv + 2
    np.testing.assert_allclose(exported.vectors, keras.ops.convert_to_numpy(fused(ids))[:, 0], rtol=1e-4, atol=1e-5)
    assert exported.vector_size == 6 and len(exported) == 100


@pytest.mark.skipif(not TENSORFLOW, reason="--tensorboard needs the TensorFlow backend")
def test_tensorboard_gets_curves_and_projector_files(fused_run, fused_json):
    _, board, _ = fused_run
    import tensorflow as tf

    def tags(run):
        (events,) = board.glob(f"{run}/events.out.tfevents.*")
        return {value.tag for event in tf.compat.v1.train.summary_iterator(str(events)) for value in event.summary.value}

    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_words_per_second"} <= tags("train")
    assert {"epoch_loss", "epoch_accuracy"} <= tags("validation")
    words = (board / "metadata.tsv").read_text().splitlines()
    vectors = np.loadtxt(board / "vectors.tsv", delimiter="\t")
    assert vectors.shape == (len(words), 6) and "good3" in words
    assert 'tensor_path: "vectors.tsv"' in (board / "projector_config.pbtxt").read_text()


def test_command_prints_validation_accuracy_last(files, tmp_path, capsys):
    arguments = ["--source", str(files["informative"]), "--source", str(files["noise"]), "--train", str(files["train"])]
    assert _run([*arguments, "--valid-split", "0.2", "-o", str(tmp_path / "o"), "--weights", "vector", "--classifier", "lstm", *TINY]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"validation accuracy: 0\.\d{4} \(48 texts\)", last) or last.startswith("validation accuracy: 1.0000")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source2": "{root}/missing.vec"}, "does not exist"),
        ({"source2": "{root}/train.ft"}, "is not a vectors file"),
        ({"source2": None}, "two or more --source"),
        ({"source2": "{root}/foreign.vec"}, "foreign.vec has none of the 100 training words; is it a vectors file for this language?"),
        ({"train": "{root}/plain.txt"}, "cannot tell the label format"),
        ({"extra": ["--label-format", "tsv"]}, "is not 'LABEL<TAB>text'"),
        ({"extra": ["--epochs", "0"]}, "--epochs must be at least 1"),
        ({"out": "{root}/train.ft"}, "is a file"),
        ({"out": "/proc/unsup-embed/fused"}, "cannot create files under '/proc'"),  # root may write anywhere, and still not there
    ],
)
def test_bad_input_exits_2_with_one_line(files, tmp_path, capsys, change, message):
    root = files["root"]
    (root / "plain.txt").write_text("some words\nmore words\n")
    (root / "foreign.vec").write_text("2 3\nzzq 0.1 0.2 0.3\nqqz 0.3 0.2 0.1\n")
    source2 = change.get("source2", str(files["noise"]))
    arguments = ["--source", str(files["informative"])] + (["--source", source2.format(root=root)] if source2 else [])
    arguments += ["--train", change.get("train", str(files["train"])).format(root=root)]
    arguments += ["-o", change.get("out", str(tmp_path / "o")).format(root=root), *change.get("extra", []), "--quiet"]
    assert _run(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("unsup-embed fuse: error: ") and message in error
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert not (tmp_path / "o").exists()


def test_existing_outputs_are_kept_without_force(files, fused_run, fused_json, capsys):
    out, _, arguments = fused_run
    before = (out / "fused.vec").read_bytes()
    assert _run(arguments) == 2
    assert "--force" in capsys.readouterr().err and (out / "fused.vec").read_bytes() == before


def test_docs_example_runs(tmp_path, monkeypatch):
    """The embedding_matrix example in docs/fusion.md runs as written."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "docs/fusion.md has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], str(DOCS), "exec"), namespace)
    assert namespace["coverage"].found == 3 and namespace["layer"].output_dim == 4


def test_saved_classifier_loads_in_a_fresh_process(fused_run, fused_json):
    out, _, _ = fused_run
    code = (
        "import sys, numpy as np; from unsup_embed.fusion.fuse import load_classifier; "
        "model = load_classifier(sys.argv[1]); print(model.predict(np.array([[2, 3, 0]]), verbose=0).shape)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(out / "classifier.keras")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "(1, 1)"


def test_help_shows_every_default_and_examples_without_importing_tensorflow():
    code = (
        "import argparse, sys; from unsup_embed.cli.fuse import add_parser; "
        "parser = argparse.ArgumentParser(prog='unsup-embed'); add_parser(parser.add_subparsers()); "
        "print(parser._subparsers._group_actions[0].choices['fuse'].format_help()); print('tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    help_text, imported = done.stdout.rsplit("\n", 2)[0], done.stdout.split()[-1]
    assert imported == "False"
    for option in ["--source", "--train", "--valid", "--valid-split", "--weights", "--classifier", "--epochs", "--seed", "--json", "--tensorboard"]:
        assert option in help_text
    assert "(default: scalar)" in help_text and "(default: 0.1)" in help_text and help_text.count("unsup-embed fuse --source") >= 2
