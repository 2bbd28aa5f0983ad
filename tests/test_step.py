"""One compiled SGD step equals word2vec's SGD written out pair by pair."""

import numpy as np
import pytest

from unsup_embed.word2vec.model import Word2VecModel
from unsup_embed.word2vec.step import empty_tallies, sgd_step
from unsup_embed.word2vec.windows import offsets, pair_masks

VOCABULARY, DIM, WINDOW, LENGTH, GROUP, DRAWS, NEGATIVE = 20, 4, 2, 16, 8, 3, 5


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def a_step(rng):
    span = LENGTH + 2 * WINDOW
    ids = rng.integers(0, VOCABULARY, size=(1, span)).astype(np.int32)
    sentence = np.zeros((1, span), np.int32)
    sentence[0, :WINDOW] = -1  # nothing before the first centre
    sentence[0, WINDOW + 10 :] = 1  # a second sentence starts at the 11th centre
    noise = rng.integers(0, VOCABULARY, size=(1, LENGTH // GROUP, DRAWS)).astype(np.int32)
    return {"ids": ids, "sentence": sentence, "noise": noise, "seed": np.array([3, 9], np.int32), "learning_rate": np.float32(0.1)}


def reference_step(word, context, step):
    """word2vec's SGNS SGD for the step, pair by pair, with the step's noise words shared as the objective says."""
    masks, counts = (np.asarray(value) for value in pair_masks(step["sentence"], step["seed"], WINDOW, LENGTH))
    ids = step["ids"][0]
    word_change, context_change = np.zeros_like(word), np.zeros_like(context)
    for c in range(LENGTH):
        centre = ids[WINDOW + c]
        x = word[centre]
        for k, offset in enumerate(offsets(WINDOW)):
            if masks[0, c, k]:
                neighbour = ids[WINDOW + c + offset]
                g = sigmoid(x @ context[neighbour]) - 1.0
                word_change[centre] += g * context[neighbour]
                context_change[neighbour] += g * x
        for noise in step["noise"][0, c // GROUP]:
            g = sigmoid(x @ context[noise]) * counts[0, c] * NEGATIVE / DRAWS
            word_change[centre] += g * context[noise]
            context_change[noise] += g * x
    rate = float(step["learning_rate"])
    return word - rate * word_change, context - rate * context_change


@pytest.mark.parametrize("seed", [0, 1])
def test_a_compiled_step_is_word2vec_sgd(seed):
    rng = np.random.default_rng(seed)
    model = Word2VecModel(
        VOCABULARY, DIM, window=WINDOW, length=LENGTH, negative=NEGATIVE,
        negative_group=GROUP, noise_draws=DRAWS, row_update_cap=1e9,
    )  # fmt: skip
    model.build()
    word = rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32)
    context = rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32)
    step = a_step(rng)
    tables = {"input": word, "output": context}
    tables, tallies, loss, pairs = sgd_step(model, tables, empty_tallies(model, tables, step), step)
    expected_word, expected_context = reference_step(word, context, step)
    assert np.allclose(np.asarray(tables["input"]), expected_word, atol=1e-5)
    assert np.allclose(np.asarray(tables["output"]), expected_context, atol=1e-5)
    assert float(pairs) > 0 and np.isfinite(float(loss))
    # Each tally holds the step's own pair updates, for the next step to take out.
    for lookup_table, (counts, ids, updates) in tallies.items():
        expected = np.zeros(VOCABULARY, np.float32)
        np.add.at(expected, np.asarray(ids), np.asarray(updates))
        assert np.array_equal(np.asarray(counts), expected) and expected.sum() > 0, lookup_table


def test_the_row_update_cap_holds_a_row_at_cap_updates_worth():
    rng = np.random.default_rng(2)
    model = Word2VecModel(VOCABULARY, DIM, window=WINDOW, length=LENGTH, negative_group=GROUP, noise_draws=DRAWS, row_update_cap=1.0)
    model.build()
    word = rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32)
    context = rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32)
    step = a_step(rng)
    step["ids"][:] = 4  # one word everywhere: its rows take every update of the step
    tables = {"input": word, "output": context}
    capped, _, _, _ = sgd_step(model, tables, empty_tallies(model, tables, step), step)
    model.row_update_cap = 1e9
    free, _, _, _ = sgd_step(model, tables, empty_tallies(model, tables, step), step)
    capped_change = np.linalg.norm(np.asarray(capped["input"])[4] - word[4])
    free_change = np.linalg.norm(np.asarray(free["input"])[4] - word[4])
    _, counts = pair_masks(step["sentence"], step["seed"], WINDOW, LENGTH)
    assert capped_change == pytest.approx(free_change / float(np.asarray(counts).sum()), rel=1e-4)


