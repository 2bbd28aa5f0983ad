import json

import numpy as np
import pytest

from unsup_embed.cli import main
from unsup_embed.errors import VectorsFileError
from unsup_embed.evaluate import evaluate
from unsup_embed.vectors import load_vectors, save_word2vec

WORDS = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy"]


@pytest.fixture()
def planted(tmp_path):
    """Vectors where the analogies below hold by construction and one pair list is perfectly ranked."""
    base = {"royal": [1, 0, 0, 0], "male": [0, 1, 0, 0], "female": [0, -1, 0, 0], "capital": [0, 0, 1, 0]}
    vectors = np.array(
        [
            np.add(base["royal"], base["male"]),
            np.add(base["royal"], base["female"]),
            base["male"],
            base["female"],
            [0, 0, 1, 1],
            [0, 0, 0, 1],
            [0, 0, 1, -1],
            [0, 0, 0, -1],
        ],
        dtype=np.float32,
    ) + np.random.default_rng(0).normal(scale=0.01, size=(8, 4)).astype(np.float32)
    save_word2vec(tmp_path / "v.bin", WORDS, vectors, binary=True)
    save_word2vec(tmp_path / "v.txt", WORDS, vectors, binary=False)
    questions = tmp_path / "questions.txt"
    questions.write_text(
        ": family\nman king woman queen\nwoman queen man king\n"
        ": capital-world\nfrance paris italy rome\nitaly rome france paris\nfrance paris spain madrid\n"
        ": gram1-adjective\nman woman king queen\n"
    )
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t8\nman\twoman\t7\nking\tparis\t1\nunknown\tking\t5\n")
    return tmp_path, questions, pairs


def test_planted_analogies_and_sections(planted):
    directory, questions, pairs = planted
    vectors = load_vectors(directory / "v.bin")
    result = evaluate(vectors, questions, [str(pairs)], restrict=None)
    assert result.analogy.questions == 6
    assert result.analogy.evaluated == 5  # spain/madrid are unknown
    assert result.analogy.out_of_vocabulary == pytest.approx(1 / 6)
    assert result.analogy.semantic == 1.0 and result.analogy.syntactic == 1.0
    assert result.pairs[0].out_of_vocabulary == pytest.approx(0.25)


def test_text_and_binary_give_the_same_figures(planted):
    directory, questions, pairs = planted
    text = evaluate(load_vectors(directory / "v.txt"), questions, [str(pairs)], restrict=None)
    binary = evaluate(load_vectors(directory / "v.bin"), questions, [str(pairs)], restrict=None)
    assert text.analogy == binary.analogy
    assert text.pairs[0].spearman == pytest.approx(binary.pairs[0].spearman)


def test_default_sets_are_gensims(planted):
    directory, _, _ = planted
    result = evaluate(load_vectors(directory / "v.bin"))
    assert result.analogy.questions == 19544  # Google's questions-words.txt
    assert [pairs.name for pairs in result.pairs] == ["wordsim353.tsv", "simlex999.txt"]


