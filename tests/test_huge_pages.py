"""Huge pages under a big table: asked for only inside the table's own zeroed memory, and never changing a value."""

import sys
from pathlib import Path

import numpy as np
import pytest

from unsup_embed.word2vec import huge_pages

SETTING = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def huge_pages_allowed() -> bool:
    return sys.platform.startswith("linux") and SETTING.exists() and "[never]" not in SETTING.read_text()


def test_small_tables_are_left_alone():
    table = np.zeros((1000, 100), np.float32)
    assert not huge_pages.advise_zeroed(table.ctypes.data, table.nbytes)


@pytest.mark.skipif(not huge_pages_allowed(), reason="no transparent huge pages on this system")
def test_zeroed_memory_reads_zeros_after_the_advice_and_keeps_what_is_written_next(monkeypatch):
    monkeypatch.setattr(huge_pages, "WORTH_IT_BYTES", 0)
    table = np.zeros((4 * huge_pages.HUGE_PAGE + 12_345) // 4, np.float32)
    guard_before, guard_after = table[:8].copy(), table[-8:].copy()
    assert huge_pages.advise_zeroed(table.ctypes.data, table.nbytes)
    assert not table.any()
    table[:] = np.arange(table.size, dtype=np.float32)
    assert table[-1] == table.size - 1 and table[huge_pages.HUGE_PAGE // 4 + 3] == huge_pages.HUGE_PAGE // 4 + 3
    np.testing.assert_array_equal(guard_before, np.zeros(8, np.float32))
    np.testing.assert_array_equal(guard_after, np.zeros(8, np.float32))


def test_memory_outside_whole_huge_pages_is_never_touched(monkeypatch):
    monkeypatch.setattr(huge_pages, "WORTH_IT_BYTES", 0)
    calls = []

    class Madvise:  # stands for libc's madvise, argtypes and all
        def __call__(self, start, length, advice):
            calls.append((start, length, advice))
            return 0

    libc = type("Libc", (), {})()
    libc.madvise = Madvise()
    monkeypatch.setattr(huge_pages.ctypes, "CDLL", lambda *args, **kwargs: libc)
    monkeypatch.setattr(huge_pages.sys, "platform", "linux")
    page = huge_pages.HUGE_PAGE
    assert huge_pages.advise_zeroed(page * 10 + 7, page * 3)
    assert {(start, length) for start, length, _ in calls} == {(page * 11, page * 2)}  # [11, 13) of [10 + e, 13 + e)
    calls.clear()
    assert not huge_pages.advise_zeroed(page * 10 + 7, page)  # no whole huge page inside
    assert calls == []


def test_a_table_built_on_huge_pages_holds_the_same_values(monkeypatch):
    from unsup_embed.word2vec import backend
    from unsup_embed.word2vec.model import Word2VecModel

    def built(advise):
        monkeypatch.setattr(backend, "advise_huge_pages", advise)
        model = Word2VecModel(1_000, 100, buckets=20_000, seed=5)  # 8.4 MB: four whole huge pages
        model.build()
        return model.gather_rows("input", np.arange(0, 21_000, 7))

    monkeypatch.setattr(huge_pages, "WORTH_IT_BYTES", 0)
    advised = []
    real = backend.advise_huge_pages
    on_huge_pages = built(lambda variable: advised.append(real(variable)) or advised[-1])
    plain = built(lambda variable: False)
    assert advised, "the build asks for huge pages"
    np.testing.assert_array_equal(on_huge_pages, plain)
    assert np.count_nonzero(plain) > 0.99 * plain.size  # filled, not left as zeros