def test_a_block_of_steps_caps_each_step_by_its_own_updates_alone():
    from unsup_embed.word2vec.step import train_block

    rng = np.random.default_rng(3)
    model = Word2VecModel(VOCABULARY, DIM, window=WINDOW, length=LENGTH, negative_group=GROUP, noise_draws=DRAWS, row_update_cap=2.0)
    model.build()
    tables = {"input": rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32), "output": rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32)}
    steps = [a_step(rng) for _ in range(3)]
    for number, step in enumerate(steps):
        step["seed"] = np.array([3, number], np.int32)
        step["ids"][0, :8] = 1  # a row repeated in every step: capped, by that step's updates only
    expected = dict(tables)
    for step in steps:  # one step at a time, each with a fresh tally
        expected, _, _, _ = sgd_step(model, expected, empty_tallies(model, expected, step), step)
    block = {name: np.stack([np.asarray(step[name]) for step in steps]) for name in steps[0]}
    trained, _, _ = train_block(model, tables, block)
    for name in tables:
        assert np.allclose(np.asarray(trained[name]), np.asarray(expected[name]), atol=1e-6), name
        assert not np.allclose(np.asarray(trained[name]), tables[name])


def with_subwords(step, ngram_rows_of):
    """The step's subword fields, as SubwordPacker lists them: each distinct centre word's own row, then its n-gram rows; returns the words."""
    centres = step["ids"][:, WINDOW : WINDOW + LENGTH]
    words, slot = np.unique(centres, return_inverse=True)
    rows = [[int(word), *ngram_rows_of(int(word))] for word in words]
    budget = sum(len(each) for each in rows) + 3  # a little padding, read by nothing
    step["subword_rows"] = np.zeros(budget, np.int32)
    step["subword_owner"] = np.full(budget, LENGTH, np.int32)
    flat = np.concatenate(rows)
    step["subword_rows"][: flat.shape[0]] = flat
    step["subword_owner"][: flat.shape[0]] = np.repeat(np.arange(len(rows)), [len(each) for each in rows])
    step["subword_slot"] = slot.reshape(centres.shape).astype(np.int32)
    return words


@pytest.mark.parametrize("cap", [1e9, 3.0])
def test_a_subword_step_moves_an_ngram_row_by_the_sum_of_its_words_own_rows_moves(cap):
    """Every row of a word takes the same update, capped by the word's count: nothing moves where the loss cannot see.

    An n-gram row used by several words and those words' own rows could
    otherwise trade an offset (+d on the n-gram, -d on the own rows) that no
    trained word's vector shows, and that piles up from step to step.
    """
    buckets = 4
    ngram_rows_of = lambda word: [VOCABULARY + word % 3, VOCABULARY + 3]  # noqa: E731  (one n-gram shared by every word)
    rng = np.random.default_rng(5)
    model = Word2VecModel(VOCABULARY, DIM, window=WINDOW, length=LENGTH, negative_group=GROUP, noise_draws=DRAWS, row_update_cap=cap, buckets=buckets)
    model.build()
    tables = {
        "input": rng.normal(scale=0.5, size=(VOCABULARY + buckets, DIM)).astype(np.float32),
        "output": rng.normal(scale=0.5, size=(VOCABULARY, DIM)).astype(np.float32),
    }
    step = a_step(rng)
    step["ids"][0, WINDOW : WINDOW + 8] = 7  # a word repeated: over a cap of 3 updates, where the others stay under it
    words = with_subwords(step, ngram_rows_of)
    trained, _, _, _ = sgd_step(model, tables, empty_tallies(model, tables, step), step)
    change = np.asarray(trained["input"]) - tables["input"]
    for bucket in range(buckets):
        holders = [word for word in words if VOCABULARY + bucket in ngram_rows_of(word)]
        assert np.allclose(change[VOCABULARY + bucket], change[holders].sum(axis=0), atol=1e-5), bucket
    assert not np.allclose(change[words], 0.0)
    unused = np.setdiff1d(np.arange(VOCABULARY), words)
    assert np.allclose(change[unused], 0.0)
    # Capped by the word's own count: the repeated word's rows move by cap / (its pair updates) of the uncapped move.
    model.row_update_cap = 1e9
    free, _, _, _ = sgd_step(model, tables, empty_tallies(model, tables, step), step)
    free_change = np.asarray(free["input"]) - tables["input"]
    _, counts = pair_masks(step["sentence"], step["seed"], WINDOW, LENGTH)
    centres = step["ids"][0, WINDOW : WINDOW + LENGTH]
    for word in words:
        updates = float(np.asarray(counts)[0][centres == word].sum())
        expected = min(1.0, cap / updates) if updates else 1.0
        assert np.allclose(change[word], expected * free_change[word], atol=1e-6), word
