import numpy as np
import pytest

from unsup_embed.config import TrainConfig
from unsup_embed.encode import EncodedCorpus
from unsup_embed.pairs import PairBlocks, skipgram_pairs
from unsup_embed.vocab import Vocabulary


def pair_set(centres, neighbours):
    return sorted(zip(centres.tolist(), neighbours.tolist()))


def test_four_word_sentence_window_one_gives_exactly_its_six_pairs():
    ids = np.array([0, 1, 2, 3])  # "a b c d"
    centres, neighbours = skipgram_pairs(ids, np.zeros(4, dtype=int), window=1, rng=np.random.default_rng(0))
    assert pair_set(centres, neighbours) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]


def test_pairs_never_cross_a_sentence_boundary():
    ids = np.array([0, 1, 2, 3, 4])
    sentences = np.array([0, 0, 1, 1, 1])
    centres, neighbours = skipgram_pairs(ids, sentences, window=5, rng=np.random.default_rng(0))
    for centre, neighbour in zip(centres, neighbours):
        assert sentences[centre] == sentences[neighbour]


def test_dynamic_window_draws_each_size_uniformly():
    # On a long sentence, a centre with reach b yields 2b pairs, so the mean
    # number of pairs per centre is 2 * mean(1..window) = window + 1.
    window = 4
    ids = np.arange(200_000) % 1000
    centres, _ = skipgram_pairs(ids, np.zeros_like(ids), window=window, rng=np.random.default_rng(1))
    assert centres.shape[0] / ids.shape[0] == pytest.approx(window + 1, rel=0.01)


def test_keep_probability_matches_word2vec_formula():
    # count 1000 of 1,000,000 tokens with sample 1e-4: t = 100, f = 1000,
    # keep = (sqrt(1000/100) + 1) * 100/1000 = (3.1623 + 1) * 0.1 = 0.41623
    vocabulary = Vocabulary(["frequent", "rare"], np.array([1000, 999_000]))
    vocabulary.counts = np.array([1000, 999_000])
    keep = vocabulary.keep_probabilities(1e-4)
    assert keep[0] == pytest.approx((np.sqrt(10) + 1) * 0.1, rel=1e-6)
    rare = Vocabulary(["x", "y"], np.array([10, 1_000_000]))
    assert rare.keep_probabilities(1e-3)[0] == 1.0  # rare words are always kept


def test_subsampling_keeps_the_expected_share():
    rng = np.random.default_rng(0)
    ids = np.zeros(100_000, dtype=np.int32)
    keep = np.array([0.25], dtype=np.float32)
    centres, _ = skipgram_pairs(ids, np.arange(100_000), window=1, rng=rng, keep_probability=keep)
    # Every token is its own sentence, so no pairs; check the mask through a 2-token window instead.
    assert centres.shape[0] == 0
    ids = np.zeros(200_000, dtype=np.int32)
    centres, _ = skipgram_pairs(ids, np.zeros_like(ids), window=1, rng=rng, keep_probability=keep)
    # ~50,000 kept tokens in one sentence give ~2 pairs each.
    assert centres.shape[0] == pytest.approx(2 * 50_000, rel=0.03)


def make_encoded(tmp_path, sentences, vocabulary):
    return EncodedCorpus.write(sentences, vocabulary, tmp_path / "work", progress=False)


def test_blocks_have_fixed_shapes_pad_with_zero_weight_and_decay_the_rate(tmp_path):
    words = [str(i) for i in range(20)]
    vocabulary = Vocabulary(words, np.full(20, 100))
    rng = np.random.default_rng(0)
    sentences = [[words[i] for i in rng.integers(0, 20, 50)] for _ in range(40)]  # 2,000 tokens
    encoded = make_encoded(tmp_path, sentences, vocabulary)
    config = TrainConfig(batch_size=256, steps_per_call=4, negative_group=64, negative=3, sample=0, window=2, epochs=2)
    blocks = PairBlocks(encoded, vocabulary, config)
    epoch = list(blocks.epoch(0))
    real_pairs = sum(block["weight"].sum() for block in epoch)
    ids = np.fromfile(encoded.ids_path, dtype=np.int32)
    centres, _ = skipgram_pairs(ids, np.repeat(np.arange(40), 50), 2, np.random.default_rng(0))
    assert real_pairs == pytest.approx(centres.shape[0], rel=0.1)
    for block in epoch:
        assert block["word"].shape == (4, 256)
        assert block["negatives"].shape == (4, 256 // 64, 3)
        assert block["learning_rate"].shape == (4,)
    assert epoch[-1]["weight"].min() == 0.0  # the last block is padded
    # Corpus words are all accounted for, once.
    assert sum(float(block["words"].sum()) for block in epoch) == pytest.approx(2000, rel=1e-4)
    assert all(block["words"].shape == (4,) for block in epoch)
    # Epoch 0 of 2: the rate starts at alpha and falls towards alpha / 2.
    first_rate = epoch[0]["learning_rate"][0]
    assert first_rate == pytest.approx(config.alpha, rel=1e-3)
    later = list(blocks.epoch(1))
    assert later[-1]["learning_rate"].min() < 0.1 * config.alpha
    assert all(np.all(np.diff(b["learning_rate"][b["weight"].sum(axis=1) > 0]) <= 1e-9) for b in epoch)


def test_noise_table_follows_unigram_to_the_three_quarters():
    vocabulary = Vocabulary(["a", "b"], np.array([16, 1]))
    table = vocabulary.noise_table(size=1_000_000)
    share = np.mean(table == 0)
    expected = 16**0.75 / (16**0.75 + 1)  # 8 / 9
    assert share == pytest.approx(expected, abs=1e-3)
