"""The operations of a training step that Keras 3 has no backend-neutral op for.

- `uniform_ints(seed, salt, shape, maxval)`: counter-based random integers,
  a pure function of the step's seed, so a resumed run draws what an
  uninterrupted one would (Keras' own random ops take a Python int or a
  stateful generator, not a seed computed inside the step);
- `value_and_gradients(loss_function, rows)`: the loss and its gradients with
  respect to the rows a step gathered (TensorFlow: `GradientTape`; JAX:
  `jax.value_and_grad`);
- `fill_rows(variable, slices)`: write (start, rows) slices into a table
  variable in place (TensorFlow: `scatter_update`), never holding a second
  copy of a big table;
- `gather_rows(variable, ids)`: some rows of a table variable, reading
  only those (TensorFlow: `sparse_read`; a dense read of a variable that
  took `scatter_update` copies the whole table first);
- `advise_huge_pages(variable)`: back a big zeroed table with 2 MiB pages
  before its first update (huge_pages.py);
- `numpy_view(tensor)`: a read-only NumPy array over a tensor's memory,
  without a copy of its own (TensorFlow: DLPack);
- `forget_custom_gradients()`: drop the gradient functions TensorFlow keeps
  for every `custom_gradient` it traced (window_products.py). Its registry
  keeps each one for the life of the process, and with it the traced step's
  graph and the table variables that graph captured: without this, a
  `--subwords` run held its 0.8 GiB n-gram table twice at the export (peak
  3,050 MiB against 2,145);
- `scatter_add(table, ids, updates)`: the table with `updates` added to the
  rows `ids`, duplicates summed, as a new value (TensorFlow:
  `tensor_scatter_nd_add`; JAX: `.at[].add`). Inside the compiled block the
  table is a loop-carried value that XLA updates in place, so the cost
  follows the rows touched, not the table's size.

Everything else of the step is `keras.ops`, the same code on every backend.
"""

from __future__ import annotations

import keras


def _is_jax() -> bool:
    return keras.backend.backend() == "jax"


def uniform_ints(seed, salt: int, shape: tuple, maxval):
    """Integers uniform in [0, maxval), from the step's (2,) int32 `seed` and a per-use `salt`."""
    if _is_jax():
        import jax

        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed[0]), seed[1]), salt)
        return jax.random.randint(key, shape, 0, maxval, dtype="int32")
    import tensorflow as tf

    # Stateless draws take a (2,) seed: the step number goes second, doubled to make room for the salt.
    step_seed = tf.stack([seed[0], seed[1] * 2 + salt])
    return tf.random.stateless_uniform(shape, seed=step_seed, minval=0, maxval=maxval, dtype=tf.int32)


def value_and_gradients(loss_function, rows: list):
    """(loss_function(*rows), [d loss / d row for row in rows])."""
    if _is_jax():
        import jax

        return jax.value_and_grad(lambda tensors: loss_function(*tensors))(list(rows))
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(rows)
        loss = loss_function(*rows)
    return loss, tape.gradient(loss, rows)


def scatter_add(table, ids, updates):
    """`table` with `updates` ((n, dim), or (n,) for a vector) added at `ids` (n,)."""
    if _is_jax():
        return table.at[ids].add(updates)
    import tensorflow as tf

    return tf.tensor_scatter_nd_add(table, tf.expand_dims(ids, -1), updates)


def forget_custom_gradients() -> None:
    """Drop TensorFlow's registered custom-gradient functions; call once no step will be traced again (training is over)."""
    if _is_jax():  # JAX keeps nothing of a traced function's gradient
        return
    from tensorflow.python.framework import ops as tf_ops

    # Private, but the only handle on them: TensorFlow names each "CustomGradient-<n>" and never removes it.
    registry = getattr(getattr(tf_ops, "_gradient_registry", None), "_registry", None)
    if isinstance(registry, dict):
        for name in [name for name in registry if name.startswith("CustomGradient-")]:
            del registry[name]


def numpy_view(tensor):
    """A read-only NumPy array sharing the memory of `tensor` as read (CPU tensors), instead of `convert_to_numpy`'s copies."""
    import numpy as np

    if _is_jax():
        return np.asarray(tensor)
    import tensorflow as tf

    return np.from_dlpack(tf.convert_to_tensor(tensor))


def fill_rows(variable, slices) -> None:
    """Write each (start, values) of `slices` into rows start.. of a Keras table variable."""
    import numpy as np

    if _is_jax():  # an immutable array: assembled once, on the host
        table = np.empty(variable.shape, np.float32)
        for start, values in slices:
            table[start : start + values.shape[0]] = values
        variable.assign(table)
        return
    import tensorflow as tf

    for start, values in slices:
        variable.value.scatter_update(tf.IndexedSlices(tf.constant(values), tf.range(start, start + values.shape[0])))


def advise_huge_pages(variable) -> bool:
    """Back a zeroed table variable with huge pages (huge_pages.py); True where it was done. Call before its first update."""
    if _is_jax():  # the table is assembled on the host and handed over whole (fill_rows)
        return False
    import numpy as np
    import tensorflow as tf

    from .huge_pages import advise_zeroed

    # A table that took no sparse update yet is read without a copy: this is its own memory. Were it
    # a copy, only that copy's zeros would be dropped: `view` holds it until the advice is given.
    view = np.from_dlpack(tf.convert_to_tensor(variable.value))
    return advise_zeroed(view.__array_interface__["data"][0], view.nbytes)


def gather_rows(variable, ids):
    """Rows `ids` of a Keras table variable, without reading the rest of it."""
    if _is_jax():
        return keras.ops.take(variable.value, ids, axis=0)
    import tensorflow as tf

    return variable.value.sparse_read(tf.constant(ids))
