"""One compiled call: a whole block of SGD steps on the tables, the same code on every backend and worker.

`train_block(model, tables, block)` runs `steps` SGD steps in one
`fori_loop`, with the tables as loop-carried values (a dict: "input", and
"output" unless the context table is shared), and returns the new tables and
the block's loss and pair totals. Each step:

1. finds its pairs (windows.py) and reads its noise words (the block's,
   drawn by the host: noise_words.py);
2. gathers the rows its objective asks for (`Objective.lookups`);
3. differentiates the summed per-centre loss with respect to those rows
   only (backend.py), so the step stays sparse: it never touches a row
   outside the batch;
4. scales each row's summed update by the row-update cap (windows.py; with
   subwords, a word's input rows by the word's count: subword_inputs.py) and
   adds it into its table with one scatter per table.

That is plain SGD at word2vec's learning rate, as word2vec and gensim apply
it. The caller decides where the tables live: Keras variables on one machine
(model.py), the rows of a block gathered from parameter servers, or each
worker's own copy under periodic averaging (distributed/).
"""

from __future__ import annotations

import math

from keras import ops

from . import backend
from .objectives import StepPairs
from .windows import cap_scales, empty_tally, pair_masks, row_update_scales


def train_block(model, tables: dict, block: dict):
    """(new tables, loss sum, pair count) after the block's SGD steps."""
    steps = ops.shape(block["ids"])[0]
    # One tally of updates per table for the row-update cap, carried from step to step.
    tallies = empty_tallies(model, tables, {name: block[name][0] for name in block})

    def one_step(step, carry):
        tables, tallies, loss_sum, pair_sum = carry
        tables, tallies, loss, pairs = sgd_step(model, tables, tallies, {name: block[name][step] for name in block})
        return tables, tallies, loss_sum + loss, pair_sum + pairs

    zero = ops.zeros((), "float32")
    tables, _, loss_sum, pair_sum = ops.fori_loop(0, steps, one_step, (tables, tallies, zero, zero))
    return tables, loss_sum, pair_sum


def empty_tallies(model, tables: dict, step: dict) -> dict:
    """The row-update cap's tally of each table whose rows a step like `step` counts together, before a block's first step (windows.py)."""
    sizes: dict[str, int] = {}  # tallied row ids a step lists per table, fixed by the block's shapes
    for lookup in model.objective.lookups(step_pairs(model, step)):
        if not lookup.by_word:
            name = model.table_name(lookup.table)
            sizes[name] = sizes.get(name, 0) + math.prod(ops.shape(lookup.ids))
    return {name: empty_tally(ops.shape(tables[name])[0], size) for name, size in sizes.items()}


def update_scales(lookups: list, cap: float, tally):
    """(scales, tally): the row-update cap's scale of every id of `lookups`, in order, and the table's new tally.

    A `by_word` lookup's rows are scaled by their word's count alone
    (subword_inputs.word_updates); the others' ids are tallied together, so
    that a row listed by several lookups counts all of its updates.
    """
    tallied = [lookup for lookup in lookups if not lookup.by_word]
    if tallied:
        ids = ops.concatenate([ops.reshape(lookup.ids, (-1,)) for lookup in tallied])
        updates = ops.concatenate([ops.reshape(ops.cast(lookup.updates, "float32"), (-1,)) for lookup in tallied])
        tallied_scales, tally = row_update_scales(ids, updates, cap, tally)
    parts, start = [], 0
    for lookup in lookups:
        if lookup.by_word:
            parts.append(cap_scales(ops.reshape(ops.cast(lookup.updates, "float32"), (-1,)), cap))
        else:
            size = math.prod(ops.shape(lookup.ids))
            parts.append(tallied_scales[start : start + size])
            start += size
    return ops.concatenate(parts), tally


def step_pairs(model, step: dict) -> StepPairs:
    """The pairs and noise words of one step of a block."""
    window, length = model.window, model.length
    masks, counts = pair_masks(step["sentence"], step["seed"], window, length, step.get("centres"))
    if model.negative_sampling and "noise" not in step:
        raise ValueError("a negative-sampling block needs its noise words (word2vec/noise_words.py draws them on the host)")
    return StepPairs(
        step["ids"], masks, counts, step.get("noise"), window, length, step.get("subword_rows"), step.get("subword_owner"), step.get("subword_slot")
    )


def sgd_step(model, tables: dict, tallies: dict, step: dict):
    """One SGD step on `tables`; returns (new tables, tallies, summed loss, pairs trained)."""
    pairs = step_pairs(model, step)
    lookups = model.objective.lookups(pairs)
    dim = model.embedding_dim
    table_of = {lookup.table: model.table_name(lookup.table) for lookup in lookups}
    rows = [ops.reshape(ops.take(tables[table_of[lookup.table]], ops.reshape(lookup.ids, (-1,)), axis=0), (*ops.shape(lookup.ids), dim)) for lookup in lookups]

    def loss_function(*rows):
        rows = [lookup.compose(each) if lookup.compose else each for lookup, each in zip(lookups, rows)]
        # The per-centre loss is non-negative and its target is zero, so its
        # distance to the target is the loss itself (an abs() here would only
        # slow the compiled gradient down tenfold). Summed, not averaged: each
        # pair gets a full word2vec SGD update.
        return ops.sum(model.objective(rows, step=pairs))

    loss, gradients = backend.value_and_gradients(loss_function, rows)
    rate = step["learning_rate"]
    new_tables, new_tallies = dict(tables), dict(tallies)
    for name in sorted(set(table_of.values())):
        mine = [index for index, lookup in enumerate(lookups) if table_of[lookup.table] == name]
        ids = ops.concatenate([ops.reshape(lookups[i].ids, (-1,)) for i in mine])
        grads = ops.concatenate([ops.reshape(gradients[i], (-1, dim)) for i in mine])
        scale, tally = update_scales([lookups[i] for i in mine], model.row_update_cap, tallies.get(name))
        if tally is not None:
            new_tallies[name] = tally
        new_tables[name] = backend.scatter_add(tables[name], ids, grads * ops.expand_dims(-rate * scale, -1))
    return new_tables, new_tallies, loss, ops.sum(pairs.counts)
