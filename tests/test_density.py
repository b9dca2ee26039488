"""Tests of polyregions.density: local region counts around points."""

import numpy as np
import pytest

from polyregions import Ball, Box, Slice, count_regions, random_network
from polyregions.constructions import montufar
from polyregions.density import (
    DataVsRandom,
    LocalRegionCounts,
    compare_data_vs_random,
    local_region_counts,
    neighbourhood,
)


# ------------------------------------------------------------ exact counts
def test_spec_local_table_montufar_linf():
    # docs/math.md §6 worked examples: exact counts in l-inf boxes on the Montufar [4,4] net.
    net = montufar(2, [4, 4])
    centers = [[0.1, 0.1], [0.5, 0.5], [0.3, 0.6], [0.25, 0.25]]
    radii = [0.05, 0.05, 0.10, 0.20]
    got = [int(local_region_counts(net, c, r, kind="box").counts[0])
           for c, r in zip(centers, radii)]
    assert got == [2, 4, 10, 10]


# A ball where the engine once missed regions: HiGHS' QP solver stalled or ended in
# "Solve error" on the facet-meets-ball test, which then answered "misses". Kept as a
# regression case.
def _engine_cases():
    for kind in ("ball", "box"):
        for n0 in (2, 3):
            for seed in (0, 1, 2):
                yield pytest.param(seed, n0, kind, id=f"{kind}-{n0}d-seed{seed}")


@pytest.mark.parametrize("seed,n0,kind", list(_engine_cases()))
def test_exact_equals_engine_count(seed, n0, kind):
    net = random_network(n0, [6, 6], bias_std=0.3, random_state=seed)
    centers = np.random.default_rng(seed).uniform(-1, 1, (3, n0))
    res = local_region_counts(net, centers, 0.4, kind=kind, random_state=seed)
    for c, k in zip(centers, res.counts):
        dom = Ball(c, 0.4) if kind == "ball" else Box(c - 0.4, c + 0.4)
        assert k == count_regions(net, dom)
    assert not res.is_lower_bound and not res.lower_bound.any()
    assert res.method == "exact" and res.n_samples is None


@pytest.mark.parametrize("kind", ["ball", "box"])
def test_exact_at_least_sampling(kind):
    net = random_network(2, [8, 8], bias_std=0.2, random_state=3)
    centers = np.random.default_rng(0).uniform(-1, 1, (6, 2))
    exact = local_region_counts(net, centers, 0.3, kind=kind)
    samp = local_region_counts(net, centers, 0.3, kind=kind, method="sampling", n_samples=3000,
                               random_state=1)
    assert np.all(samp.counts <= exact.counts)
    assert np.all(samp.counts >= 1)
    assert samp.is_lower_bound and samp.lower_bound.all()
    assert samp.summary()["count_is"] == "lower bound"
    assert exact.summary()["count_is"] == "exact"


def test_exact_ball_count_at_least_sampled_patterns_qp_failure_case():
    # The regression case: 50 000 uniform points in this ball show 13 distinct patterns
    # (a lower bound); the engine once found 5 or 7 regions depending on its seed.
    net = random_network(2, [6, 6], bias_std=0.3, random_state=1)
    center = np.random.default_rng(1).uniform(-1, 1, (3, 2))[2]
    samp = local_region_counts(net, center, 0.4, method="sampling", n_samples=50_000,
                               random_state=0)
    exact = local_region_counts(net, center, 0.4, random_state=0)
    assert exact.counts[0] >= samp.counts[0]


def test_sampling_finds_every_large_region():
    # Two coordinate hyperplanes: four quadrants of area 1/4 of the box each; 2000 points
    # miss one of them with probability about 4 * 0.75^2000.
    net = random_network(2, [2], bias_std=0.0, random_state=0)
    samp = local_region_counts(net, [0.0, 0.0], 1.0, kind="box", method="sampling",
                               n_samples=2000, random_state=0)
    assert samp.counts.tolist() == [4]


def test_budget_flags_lower_bound():
    net = random_network(2, [16, 16], random_state=0)
    res = local_region_counts(net, [[0.0, 0.0], [0.3, 0.1]], 0.5, max_regions=2)
    assert res.counts.tolist() == [2, 2]
    assert res.lower_bound.all() and res.is_lower_bound


def test_slice_input_space_balls():
    # Balls live in the network's input space, whatever its dimension.
    net = random_network(6, [8, 8], random_state=1)
    x = np.random.default_rng(0).normal(size=6)
    res = local_region_counts(net, x, 0.05)
    assert res.counts[0] == count_regions(net, Ball(x, 0.05))


def test_result_summary_and_repr():
    net = random_network(2, [6], random_state=0)
    res = local_region_counts(net, [[0, 0], [3, 3], [0.1, 0.0]], 0.2)
    s = res.summary()
    assert s["n_points"] == 3 and s["min"] == res.counts.min() and s["max"] == res.counts.max()
    assert s["mean"] == pytest.approx(res.counts.mean())
    assert "exact" in repr(res)
    assert isinstance(res, LocalRegionCounts)
    with pytest.raises(ValueError, match="read-only"):
        res.counts[0] = 5  # read-only
    assert res.seconds.shape == (3,)


