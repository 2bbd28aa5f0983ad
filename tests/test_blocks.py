"""Blocks: every kept token is a centre exactly once per epoch, with its window, its learning rate and its words."""

import numpy as np
import pytest
from random_corpus import encoded_random_corpus

from unsup_embed.text.vocab import Vocabulary
from unsup_embed.word2vec.blocks import BlockShape, BlockStream, block_schema, empty_block
from unsup_embed.word2vec.noise_words import NoiseWords
from unsup_embed.word2vec.stripes import stripe_bounds


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    return encoded_random_corpus(tmp_path_factory.mktemp("blocks"), lines=3000, words=50, longest=30)


SHAPE = BlockShape.for_batch(32, steps=4, window=3)


def stream_of(read, sample=0.0, epochs=2, seed=1, noise=None):
    keep = read.vocabulary.keep_probabilities(sample) if sample else None
    return BlockStream(read.encoded, keep, SHAPE, epochs, 0.025, 0.0001, seed, noise=noise)


def centres_of(blocks):
    """Every centre's id, in corpus order, from the blocks' centre columns."""
    window, length = SHAPE.window, SHAPE.length
    ids, valid = [], []
    for block in blocks:
        ids.append(block["ids"][:, :, window : window + length].reshape(-1))
        valid.append(block["sentence"][:, :, window : window + length].reshape(-1) >= 0)
    ids, valid = np.concatenate(ids), np.concatenate(valid)
    return ids[valid]


def assert_a_resume_draws_the_same_blocks(stream, skip):
    blocks = list(stream.epoch(0))
    resumed = list(stream.epoch(0, skip_blocks=skip))
    assert len(resumed) == len(blocks) - skip
    for original, again in zip(blocks[skip:], resumed):
        for name in original:
            assert np.array_equal(original[name], again[name]), name


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
    assert_a_resume_draws_the_same_blocks(stream_of(encoded, sample=1e-3), skip=2)


def noise_of(read, group=8, draws=4):
    return NoiseWords(read.vocabulary.noise_table(size=100_000), group, draws)


