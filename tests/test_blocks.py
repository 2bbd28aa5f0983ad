"""Blocks: every kept token is a centre exactly once per epoch, with its window, its learning rate and its words."""

import numpy as np
import pytest

from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest
from unsup_embed.text.vocab import Vocabulary
from unsup_embed.word2vec.blocks import BlockShape, BlockStream, block_schema, empty_block


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("blocks")
    rng = np.random.default_rng(0)
    lines = [" ".join(f"w{rng.integers(0, 50)}" for _ in range(rng.integers(1, 30))) for _ in range(3000)]
    (directory / "corpus.txt").write_text("\n".join(lines) + "\n")
    return ingest(TextCorpus(directory / "corpus.txt"), directory / "work", 1, None, 10_000, progress=False)


SHAPE = BlockShape.for_batch(32, steps=4, window=3)


def stream_of(read, sample=0.0, epochs=2, seed=1):
    keep = read.vocabulary.keep_probabilities(sample) if sample else None
    return BlockStream(read.encoded, keep, SHAPE, epochs, 0.025, 0.0001, seed)


def centres_of(blocks):
    """Every centre's id, in corpus order, from the blocks' centre columns."""
    window, length = SHAPE.window, SHAPE.length
    ids, valid = [], []
    for block in blocks:
        ids.append(block["ids"][:, :, window : window + length].reshape(-1))
        valid.append(block["sentence"][:, :, window : window + length].reshape(-1) >= 0)
    ids, valid = np.concatenate(ids), np.concatenate(valid)
    return ids[valid]


def test_every_token_is_a_centre_once_per_epoch_in_corpus_order(encoded):
    blocks = list(stream_of(encoded).epoch(0))
    expected = np.fromfile(encoded.encoded.ids_path, dtype=np.int32)
    assert np.array_equal(centres_of(blocks), expected)


def test_blocks_follow_the_schema(encoded):
    schema = block_schema(SHAPE)
    for block in stream_of(encoded).epoch(0):
        assert set(block) == set(schema)
        for name, (shape, dtype) in schema.items():
            assert block[name].shape == shape and block[name].dtype == np.dtype(dtype), name


def test_halos_are_the_neighbouring_rows_tokens(encoded):
    block = next(iter(stream_of(encoded).epoch(0)))
    rows = block["ids"].reshape(-1, SHAPE.span)
    window, length = SHAPE.window, SHAPE.length
    # The right halo of a row is the start of the next row's centres, and the left halo the end of the previous one's.
    assert np.array_equal(rows[0, window + length :], rows[1, window : 2 * window])
    assert np.array_equal(rows[1, :window], rows[0, length : length + window])


def test_words_add_up_to_the_corpus_and_the_learning_rate_decays_linearly(encoded):
    stream = stream_of(encoded, epochs=2)
    words = 0.0
    rates = []
    for epoch in range(2):
        for block in stream.epoch(epoch):
            words += block["words"].sum()
            rates.extend(block["learning_rate"][block["words"] > 0].tolist())
    assert words == pytest.approx(2 * len(encoded.encoded))
    assert rates[0] == pytest.approx(0.025)
    assert all(earlier >= later for earlier, later in zip(rates, rates[1:]))
    assert rates[len(rates) // 2] == pytest.approx(0.025 - (0.025 - 0.0001) * 0.5, abs=1e-3)


def test_subsampling_keeps_the_expected_share():
    # 100,000 tokens of one word among 900,000 of others: keep = (sqrt(f/t) + 1) * t/f with f = 0.1, t = 1e-3.
    vocabulary = Vocabulary(["frequent", "rare"], np.array([100_000, 900_000]))
    keep = vocabulary.keep_probabilities(1e-3)
    expected = (np.sqrt(100_000 / 1000) + 1) * 1000 / 100_000
    assert keep[0] == pytest.approx(expected, rel=1e-6)
    rng = np.random.default_rng(0)
    ids = np.zeros(100_000, np.int32)
    kept = rng.random(ids.shape[0], dtype=np.float32) < keep[ids]
    assert kept.mean() == pytest.approx(expected, rel=0.05)


def test_each_epoch_subsamples_afresh_and_the_same_seed_repeats(encoded):
    stream = stream_of(encoded, sample=1e-3)
    first, second = centres_of(stream.epoch(0)), centres_of(stream.epoch(1))
    assert len(first) < len(encoded.encoded)  # subsampling dropped some
    assert not np.array_equal(first, second)
    assert np.array_equal(first, centres_of(stream_of(encoded, sample=1e-3).epoch(0)))


def test_skipping_blocks_resumes_the_same_stream(encoded):
    stream = stream_of(encoded, sample=1e-3)
    blocks = list(stream.epoch(0))
    resumed = list(stream.epoch(0, skip_blocks=2))
    assert len(resumed) == len(blocks) - 2
    for original, again in zip(blocks[2:], resumed):
        for name in original:
            assert np.array_equal(original[name], again[name]), name


def test_an_empty_block_trains_nothing():
    block = empty_block(SHAPE, 0.001)
    assert (block["sentence"] < 0).all() and block["words"].sum() == 0
    assert set(block) == set(block_schema(SHAPE))