def test_neighbourhood():
    assert isinstance(neighbourhood([0, 0], 1.0), Ball)
    box = neighbourhood([1, 2], 0.5, kind="box")
    assert box.lo.tolist() == [0.5, 1.5] and box.hi.tolist() == [1.5, 2.5]


# ---------------------------------------------------------- data vs random
def test_compare_data_vs_random_zero_bias_origin():
    # Zero biases: all first-layer hyperplanes meet at the origin, so "data" near it sees
    # many more regions than uniform points of the box.
    net = random_network(2, [8, 8], bias_std=0.0, random_state=0)
    data = np.random.default_rng(0).normal(scale=0.01, size=(10, 2))
    cmp = compare_data_vs_random(net, data, Box([-1, -1], [1, 1]), 0.05, n_random=30,
                                 random_state=0)
    assert isinstance(cmp, DataVsRandom)
    assert cmp.data.n_points == 10 and cmp.random.n_points == 30
    assert cmp.mean_difference == pytest.approx(cmp.data.mean - cmp.random.mean)
    # Each data ball contains the origin (|x| ~ 0.014 < 0.05), hence meets all 2 * 8 = 16
    # sectors cut by the 8 first-layer lines through it; the second layer only adds.
    assert np.all(np.linalg.norm(data, axis=1) < 0.05)
    assert cmp.data.counts.min() >= 16
    u, p = cmp.mann_whitney("greater")
    assert p < 1e-3
    s = cmp.summary()
    assert set(s) >= {"data", "random", "mean_difference", "ratio", "p_value"}
    assert 0 <= s["p_value"] <= 1


def test_compare_data_vs_random_sampling_and_slice_domain():
    net = random_network(4, [8], random_state=2)
    dom = Slice.plane(np.zeros(4), np.eye(4)[0], np.eye(4)[1], lo=(-1, -1), hi=(1, 1))
    data = np.random.default_rng(1).uniform(-1, 1, (5, 4))
    cmp = compare_data_vs_random(net, data, dom, 0.2, method="sampling", n_samples=500,
                                 random_state=0)
    assert cmp.random.n_points == 5 and cmp.random.centers.shape == (5, 4)
    assert np.allclose(cmp.random.centers[:, 2:], 0.0)  # drawn on the slice
    assert cmp.data.is_lower_bound and cmp.random.is_lower_bound


def test_mann_whitney_needs_two_points():
    net = random_network(2, [4], random_state=0)
    cmp = compare_data_vs_random(net, [[0.0, 0.0]], Box([-1, -1], [1, 1]), 0.1, random_state=0)
    assert all(np.isnan(v) for v in cmp.mann_whitney())


# ---------------------------------------------------------------- validation
def test_validation_errors():
    net = random_network(2, [4], random_state=0)
    with pytest.raises(TypeError, match="ReLUNetwork"):
        local_region_counts("net", [0, 0], 0.1)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        local_region_counts(net, [[0, 0, 0]], 0.1)
    with pytest.raises(ValueError, match="empty"):
        local_region_counts(net, np.zeros((0, 2)), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        local_region_counts(net, [[np.nan, 0]], 0.1)
    with pytest.raises(ValueError, match="positive"):
        local_region_counts(net, [0, 0], 0.0)
    with pytest.raises(TypeError, match="radius"):
        local_region_counts(net, [0, 0], "big")
    with pytest.raises(ValueError, match="method"):
        local_region_counts(net, [0, 0], 0.1, method="guess")
    with pytest.raises(ValueError, match="kind"):
        local_region_counts(net, [0, 0], 0.1, kind="l1")
    with pytest.raises(ValueError, match="only applies to method='sampling'"):
        local_region_counts(net, [0, 0], 0.1, n_samples=100)
    with pytest.raises(ValueError, match="budgets of the exact engine"):
        local_region_counts(net, [0, 0], 0.1, method="sampling", max_regions=5)
    with pytest.raises(ValueError, match=">= 1"):
        local_region_counts(net, [0, 0], 0.1, method="sampling", n_samples=0)
    with pytest.raises(ValueError, match="time_limit"):
        local_region_counts(net, [0, 0], 0.1, time_limit=-1)
    with pytest.raises(TypeError, match="Domain"):
        compare_data_vs_random(net, [[0, 0]], None, 0.1)
    with pytest.raises(ValueError, match="dimension"):
        compare_data_vs_random(net, [[0, 0]], Box(-1, 1, dim=3), 0.1)
    with pytest.raises(ValueError, match="X must have shape"):
        compare_data_vs_random(net, [[0, 0, 0]], Box([-1, -1], [1, 1]), 0.1)
