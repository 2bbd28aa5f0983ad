"""The training objectives, as Keras layers that return one loss per centre word.

Each objective says which table rows a step needs (`lookups`) and computes,
from those rows, a non-negative loss per centre; the model is trained
against dummy zero targets, so driving that loss to zero is the whole
objective. All of it is `keras.ops`, the same on every backend.

A step's rows come as rows x length centres with `window` positions of
context either side (blocks.py); `pair_masks` (windows.py) says which
(centre, neighbour) pairs exist.

- `SkipGramNegativeSampling`: word2vec's skip-gram with negative sampling.
  For each pair, log sigma(w.c) with w the centre's input vector and c the
  neighbour's output vector, and `negative` noise words n with log sigma(-w.n).
  The noise words are drawn `draws` at a time for a group of `group`
  consecutive centres and scored against each of them, each centre's noise
  term weighted by its pair count x negative / draws, so the expected
  gradient is word2vec's, `negative` noise terms per pair.
- `CbowNegativeSampling`: word2vec's CBOW: the mean of the window's input
  vectors predicts the centre's output vector, with noise words as above.
  As in word2vec.c and gensim (`cbow_mean=1`), each context vector receives
  the whole error of the mean, not a share of it.
- `Distance`: the naive design people try first. The two vectors of a pair
  (both from the one table) are subtracted, the difference reduced by its
  mean (`squared=True`: the mean of its square), and that is trained towards
  0. Nothing pushes unrelated words apart, so "all vectors equal" is a
  perfect solution; the collapse report exists to show it.

Reference: Mikolov et al. 2013; word2vec.c; Ji et al. 2016 (shared noise words).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import ops

from .subword_inputs import composite_inputs, word_updates
from .window_products import window_scores, window_sums
from .windows import mean_passing_full_gradient, neighbour_counts, offsets


@dataclass
class Lookup:
    """Rows a step gathers: from `table` ("input" or "output"), at `ids`, each standing for `updates` pair updates.

    `compose`, when given, turns the gathered rows into what the objective
    reads (with subwords: each position's mean of its input rows).
    `by_word`: each id is one row of one word's, `updates` is that word's
    count, and the row-update cap scales by it directly (with subwords);
    otherwise the updates of all ids of a row are tallied together.
    """

    table: str
    ids: object
    updates: object
    compose: Callable | None = None
    by_word: bool = False


@dataclass
class StepPairs:
    """One step's positions and pairs, as the objectives read them."""

    ids: object  # (rows, span) word ids
    masks: object  # (rows, length, 2 x window) 1.0 where a centre pairs with a neighbour
    counts: object  # (rows, length) pairs per centre
    noise: object | None  # (rows, length / group, draws) noise word ids
    window: int
    length: int
    subword_rows: object | None = None  # (budget,) input rows of the step's distinct words, with --subwords
    subword_owner: object | None = None  # (budget,) the distinct word each of them belongs to
    subword_slot: object | None = None  # (rows, positions) each position's distinct word

    @property
    def centre_ids(self):
        return self.ids[:, self.window : self.window + self.length]

    def input_lookup(self, grid_ids, updates) -> Lookup:
        """The input rows of a grid of positions (centres, or the whole span), each standing for `updates` pair updates."""
        if self.subword_rows is None:
            return Lookup("input", grid_ids, updates)
        owner, slot = self.subword_owner, self.subword_slot
        slots = ops.shape(slot)[0] * ops.shape(slot)[1]
        compose = lambda rows: composite_inputs(rows, owner, slot, slots)  # noqa: E731
        return Lookup("input", self.subword_rows, word_updates(updates, owner, slot, slots), compose, by_word=True)

    def neighbours(self, span_rows, index: int):
        """The rows at offsets(window)[index] of every centre: (rows, length, dim)."""
        start = self.window + offsets(self.window)[index]
        return span_rows[:, start : start + self.length]


class _NoiseScores(keras.layers.Layer):
    """Shared machinery: softplus(h.n) summed over a group's noise words, per centre."""

    def __init__(self, window: int, negative: int, group: int, draws: int, **kwargs):
        super().__init__(**kwargs)
        self.window, self.negative, self.group, self.draws = window, negative, group, draws

    def noise_loss(self, hidden, noise_rows):
        """(rows, length): sum over the group's draws of softplus(hidden . noise), times negative / draws."""
        rows, length, dim = ops.shape(hidden)[0], ops.shape(hidden)[1], ops.shape(hidden)[2]
        grouped = ops.reshape(hidden, (rows, length // self.group, self.group, dim))
        scores = ops.einsum("rgcd,rgkd->rgck", grouped, noise_rows)
        # -log sigma(-x) = softplus(x)
        loss = ops.sum(ops.softplus(scores), axis=-1) * (self.negative / self.draws)
        return ops.reshape(loss, (rows, length))

    def get_config(self):
        return {**super().get_config(), "window": self.window, "negative": self.negative, "group": self.group, "draws": self.draws}


class SkipGramNegativeSampling(_NoiseScores):
    def lookups(self, step: StepPairs) -> list[Lookup]:
        return [
            step.input_lookup(step.centre_ids, step.counts),
            Lookup("output", step.ids, neighbour_counts(step.masks, step.window)),
            Lookup("output", step.noise, ops.ones(ops.shape(step.noise), "float32")),
        ]

    def call(self, rows, step: StepPairs = None):
        centre_rows, span_rows, noise_rows = rows
        scores = window_scores(centre_rows, span_rows, self.window)
        positive = ops.sum(step.masks * ops.softplus(-scores), axis=-1)
        return positive + step.counts * self.noise_loss(centre_rows, noise_rows)


class CbowNegativeSampling(_NoiseScores):
    def lookups(self, step: StepPairs) -> list[Lookup]:
        predicted = ops.cast(ops.greater(step.counts, 0), "float32")
        return [
            step.input_lookup(step.ids, neighbour_counts(step.masks, step.window)),
            Lookup("output", step.centre_ids, predicted),
            Lookup("output", step.noise, ops.ones(ops.shape(step.noise), "float32")),
        ]

    def call(self, rows, step: StepPairs = None):
        span_rows, centre_rows, noise_rows = rows
        hidden = mean_passing_full_gradient(window_sums(step.masks, span_rows, self.window), step.counts)
        predicted = ops.cast(ops.greater(step.counts, 0), "float32")
        positive = ops.softplus(-ops.sum(hidden * centre_rows, axis=-1))
        return predicted * (positive + self.noise_loss(hidden, noise_rows))


class Distance(keras.layers.Layer):
    def __init__(self, window: int, squared: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.window = window
        self.squared = squared

    def lookups(self, step: StepPairs) -> list[Lookup]:
        # Both vectors of a pair come from the one table: a position is updated as a centre and as a neighbour.
        as_centre = ops.pad(step.counts, [[0, 0], [step.window, step.window]])
        return [Lookup("input", step.ids, as_centre + neighbour_counts(step.masks, step.window))]

    def call(self, rows, step: StepPairs = None):
        (span_rows,) = rows
        centre = span_rows[:, step.window : step.window + step.length]
        loss = 0.0
        for index in range(2 * self.window):
            difference = centre - step.neighbours(span_rows, index)
            if self.squared:
                per_pair = ops.mean(ops.square(difference), axis=-1)
            else:  # the mean-reduced difference, trained towards a zero target with squared error
                per_pair = ops.square(ops.mean(difference, axis=-1))
            loss = loss + step.masks[..., index] * per_pair
        return loss

    def get_config(self):
        return {**super().get_config(), "window": self.window, "squared": self.squared}
