"""Blocks made ahead: the host cuts the next blocks in a thread while the compiled step trains the current one.

The host's share of a block (subsampling, the rows of each step, with
`--subwords` their input rows, the noise words) is NumPy and Python; the
step is XLA, which leaves the interpreter while it runs. Made in the same
thread, the two add up: on text8like, CBOW, 1 epoch, the host's 1.2 s came
on top of the step's 20 s. `ahead(blocks)` runs the block iterator in a
thread of its own, at most `depth` blocks ahead, so that work overlaps the
step (docs/benchmarks.md, "Noise words from the host").

What it keeps: the blocks' order, and any error of the iterator, raised in
the consumer where the block would have come. Leaving the `with` (the run
stopped, or failed) stops the thread before the next block is cut; blocks
made ahead and not trained are dropped, and a resumed run makes them again.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()


class _Ahead:
    def __init__(self, source: Iterable, depth: int):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(source,), name="blocks-ahead", daemon=True)
        self._thread.start()

    def _produce(self, source: Iterable) -> None:
        try:
            for item in source:
                if not self._put((item, None)):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            self._put((None, error))
            return
        self._put((_DONE, None))

    def _put(self, entry) -> bool:
        """Queue `entry` unless the consumer has left; False once it has."""
        while not self._stopping.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


@contextlib.contextmanager
def ahead(source: Iterable, depth: int = 2):
    """Iterate `source` in a thread, up to `depth` items ahead; yields the iterator of its items, in order."""
    producer = _Ahead(source, depth)
    try:
        yield iter(producer)
    finally:
        producer.stop()
