"""Many domains at once and 2-D slices around points, against the engine run
domain by domain, local_bound, and dense sampling."""

import numpy as np
import pytest

from polyregions import Ball, Box, Slice, enumerate_regions, local_bound, random_network
from polyregions.batch import BatchCounts, count_regions_batch, neighbourhoods
from polyregions.domain import domain_from_dict
from polyregions.density import compare_data_vs_random, local_region_counts


class _BrokenBox(Box):
    """A domain whose engine run raises (stands for a solver crash at one centre)."""

    def seed_point(self, random_state=None):
        raise FloatingPointError("boom")

    @property
    def halfspaces(self):  # the subdivision engine (method="auto" on a box) starts here
        raise FloatingPointError("boom")


def test_batch_matches_engine_per_domain_and_flags_budgets_and_failures():
    net = random_network(2, [8, 8], bias_std=0.2, random_state=1)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(5, 2))
    doms = neighbourhoods(pts, 0.4, kind="ball") + [Box([-1, -1], [1, 1]), _BrokenBox([0, 0], [1, 1])]
    res = count_regions_batch(net, doms, bound="ibp")
    assert isinstance(res, BatchCounts) and len(res) == 7
    expect = [enumerate_regions(net, d).count() for d in doms[:6]]
    assert res.counts[:6].tolist() == expect
    assert res.statuses[:6] == ("exact",) * 6
    assert res.statuses[6] == "failed" and "boom" in res.details[6] and res.n_failed == 1
    for d, c, u in zip(doms[:6], res.counts, res.upper_bounds):
        assert u == local_bound(net, d).value and u >= c
    assert np.all(res.bound_ratios[:6] >= 1) and np.isnan(res.bound_ratios[6])
    assert res.rows()[6]["status"] == "failed"
    cut = count_regions_batch(net, doms[5:6], max_regions=3)
    assert cut.statuses == ("lower_bound",) and 3 <= cut.counts[0] < expect[5]
    assert cut.lower_bound.tolist() == [True]


def test_batch_in_two_processes_equals_serial():
    net = random_network(3, [8, 8], bias_std=0.2, random_state=2)
    doms = neighbourhoods(np.random.default_rng(1).normal(size=(4, 3)), 0.5, kind="box")
    a = count_regions_batch(net, doms, random_state=3)
    b = count_regions_batch(net, doms, random_state=3, n_jobs=2, progress=True)
    assert a.counts.tolist() == b.counts.tolist() and a.statuses == b.statuses


def test_batch_input_checks():
    net = random_network(2, [4], random_state=0)
    with pytest.raises(TypeError, match="not a polyregions Domain"):
        count_regions_batch(net, [(0, 1)])
    with pytest.raises(ValueError, match="dimension"):
        count_regions_batch(net, [Box([0], [1])])
    with pytest.raises(ValueError, match="bound"):
        count_regions_batch(net, [Box([0, 0], [1, 1])], bound="tight")
    with pytest.raises(ValueError, match="kind"):
        neighbourhoods([[0, 0]], 0.1, kind="sphere")


@pytest.mark.parametrize("kind", ["square", "disc"])
def test_slice_around_geometry_and_counts(kind):
    net = random_network(6, [10, 10], bias_std=0.1, random_state=5)
    x = np.random.default_rng(3).normal(size=6)
    s = Slice.around(x, 0.6, kind=kind, random_state=4)
    D = s.directions
    np.testing.assert_allclose(D @ D.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(s.to_input([[0.0, 0.0]])[0], x)
    rs = enumerate_regions(net, s)
    # Every pattern seen by dense sampling of the slice is one of the regions.
    U = s.sample(40_000, random_state=0)
    if kind == "disc":
        assert np.all(np.linalg.norm(U, axis=1) < 0.6)
    seen = {p.tobytes() for p in net.activation_patterns(s.to_input(U))}
    found = {p.tobytes() for p in rs.patterns}
    assert seen <= found and len(found) - len(seen) <= 0.1 * len(found)
    assert domain_from_dict(s.to_dict()).to_dict() == s.to_dict()
    if kind == "disc":
        assert s.volume() == pytest.approx(np.pi * 0.36)
        sq = Slice(x, D, [-0.6, -0.6], [0.6, 0.6])
        assert rs.count() <= enumerate_regions(net, sq).count()


def test_slice_around_given_plane_and_errors():
    d = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    s = Slice.around([0.0, 0.0, 0.0], 1.0, directions=d)
    np.testing.assert_allclose(s.directions[0], d[0] / np.sqrt(2))
    assert abs(s.directions[1, 2]) < 1e-15  # stays in the given plane
    with pytest.raises(ValueError, match="linearly dependent"):
        Slice.around([0.0, 0.0, 0.0], 1.0, directions=[[1, 0, 0], [2, 0, 0]])
    with pytest.raises(ValueError, match="dimension >= 2"):
        Slice.around([0.0], 1.0)
    with pytest.raises(ValueError, match="kind"):
        Slice.around([0.0, 0.0], 1.0, kind="circle")


def test_local_counts_with_bounds_and_jobs():
    net = random_network(2, [6, 6], bias_std=0.3, random_state=8)
    pts = np.random.default_rng(4).uniform(-1, 1, size=(4, 2))
    res = local_region_counts(net, pts, 0.3, bound="lp")
    ub = [local_bound(net, Ball(c, 0.3), method="lp").value for c in pts]
    assert res.upper_bounds.tolist() == ub
    assert np.all(res.bound_ratios >= 1)
    assert res.counts.tolist() == [enumerate_regions(net, Ball(c, 0.3)).count() for c in pts]
    cmp = compare_data_vs_random(net, pts, Box([-1, -1], [1, 1]), 0.3, bound="ibp",
                                 random_state=0)
    r_data, r_rand = cmp.bound_ratio
    assert r_data == pytest.approx(np.mean(cmp.data.upper_bounds / cmp.data.counts))
    assert r_rand >= 1
