import numpy as np

from unsup_embed.collapse import collapse_report


def test_identical_vectors_are_collapsed():
    rng = np.random.default_rng(0)
    vectors = np.ones((500, 20)) + 1e-4 * rng.normal(size=(500, 20))
    assert collapse_report(vectors).collapsed


def test_contraction_towards_a_point_is_collapse_even_with_random_directions():
    rng = np.random.default_rng(0)
    start = rng.uniform(-0.005, 0.005, size=(500, 20))
    report = collapse_report(start * 0.1, initial_vectors=start)
    assert report.collapsed and report.spread < 0.5


def test_vectors_left_at_their_start_learned_nothing():
    rng = np.random.default_rng(0)
    start = rng.uniform(-0.005, 0.005, size=(500, 20))
    report = collapse_report(start + 1e-5, initial_vectors=start)
    assert report.unlearned and not report.collapsed and not report.healthy


def test_spread_out_vectors_that_moved_are_healthy():
    rng = np.random.default_rng(0)
    start = rng.uniform(-0.005, 0.005, size=(500, 20))
    report = collapse_report(rng.normal(size=(500, 20)), initial_vectors=start)
    assert report.healthy
    assert abs(report.mean_random_cosine) < 0.1
    assert "spread out" in report.describe()