def test_cli_json_and_nearest(planted, capsys):
    directory, questions, pairs = planted
    code = main(["evaluate", str(directory / "v.bin"), "--analogies", str(questions), "--pairs", str(pairs), "--restrict", "0", "--nearest", "king", "nothere", "--topn", "2", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["analogy"]["accuracy"] == 1.0
    assert report["nearest"]["nothere"] is None
    assert len(report["nearest"]["king"]) == 2


@pytest.mark.parametrize(
    "damage, message",
    [
        ("truncate", "the file is truncated or its header is wrong"),
        ("garbage", "is not a vectors file"),
        ("ragged", "is not a readable word2vec-binary file"),
    ],
)
def test_corrupt_vectors_file_is_one_line_exit_2(planted, capsys, damage, message):
    directory, _, _ = planted
    path = directory / "v.bin"
    data = path.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "garbage": b"12 oops\n" + data[10:],
        "ragged": data[:-6],  # the header fits, the last vector is cut short
    }[damage]
    path.write_bytes(damaged)
    assert main(["evaluate", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("unsup-embed evaluate: error: ") and message in error and "v.bin" in error
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    with pytest.raises(VectorsFileError, match=message):
        load_vectors(path)


def test_layout_flags_override_the_sniffer(planted, capsys):
    directory, questions, _ = planted
    binary = directory / "vectors.txt"  # a binary file under a text name
    binary.write_bytes((directory / "v.bin").read_bytes())
    assert load_vectors(binary).index_to_key == WORDS  # sniffed from the content, not the name
    assert main(["evaluate", str(binary), "--binary", "--analogies", str(questions), "--restrict", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["analogy"]["accuracy"] == 1.0
    assert main(["evaluate", str(binary), "--text"]) == 2  # told the wrong layout: a clear error, not garbage
    assert "is not a readable word2vec-text file" in capsys.readouterr().err


def test_missing_evaluation_files_are_named(planted, capsys):
    directory, _, _ = planted
    assert main(["evaluate", str(directory / "v.bin"), "--analogies", str(directory / "nope.txt")]) == 2
    assert "evaluation file" in capsys.readouterr().err
    assert main(["evaluate", str(directory / "missing.bin")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option, message", [(["--restrict", "-1"], "--restrict must be 0 (all words) or positive"), (["--topn", "0"], "--topn must be at least 1")]
)
def test_out_of_range_options_are_one_line_exit_2(planted, capsys, option, message):
    directory, questions, _ = planted
    assert main(["evaluate", str(directory / "v.bin"), "--analogies", str(questions), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_ctrl_c_in_evaluate_is_one_line_exit_130(planted, capsys, monkeypatch):
    import unsup_embed.evaluate as evaluate_module

    def interrupted(*arguments, **keywords):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "evaluate", interrupted)
    directory, questions, _ = planted
    assert main(["evaluate", str(directory / "v.bin"), "--analogies", str(questions)]) == 130
    err = capsys.readouterr().err.strip()
    assert err == "unsup-embed evaluate: interrupted; nothing was replaced"


def test_an_evaluation_file_gensim_cannot_read_is_one_line_exit_2(planted, capsys):
    directory, _, pairs = planted
    prose = directory / "prose.txt"
    prose.write_text("this is a story, not a set of questions\n")
    latin = directory / "latin1.txt"
    latin.write_bytes(": capital\nathens greece caf\xe9 france\n".encode("latin-1"))
    for path, message in [(prose, "is not a questions-words analogies file: it must start with a section line"), (latin, "is not UTF-8 text (byte 27)")]:
        assert main(["evaluate", str(directory / "v.bin"), "--analogies", str(path)]) == 2  # gensim raised a traceback for both
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    # A pairs file that is not UTF-8: gensim counted every pair as skipped and gave no figure, silently.
    mixed = directory / "mixed.tsv"
    mixed.write_bytes(pairs.read_bytes() + "caf\xe9\tcoffee\t9.0\n".encode("latin-1"))
    assert main(["evaluate", str(directory / "v.bin"), "--pairs", str(mixed)]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not UTF-8 text" in err and "give a word-pairs file in UTF-8" in err and len(err.splitlines()) == 1


def test_an_evaluation_file_in_utf16_is_one_line_with_the_conversion(planted, capsys):
    # Without a byte-order mark, UTF-16 decodes as UTF-8 (NUL is valid there): every pair came out unknown, with no figure.
    directory, _, pairs = planted
    for encoding, said in [("utf-16", "is UTF-16 text"), ("utf-16-le", "looks like UTF-16LE text")]:
        wide = directory / f"pairs-{encoding}.tsv"
        wide.write_bytes(pairs.read_text().encode(encoding))
        assert main(["evaluate", str(directory / "v.bin"), "--pairs", str(wide)]) == 2
        err = capsys.readouterr().err.strip()
        assert said in err and "convert it to UTF-8, e.g. iconv -f" in err and len(err.splitlines()) == 1
