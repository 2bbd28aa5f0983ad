"""What a run does while it starts: TensorFlow imported beside the reading pass, Python's garbage collector paused until then.

`train` (run.py) starts the import in a thread once the reading pass has
forked its worker processes (`import_training_in_background`), and keeps
the cyclic garbage collector off from its start until the trainer is
imported (`garbage_collector_paused_until_started`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading

from .preflight import keras_backend


def import_training_in_background(subwords: bool = False) -> threading.Thread:
    """Import the training modules (and TensorFlow), and for a `--subwords` run the export's gensim, in a thread; returns it, started.

    Called once the corpus is being read by worker processes, which are
    forked by then: importing TensorFlow takes 3-5 s, and gensim 1-2 s, that
    this process would otherwise spend waiting for them. Only fastText's
    model is written through gensim; a word2vec run never imports it (on two
    cores, its import competed with the first block's compilation). A failed
    import is left to the main thread's own import of the same module, which
    raises it where it is reported. On Keras' JAX backend, JAX's devices
    are started there too.
    """
    modules = [f"{__package__}.trainers"] + (["gensim.models"] if subwords else [])

    def load() -> None:
        for module in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(module)
        if keras_backend() == "jax":
            with contextlib.suppress(Exception):
                importlib.import_module("jax").devices()  # JAX starts its GPU runtime here: 1-2 s on an H200

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
