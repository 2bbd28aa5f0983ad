import numpy as np
import pytest

from unsup_embed.training.collapse import VERDICTS, collapse_report


def _start(words: int = 500, dim: int = 20) -> np.ndarray:
    return np.random.default_rng(0).uniform(-0.005, 0.005, size=(words, dim))


def test_identical_vectors_are_collapsed():
    rng = np.random.default_rng(0)
    vectors = np.ones((500, 20)) + 1e-4 * rng.normal(size=(500, 20))
    report = collapse_report(vectors)
    assert report.verdict == "collapsed" and report.collapsed and not report.healthy
    assert "COLLAPSED" in report.describe()


def test_contraction_towards_a_point_is_collapse_even_with_random_directions():
    start = _start()
    report = collapse_report(start * 0.1, initial_vectors=start)
    assert report.verdict == "collapsed"
    assert report.collapsed and report.spread < 0.5


def test_vectors_left_at_their_start_learned_nothing():
    start = _start()
    report = collapse_report(start + 1e-5, initial_vectors=start)
    assert report.verdict == "unlearned"
    assert report.unlearned and not report.collapsed and not report.healthy
    assert "random start" in report.describe()


def test_vectors_that_moved_but_drew_closer_are_contracting_not_healthy():
    start = _start()
    report = collapse_report(start * 0.6, initial_vectors=start)  # moved (0.28x), and 0.6x as far apart
    assert 0.5 < report.spread < 1.0 and report.movement >= 0.25
    assert report.verdict == "contracting"
    assert report.unlearned and not report.collapsed and not report.healthy
    assert "contracting" in report.describe()


def test_vectors_that_spread_and_moved_only_a_little_are_weak_not_healthy():
    start = _start()
    report = collapse_report(start * 1.5, initial_vectors=start)  # 1.5x the spread, moved 0.35x
    assert 1.0 < report.spread < 2.0 and 0.25 < report.movement < 2.0
    assert report.verdict == "weak"
    assert not (report.healthy or report.collapsed or report.unlearned)
    assert "little sign of learning" in report.describe("train longer")
    assert report.describe("train longer").endswith(". train longer")


def test_spread_out_vectors_that_moved_are_healthy():
    rng = np.random.default_rng(0)
    start = _start()
    report = collapse_report(rng.normal(size=(500, 20)), initial_vectors=start)
    assert report.verdict == "learned"
    assert report.healthy and report.spread >= 2 and report.movement >= 2
    assert abs(report.mean_random_cosine) < 0.1
    assert "spread out" in report.describe("ignored advice") and "ignored advice" not in report.describe("ignored advice")


@pytest.mark.parametrize("factor, verdict", [(0.3, "collapsed"), (0.6, "contracting"), (1.5, "weak"), (300.0, "learned")])
def test_verdicts_in_as_dict(factor, verdict):
    start = _start()
    moved = start * factor if factor < 100 else np.random.default_rng(1).normal(size=start.shape)
    report = collapse_report(moved, initial_vectors=start)
    figures = report.as_dict()
    assert figures["verdict"] == verdict and verdict in VERDICTS
    assert figures["collapsed"] == (verdict == "collapsed")


def test_without_a_start_only_a_collapse_can_be_seen():
    report = collapse_report(np.random.default_rng(0).normal(size=(100, 8)))
    assert report.spread is None and report.movement is None
    assert report.verdict == "learned"
