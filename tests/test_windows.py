"""The step's pairs, scores and row-update cap, checked against answers worked out by hand or by plain loops."""

import numpy as np
import pytest
from keras import ops

from unsup_embed.word2vec import backend
from unsup_embed.word2vec.window_products import window_scores, window_sums
from unsup_embed.word2vec.windows import band_at_neighbours, empty_tally, neighbour_counts, offsets, pair_masks, row_update_scales

SEED = np.array([7, 3], np.int32)


def one_row_sentence(sentence_ids: list[int], window: int, length: int = 16) -> np.ndarray:
    """A (1, length + 2 * window) sentence row: the tokens from position `window` on, -1 elsewhere."""
    row = np.full((1, length + 2 * window), -1, np.int32)
    row[0, window : window + len(sentence_ids)] = sentence_ids
    return row


def pairs_of(masks: np.ndarray, window: int) -> list[tuple[int, int]]:
    """(centre, neighbour) positions, counted from the first token, of a one-row mask."""
    found = []
    for centre, index in zip(*np.nonzero(np.asarray(masks)[0])):
        found.append((int(centre), int(centre + offsets(window)[index])))
    return sorted(found)


def test_four_word_sentence_window_one_gives_exactly_its_six_pairs():
    masks, counts = pair_masks(one_row_sentence([0, 0, 0, 0], window=1), SEED, window=1, length=16)
    assert pairs_of(masks, 1) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert np.asarray(counts)[0, :5].tolist() == [1, 2, 2, 1, 0]


def test_pairs_never_cross_a_sentence_boundary():
    masks, _ = pair_masks(one_row_sentence([4, 4, 5, 5, 5], window=5), SEED, window=5, length=16)
    found = pairs_of(masks, 5)
    assert found  # the sentences do have pairs
    sentence = [4, 4, 5, 5, 5]
    assert all(sentence[centre] == sentence[neighbour] for centre, neighbour in found)
    assert set(found) <= {(0, 1), (1, 0), (2, 3), (2, 4), (3, 2), (3, 4), (4, 2), (4, 3)}


def test_dynamic_window_draws_each_size_uniformly():
    # In a long sentence a centre with reach b has 2b pairs, so the mean per centre is 2 * mean(1..window) = window + 1.
    window, rows, length = 4, 64, 128
    sentence = np.zeros((rows, length + 2 * window), np.int32)
    total = 0.0
    for step in range(20):
        _, counts = pair_masks(sentence, np.array([1, step], np.int32), window, length)
        total += float(np.asarray(counts)[:, window:-window].mean())
    assert total / 20 == pytest.approx(window + 1, rel=0.01)


def test_the_same_seed_draws_the_same_windows():
    sentence = np.zeros((4, 128 + 10), np.int32)
    first, _ = pair_masks(sentence, SEED, 5, 128)
    again, _ = pair_masks(sentence, SEED, 5, 128)
    other, _ = pair_masks(sentence, np.array([7, 4], np.int32), 5, 128)
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_neighbour_counts_count_each_pair_once_at_its_neighbour():
    masks, counts = pair_masks(one_row_sentence([0, 0, 0, 0], window=1), SEED, window=1, length=16)
    per_position = np.asarray(neighbour_counts(masks, 1))[0]
    # Positions are in span coordinates: the first token sits at `window` = 1.
    assert per_position[1:5].tolist() == [1, 2, 2, 1]
    assert per_position.sum() == np.asarray(counts).sum()


@pytest.mark.parametrize("window", [1, 3, 5])
def test_band_at_neighbours_puts_each_value_at_the_position_its_centre_sees(window):
    rng = np.random.default_rng(window)
    rows, length = 2, 16
    band = rng.normal(size=(rows, length, 2 * window)).astype(np.float32)
    moved = np.asarray(band_at_neighbours(band, window))
    expected = np.zeros((rows, length + 2 * window, 2 * window), np.float32)
    for c in range(length):
        for k in range(2 * window):
            expected[:, neighbour_position(window, c, k), k] = band[:, c, k]
    assert np.array_equal(moved, expected)


@pytest.mark.parametrize("tile", [4, 16])
def test_window_scores_are_the_dot_products_of_each_centre_with_its_neighbours(tile):
    rng = np.random.default_rng(0)
    rows, length, window, dim = 3, 32, 3, 5
    centres = rng.normal(size=(rows, length, dim)).astype(np.float32)
    span = rng.normal(size=(rows, length + 2 * window, dim)).astype(np.float32)
    scores = np.asarray(window_scores(centres, span, window, tile))
    for r in range(rows):
        for c in range(length):
            for k, offset in enumerate(offsets(window)):
                assert scores[r, c, k] == pytest.approx(centres[r, c] @ span[r, window + c + offset], abs=1e-4)