def test_blocks_carry_noise_words_drawn_from_the_unigram_table(encoded):
    noise = noise_of(encoded)
    schema = block_schema(SHAPE, noise=noise)
    assert schema["noise"] == ((SHAPE.steps, SHAPE.rows, SHAPE.length // 8, 4), "int32")
    blocks = list(stream_of(encoded, noise=noise).epoch(0))
    for block in blocks:
        assert set(block) == set(schema)
        assert block["noise"].shape == schema["noise"][0] and block["noise"].dtype == np.int32
    drawn = np.bincount(np.concatenate([block["noise"].reshape(-1) for block in blocks]), minlength=len(encoded.vocabulary))
    expected = encoded.vocabulary.counts**0.75 / (encoded.vocabulary.counts**0.75).sum()
    # Thousands of draws over 50 words: each word's share within 0.01 of unigram^0.75 (a few standard errors).
    assert np.abs(drawn / drawn.sum() - expected).max() < 0.01, (drawn / drawn.sum(), expected)


def test_noise_words_differ_between_blocks_and_epochs_and_repeat_with_the_seed(encoded):
    noise = noise_of(encoded)
    first = [block["noise"] for block in stream_of(encoded, noise=noise).epoch(0)]
    again = [block["noise"] for block in stream_of(encoded, noise=noise).epoch(0)]
    second_epoch = [block["noise"] for block in stream_of(encoded, noise=noise).epoch(1)]
    other_seed = [block["noise"] for block in stream_of(encoded, noise=noise, seed=2).epoch(0)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], second_epoch[0])
    assert not np.array_equal(first[0], other_seed[0])


def test_a_resume_draws_the_same_noise_words(encoded):
    assert_a_resume_draws_the_same_blocks(stream_of(encoded, sample=1e-3, noise=noise_of(encoded)), skip=2)


def test_an_empty_block_trains_nothing():
    block = empty_block(SHAPE, 0.001)
    assert (block["sentence"] < 0).all() and block["words"].sum() == 0
    assert set(block) == set(block_schema(SHAPE))


STRIPED = BlockShape.for_batch(256, steps=3, window=3)  # 2 rows of 128 centres


def striped_stream(read, sample=0.0, epochs=1):
    keep = read.vocabulary.keep_probabilities(sample) if sample else None
    return BlockStream(read.encoded, keep, STRIPED, epochs, 0.025, 0.0001, 1, stripe_tokens=1000)


def row_centres(blocks, row):
    """The centres of one row of every step, in order."""
    window, length = STRIPED.window, STRIPED.length
    ids = np.concatenate([block["ids"][:, row, window : window + length].reshape(-1) for block in blocks])
    taken = np.concatenate([block["centres"][:, row].reshape(-1) for block in blocks])
    return ids[taken]


def test_a_long_corpus_gives_each_row_its_own_stripe_of_the_text(encoded):
    assert stripe_bounds(len(encoded.encoded), STRIPED.rows, 1000) == [(0, len(encoded.encoded) // 2), (len(encoded.encoded) // 2, len(encoded.encoded))]
    blocks = list(striped_stream(encoded).epoch(0))
    tokens = np.fromfile(encoded.encoded.ids_path, dtype=np.int32)
    half = len(tokens) // 2
    # Row 0 of every step continues the first half of the corpus, row 1 the second: every token a centre once.
    assert np.array_equal(row_centres(blocks, 0), tokens[:half])
    assert np.array_equal(row_centres(blocks, 1), tokens[half:])
    # A row's right halo is where the same row of the next step starts.
    window, length = STRIPED.window, STRIPED.length
    first = blocks[0]["ids"]
    assert np.array_equal(first[0, 1, window + length :], first[1, 1, window : 2 * window])


def test_a_short_corpus_keeps_one_stripe_of_consecutive_rows():
    assert stripe_bounds(7_999, 8, 1000) == [(0, 7_999)]
    assert stripe_bounds(8_000, 8, 1000)[1] == (1000, 2000)
    assert stripe_bounds(10**6, 1, 1000) == [(0, 10**6)]


def test_striped_words_add_up_and_the_rate_decays_and_a_resume_draws_the_same(encoded):
    blocks = list(striped_stream(encoded, epochs=1).epoch(0))
    assert sum(block["words"].sum() for block in blocks) == pytest.approx(len(encoded.encoded))
    rates = np.concatenate([block["learning_rate"][block["words"] > 0] for block in blocks])
    assert rates[0] == pytest.approx(0.025) and (np.diff(rates) <= 0).all() and rates[-1] < 0.001
    assert_a_resume_draws_the_same_blocks(striped_stream(encoded, sample=1e-3), skip=1)


def test_striped_subword_steps_cut_short_by_their_budget_still_take_every_centre_once(encoded):
    from unsup_embed.text.subwords import SubwordTable
    from unsup_embed.word2vec.subword_inputs import SubwordPacker

    table = SubwordTable.build(encoded.vocabulary.words, 3, 6, 1000)
    packer = SubwordPacker(table, encoded.vocabulary.counts.astype(float), STRIPED.rows, STRIPED.length, True)
    packer.budget = 25 * int(table.sizes().max())  # some two dozen distinct words a step, of the corpus's 50
    blocks = list(BlockStream(encoded.encoded, None, STRIPED, 1, 0.025, 0.0001, 1, subwords=packer, stripe_tokens=1000).epoch(0))
    assert any(not block["centres"][:, 1].any() for block in blocks)  # steps that ended in the first row
    tokens = np.fromfile(encoded.encoded.ids_path, dtype=np.int32)
    half = len(tokens) // 2
    assert np.array_equal(row_centres(blocks, 0), tokens[:half])
    assert np.array_equal(row_centres(blocks, 1), tokens[half:])
    # Every centre's slot names its own word.
    for block in blocks[:5]:
        for step in range(STRIPED.steps):
            slot, owner, rows = block["subword_slot"][step], block["subword_owner"][step], block["subword_rows"][step]
            centres = block["ids"][step][:, STRIPED.window : STRIPED.window + STRIPED.length]
            taken = block["centres"][step]
            for word, position_slot in zip(centres[taken], slot[taken]):
                assert rows[owner == position_slot][0] == word  # a word's first input row is its own


class StepByStep(BlockStream):
    """The step-by-step cut, which --subwords runs take, on a stream without subwords."""

    def _cut_whole(self, stripes, block):
        return self._cut_by_step(stripes, block)


@pytest.mark.parametrize(
    "shape, stripe_tokens, sample",
    [(SHAPE, 1000, 0.0), (SHAPE, 1000, 1e-3), (STRIPED, 1000, 0.0), (STRIPED, 1000, 1e-3), (BlockShape.for_batch(256, steps=3, window=2), 500, 1e-3)],
)
def test_blocks_cut_a_stripe_at_a_time_equal_those_cut_step_by_step(encoded, shape, stripe_tokens, sample):
    keep = encoded.vocabulary.keep_probabilities(sample) if sample else None
    noise = NoiseWords(encoded.vocabulary.noise_table(), 4, 3)
    streams = [kind(encoded.encoded, keep, shape, 2, 0.025, 0.0001, 7, noise=noise, stripe_tokens=stripe_tokens) for kind in (BlockStream, StepByStep)]
    whole, by_step = (list(stream.epoch(1)) for stream in streams)
    assert len(whole) == len(by_step) > 1
    assert not whole[-1]["centres"].all()  # the epoch's last block runs out of text part of the way
    for first, second in zip(whole, by_step):
        assert set(first) == set(second)
        for name in first:
            assert np.array_equal(first[name], second[name]), name
