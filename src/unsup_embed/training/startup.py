"""What a run does while it starts: TensorFlow imported beside the reading pass, Python's garbage collector paused until then.

`train` (run.py) starts the import in a thread once the reading pass has
forked its worker processes (`import_training_in_background`), and keeps
the cyclic garbage collector off from its start until the trainer is
imported (`garbage_collector_paused_until_started`). On Keras' JAX backend,
JAX takes GPU memory as it needs it (`jax_memory_as_needed`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import threading

from .preflight import keras_backend


PREALLOCATE = "XLA_PYTHON_CLIENT_PREALLOCATE"


def jax_memory_as_needed() -> None:
    """Have JAX take GPU memory as the run needs it, rather than 75 % of the card at its start, unless the user said otherwise.

    A word2vec run holds little there (text8like: 1.65 GiB of an H200's
    141 GB, CUDA's own share included), and taking the rest first cost
    every run on one H200 about 4 s (measured in fresh processes: starting
    JAX's GPU client 1.5 s instead of 0.37 s, the first copy to the card
    2.2 s instead of 0.1 s), as long as five epochs of text8like's
    training. JAX reads the setting when it starts its GPU client, which a
    run does after this (a process that started it before keeps its own);
    `XLA_PYTHON_CLIENT_PREALLOCATE=true` brings JAX's default back.
    """
    os.environ.setdefault(PREALLOCATE, "false")


# What Keras imports at its own import wherever it is installed, for what a training run never uses: DataFrames in
# `fit` (pandas), image plots (matplotlib, OpenCV), the scikit-learn wrappers. None is a requirement of Keras,
# TensorFlow or JAX, so none of them can import one without a guard. (requests is TensorFlow's, imported unguarded.)
KERAS_EXTRAS = ("pandas", "matplotlib", "sklearn", "cv2")


@contextlib.contextmanager
def modules_left_out(names):
    """Imports of `names` (those not imported yet) fail inside the block, as if they were not installed; after it, they work.

    Keras imports each of KERAS_EXTRAS inside `try: ... except ImportError`
    and goes on without it. On the H200 machine, whose image has them all,
    they were about 3 s of a 4.7 s Keras import (`python -X importtime`),
    which every run there waited for once its corpus was read.
    """
    absent = [name for name in names if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # Python's own way to make `import name` raise ImportError
    try:
        yield
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def import_training_in_background(subwords: bool = False, keras_extras: bool = True) -> threading.Thread:
    """Import the training modules (and TensorFlow), and for a `--subwords` run the export's gensim, in a thread; returns it, started.

    Called once the corpus is being read by worker processes, which are
    forked by then: importing TensorFlow takes 3-5 s, and gensim 1-2 s, that
    this process would otherwise spend waiting for them. Only fastText's
    model is written through gensim; a word2vec run never imports it (on two
    cores, its import competed with the first block's compilation). A failed
    import is left to the main thread's own import of the same module, which
    raises it where it is reported. On Keras' JAX backend, JAX's devices
    are started too, in a thread of their own beside the imports. Without
    `keras_extras` (a process that only trains), Keras is imported without
    its optional integrations (`modules_left_out`).
    """

    def start_devices() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module("jax").devices()  # JAX starts its GPU runtime here: 0.4-0.7 s on an H200

    def load() -> None:
        if keras_backend() == "jax":
            threading.Thread(target=start_devices, name="start-devices").start()
        # Keras comes with the trainers, in this one import, which the main thread's own import of them waits for.
        with contextlib.suppress(Exception), contextlib.nullcontext() if keras_extras else modules_left_out(KERAS_EXTRAS):
            importlib.import_module(f"{__package__}.trainers")
        if subwords:
            with contextlib.suppress(Exception):
                importlib.import_module("gensim.models")

    thread = threading.Thread(target=load, name="import-training")
    thread.start()
    return thread


@contextlib.contextmanager
def garbage_collector_paused_until_started():
    """Python's cyclic garbage collector off until the corpus is read and TensorFlow imported (call the yielded `started_up`).

    Importing TensorFlow makes hundreds of thousands of objects, and with
    the collector on, each of its six or so full collections in a run's
    first 8 s walked all of them: 1.0 s in all, holding the lock that the
    import and the merge of the reading pass both need. Nothing made in
    those seconds is cyclic garbage worth collecting early (the reading
    pass's tables are freed by reference counting), and the reading
    processes, forked in between, count tokens without it too. At
    `started_up()` the objects that exist (the modules, mostly, which live
    as long as the process) are frozen, so that the collections of the rest
    of the run, the one after the training loop included, do not walk them
    again; they are unfrozen as the run ends. A caller that froze objects
    of its own, or turned the collector off, keeps its settings.
    """
    enabled = gc.isenabled()
    freezing = enabled and gc.get_freeze_count() == 0
    gc.disable()

    def started_up() -> None:
        if enabled and not gc.isenabled():
            if freezing:
                gc.freeze()
            gc.enable()

    try:
        yield started_up
    finally:
        started_up()
        if freezing:
            gc.unfreeze()