def test_window_sums_add_the_rows_each_centre_pairs_with():
    rng = np.random.default_rng(1)
    rows, length, window, dim = 2, 32, 2, 4
    masks = (rng.random((rows, length, 2 * window)) < 0.5).astype(np.float32)
    span = rng.normal(size=(rows, length + 2 * window, dim)).astype(np.float32)
    sums = np.asarray(window_sums(masks, span, window, tile=8))
    for r in range(rows):
        for c in range(length):
            expected = sum(masks[r, c, k] * span[r, window + c + offset] for k, offset in enumerate(offsets(window)))
            assert np.allclose(sums[r, c], expected, atol=1e-5)


def neighbour_position(window: int, centre: int, index: int) -> int:
    """The span position of a centre's neighbour at offsets(window)[index]."""
    return window + centre + offsets(window)[index]


@pytest.mark.parametrize("tile", [4, 16])
def test_window_scores_gradients_are_those_of_the_dot_products(tile):
    rng = np.random.default_rng(2)
    rows, length, window, dim = 2, 32, 3, 5
    centres = rng.normal(size=(rows, length, dim)).astype(np.float32)
    span = rng.normal(size=(rows, length + 2 * window, dim)).astype(np.float32)
    upstream = rng.normal(size=(rows, length, 2 * window)).astype(np.float32)
    _, (d_centres, d_span) = backend.value_and_gradients(
        lambda c, s: ops.sum(window_scores(c, s, window, tile) * upstream), [ops.convert_to_tensor(centres), ops.convert_to_tensor(span)]
    )
    expected_centres, expected_span = np.zeros_like(centres), np.zeros_like(span)
    for r in range(rows):
        for c in range(length):
            for k in range(2 * window):
                p = neighbour_position(window, c, k)
                expected_centres[r, c] += upstream[r, c, k] * span[r, p]
                expected_span[r, p] += upstream[r, c, k] * centres[r, c]
    assert np.allclose(np.asarray(d_centres), expected_centres, atol=1e-4)
    assert np.allclose(np.asarray(d_span), expected_span, atol=1e-4)


def test_window_sums_gradient_reaches_each_span_row_from_every_centre_that_sums_it():
    rng = np.random.default_rng(3)
    rows, length, window, dim = 2, 32, 2, 4
    masks = (rng.random((rows, length, 2 * window)) < 0.5).astype(np.float32)
    span = rng.normal(size=(rows, length + 2 * window, dim)).astype(np.float32)
    upstream = rng.normal(size=(rows, length, dim)).astype(np.float32)
    _, (d_span,) = backend.value_and_gradients(lambda s: ops.sum(window_sums(masks, s, window, tile=8) * upstream), [ops.convert_to_tensor(span)])
    expected = np.zeros_like(span)
    for r in range(rows):
        for c in range(length):
            for k in range(2 * window):
                expected[r, neighbour_position(window, c, k)] += masks[r, c, k] * upstream[r, c]
    assert np.allclose(np.asarray(d_span), expected, atol=1e-4)
    # The halo's outermost rows are read only by the centres at the row's ends.
    assert np.any(expected[:, 0] != 0) and np.any(expected[:, -1] != 0)


def test_row_update_cap_scales_only_rows_over_the_cap_and_the_tally_holds_only_the_last_step():
    ids = np.array([3, 3, 5, 0], np.int32)
    updates = np.array([20.0, 20.0, 1.0, 0.0], np.float32)
    scales, tally = row_update_scales(ids, updates, 32.0, empty_tally(8, 4))
    # Row 3 takes 40 pair updates: scaled to 32 of them. Row 5 takes 1: untouched.
    assert np.asarray(scales).tolist() == pytest.approx([0.8, 0.8, 1.0, 1.0])
    assert np.asarray(tally[0]).tolist() == [0, 0, 0, 40, 0, 1, 0, 0]
    # The next step counts its own updates only: the first step's are taken out as this step's go in.
    ids = np.array([5, 5, 5, 3], np.int32)
    updates = np.array([16.0, 16.0, 32.0, 2.0], np.float32)
    scales, tally = row_update_scales(ids, updates, 32.0, tally)
    assert np.asarray(scales).tolist() == pytest.approx([0.5, 0.5, 0.5, 1.0])
    assert np.asarray(tally[0]).tolist() == [0, 0, 0, 2, 0, 64, 0, 0]
    assert np.asarray(tally[1]).tolist() == ids.tolist() and np.asarray(tally[2]).tolist() == updates.tolist()


def test_row_update_cap_costs_nothing_proportional_to_the_vocabulary():
    # The same ids give the same scales whatever the table size: the tally is read only at the ids.
    ids = np.array([1, 1, 2], np.int32)
    updates = np.array([40.0, 24.0, 3.0], np.float32)
    small, _ = row_update_scales(ids, updates, 32.0, empty_tally(4, 3))
    large, _ = row_update_scales(ids, updates, 32.0, empty_tally(2_000_000, 3))
    assert np.asarray(small).tolist() == pytest.approx(np.asarray(large).tolist())
    assert np.asarray(small)[0] == pytest.approx(0.5)
    assert ops.shape(small) == (3,)
