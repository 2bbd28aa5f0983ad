"""Blocks made ahead in a thread: the same items in the same order, errors raised where the item would come, no thread left behind."""

import threading
import time

import pytest

from unsup_embed.training.prefetch import ahead


def test_items_come_in_order_and_all_of_them():
    with ahead(iter(range(100)), depth=3) as items:
        assert list(items) == list(range(100))


def test_the_source_runs_ahead_of_the_consumer_by_at_most_depth():
    made = []

    def source():
        for number in range(20):
            made.append(number)
            yield number

    with ahead(source(), depth=2) as items:
        first = next(items)
        time.sleep(0.3)  # time for the thread to fill the queue
        # The consumer holds item 0; two more wait in the queue and one is made, waiting for room.
        assert first == 0 and len(made) <= 4
        assert list(items) == list(range(1, 20))


def test_an_error_of_the_source_is_raised_in_the_consumer_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise OSError("No space left on device")

    received = []
    with pytest.raises(OSError, match="No space left"):
        with ahead(source()) as items:
            for item in items:
                received.append(item)
    assert received == [1, 2]


def test_leaving_early_stops_the_thread_and_the_source():
    made = []

    def endless():
        number = 0
        while True:
            made.append(number)
            yield number
            number += 1

    before = threading.active_count()
    with ahead(endless(), depth=2) as items:
        for item in items:
            if item == 5:
                break
    assert threading.active_count() == before
    count = len(made)
    time.sleep(0.2)
    assert len(made) == count  # nothing is made once the consumer has left
