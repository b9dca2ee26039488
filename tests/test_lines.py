"""Tests of polyregions.lines: exact 1-D traversal against independent oracles."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from polyregions import Ball, Box, ReLUNetwork, Slice
from polyregions.bounds import hanin_rolnick_segment_expectation
from polyregions.lines import (
    LineStatistics,
    count_regions_on_segment,
    line_statistics,
    segment_breakpoints,
)

from _nets import random_net_factory


random_net = random_net_factory(n0=3, widths=(8, 8, 8), bias_std=0.3)


def assert_matches_grid(net, a, b, n_grid=20001):
    """Oracle: patterns on a fine grid of the segment.

    Regions are convex, so a grid cell contains a breakpoint iff the patterns
    at its two ends differ; and every grid point's pattern is its piece's.
    """
    t, pats = segment_breakpoints(net, a, b, return_patterns=True)
    g = np.linspace(0.0, 1.0, n_grid)
    G = net.activation_patterns(a + g[:, None] * (b - a))
    changed = np.flatnonzero(np.any(G[1:] != G[:-1], axis=1))
    cells_with_break = np.unique(np.searchsorted(g, t) - 1)
    assert np.array_equal(changed, cells_with_break)
    piece = np.searchsorted(t, g, side="right")
    assert np.array_equal(pats[piece], G)
    assert np.all(np.diff(t) > 0) and (t.size == 0 or (0 < t[0] and t[-1] < 1))
    assert len({p.tobytes() for p in pats}) == len(pats)  # convexity: no repeats
    return t


# --------------------------------------------------------- hand-built nets
def serra_3_3():
    """docs/math.md §4.2: Serra-type [3,3] net, 16 regions on [0, 1]."""
    W1 = np.array([[3.5], [3.5], [-3.5]])
    b1 = np.array([-0.5, -1.5, 2.5])
    W2 = np.tile([-3.0, 2.0, -2.0], (3, 1))
    b2 = np.array([4.75, 4.5, 4.25])
    return ReLUNetwork.from_weights([W1, W2, np.ones((1, 3))], [b1, b2, [0.0]])


def test_serra_construction_exact_breakpoints():
    net = serra_3_3()
    k = np.array([1, 2, 3]) / 4
    # First-layer kinks, then where the folded coordinate g crosses 1/4, 1/2,
    # 3/4 on each of its four linear pieces (g = 7x, 1.5-3.5x, 3.5x-1.5, 3.5-3.5x).
    expected = np.sort(
        np.r_[
            [1 / 7, 3 / 7, 5 / 7],
            k / 7,
            (1.5 - k) / 3.5,
            (k + 1.5) / 3.5,
            (3.5 - k) / 3.5,
        ]
    )
    t = segment_breakpoints(net, [0.0], [1.0])
    assert t.size == 15
    np.testing.assert_allclose(t, expected, rtol=0, atol=1e-12)
    assert count_regions_on_segment(net, [0.0], [1.0]) == 16  # docs/math.md §4.2 table
    # 20003 grid steps: odd and coprime to 7, so no grid point is a breakpoint.
    assert_matches_grid(net, np.array([0.0]), np.array([1.0]), n_grid=20004)


def test_neurons_exactly_zero_at_start_use_their_slope():
    # relu(x), relu(-x), relu(x - 0.5); layer 2: |x| = h1 + h2 and relu(x) = h1.
    W1 = np.array([[1.0], [-1.0], [1.0]])
    b1 = np.array([0.0, 0.0, -0.5])
    W2 = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    net = ReLUNetwork.from_weights([W1, W2, np.ones((1, 2))], [b1, [0.0, 0.0], [0.0]])
    t, pats = segment_breakpoints(net, [0.0], [1.0], return_patterns=True)
    assert t.tolist() == [0.5]
    assert pats.astype(int).tolist() == [[1, 0, 0, 1, 1], [1, 0, 1, 1, 1]]
    # Through the kink at 0: relu(x) and relu(-x) swap, the downstream relu(x)
    # turns on from an identically-zero piece, and |x| only touches zero.
    t, pats = segment_breakpoints(net, [-1.0], [1.0], return_patterns=True)
    np.testing.assert_allclose(t, [0.5, 0.75], atol=1e-15)
    assert pats.astype(int).tolist() == [[0, 1, 0, 1, 0], [1, 0, 0, 1, 1], [1, 0, 1, 1, 1]]
    # Ending exactly on a kink adds no piece.
    assert count_regions_on_segment(net, [-1.0], [0.0]) == 1


def test_segment_through_intersection_of_hyperplanes():
    net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    t, pats = segment_breakpoints(net, [-1.0, -1.0], [1.0, 1.0], return_patterns=True)
    assert t.tolist() == [0.5] and pats.astype(int).tolist() == [[0, 0], [1, 1]]
    # Along a hyperplane the neuron is identically zero: inactive, no breakpoint.
    t, pats = segment_breakpoints(net, [0.0, -1.0], [0.0, 1.0], return_patterns=True)
    assert t.tolist() == [0.5] and pats.astype(int).tolist() == [[0, 0], [0, 1]]


def test_no_hidden_layer_and_constant_segment_regions():
    net = ReLUNetwork.from_weights([np.ones((1, 2))], [np.zeros(1)])
    assert count_regions_on_segment(net, [0, 0], [1, 1]) == 1
    net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [[5.0, 5.0], [0.0]])
    assert segment_breakpoints(net, [0, 0], [1, 1]).size == 0


def test_max_breakpoints_guard():
    with pytest.raises(RuntimeError, match="max_breakpoints"):
        segment_breakpoints(serra_3_3(), [0.0], [1.0], max_breakpoints=3)


# ----------------------------------------------------- random nets vs grid
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=12, deadline=None)
def test_random_nets_match_dense_grid(seed):
    net = random_net(seed)
    rng = np.random.default_rng(seed + 1)
    a, b = rng.uniform(-1.5, 1.5, (2, 3))
    assert_matches_grid(net, a, b)


def test_random_leaky_net_matches_dense_grid():
    net = random_net(3, n0=2, widths=(10, 10), slope=0.2)
    assert_matches_grid(net, np.array([-2.0, 0.3]), np.array([2.0, -0.4]))


def test_wide_input_net_matches_dense_grid():
    net = random_net(4, n0=50, widths=(16, 16), bias_std=0.01)
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0, 1, (2, 50))
    t = assert_matches_grid(net, a, b)
    assert t.size > 0


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_reversal_and_splitting(seed):
    net = random_net(seed, n0=2, widths=(6, 6))
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1, 1, (2, 2))
    t = segment_breakpoints(net, a, b)
    np.testing.assert_allclose(segment_breakpoints(net, b, a), 1 - t[::-1], atol=1e-9)
    # Split at a point away from every breakpoint: pieces add up.
    grid = np.linspace(0.2, 0.8, 61)
    s = grid[np.argmax([np.min(np.abs(t - g)) if t.size else 1 for g in grid])]
    mid = a + s * (b - a)
    total = count_regions_on_segment(net, a, mid) + count_regions_on_segment(net, mid, b) - 1
    assert total == count_regions_on_segment(net, a, b)


# --------------------------------------------- one hidden layer: docs/math.md §5
SIGMA_W2, SIGMA_B2, N1, T = 2 / 3, 0.1, 20, 2.0
X0 = np.array([0.3, -0.2, 0.5])
U = np.array([1.0, 0.0, 0.0])


def one_layer_expectation(x0, u, T, n1, sw2, sb2):
    """docs/math.md §5 through the library's own function (no second copy of the formula here)."""
    return hanin_rolnick_segment_expectation(n1, x0, x0 + T * u, math.sqrt(sw2), math.sqrt(sb2))


def test_one_layer_expectation_formula_worked_numbers():
    assert one_layer_expectation(X0, U, T, N1, SIGMA_W2, SIGMA_B2) == pytest.approx(
        6.5085, abs=5e-5
    )
    p0 = (one_layer_expectation(np.zeros(3), U, T, 1, SIGMA_W2, SIGMA_B2) - 1)
    assert p0 == pytest.approx(math.atan(T * math.sqrt(SIGMA_W2 / SIGMA_B2)) / math.pi)
    assert p0 == pytest.approx(0.43911, abs=5e-6)


def test_one_layer_mean_count_matches_exact_expectation():
    """2000 random one-layer nets: the exact per-net count, then a t-test of the mean.

    The interval is the two-sided 99.9% Student-t interval from the sample
    variance, with a fixed seed: a correct implementation fails with
    probability 1e-3 over seeds, and this seed is not tuned.
    """
    rng = np.random.default_rng(20240505)
    n_nets = 2000
    a, b = X0, X0 + T * U
    counts = np.empty(n_nets)
    for i in range(n_nets):
        W = rng.normal(0, math.sqrt(SIGMA_W2), (N1, 3))
        bias = rng.normal(0, math.sqrt(SIGMA_B2), N1)
        net = ReLUNetwork.from_weights([W, np.ones((1, N1))], [bias, [0.0]])
        counts[i] = count_regions_on_segment(net, a, b)
        # Per-net oracle: a neuron switches iff its zero t* = -(w.a+b)/(w.(b-a)) is in (0,1).
        tstar = -(W @ a + bias) / (W @ (b - a))
        assert counts[i] == 1 + np.count_nonzero((tstar > 0) & (tstar < 1))
    expected = one_layer_expectation(X0, U, T, N1, SIGMA_W2, SIGMA_B2)
    half = stats.t.ppf(0.9995, n_nets - 1) * counts.std(ddof=1) / math.sqrt(n_nets)
    assert abs(counts.mean() - expected) < half


# ------------------------------------------------------- line statistics
def test_line_statistics_box():
    net = random_net(7, n0=2, widths=(8, 8))
    st_ = line_statistics(net, Box([0, 0], [1, 1]), 40, line_length=2.0, random_state=3)
    assert isinstance(st_, LineStatistics) and st_.n_lines == 40
    np.testing.assert_allclose(st_.lengths, 2.0)
    centres = (st_.starts + st_.ends) / 2
    assert np.all((centres >= 0) & (centres <= 1))
    for s, e, c in zip(st_.starts, st_.ends, st_.counts):
        assert c == count_regions_on_segment(net, s, e)
    assert st_.mean_regions == pytest.approx(st_.counts.mean())
    lo, hi = st_.regions_ci
    ref = stats.t.interval(0.95, 39, loc=st_.counts.mean(), scale=stats.sem(st_.counts))
    assert (lo, hi) == pytest.approx(ref)
    assert st_.breakpoints_per_neuron == pytest.approx(np.mean((st_.counts - 1) / 16))
    assert st_.breakpoints_per_unit_length == pytest.approx(np.mean((st_.counts - 1) / 2.0))
    lo, hi = st_.breakpoints_per_neuron_ci
    assert lo <= st_.breakpoints_per_neuron <= hi
    assert set(st_.summary()) >= {"mean_regions", "breakpoints_per_neuron_ci"}
    # Reproducible
    again = line_statistics(net, Box([0, 0], [1, 1]), 40, line_length=2.0, random_state=3)
    assert np.array_equal(again.counts, st_.counts)


def test_line_statistics_slice_lengths_in_input_space():
    net = random_net(8, n0=4, widths=(6, 6))
    dom = Slice.plane(np.zeros(4), [2.0, 0, 0, 0], [0, 0, 3.0, 0])
    st_ = line_statistics(net, dom, 25, line_length=0.5, random_state=1)
    d = st_.ends - st_.starts
    assert np.allclose(d[:, [1, 3]], 0)
    np.testing.assert_allclose(st_.lengths, np.linalg.norm(d, axis=1))
    assert np.all(st_.lengths <= 0.5 * 3 + 1e-12) and np.all(st_.lengths >= 0.5 * 2 - 1e-12)


def test_line_statistics_default_length_and_single_line():
    net = random_net(9, n0=2, widths=(4,))
    st_ = line_statistics(net, Ball([0, 0], 2.0), 1, random_state=0)
    np.testing.assert_allclose(st_.lengths, 4.0)  # the ball's diameter
    assert all(math.isnan(v) for v in st_.regions_ci)


def test_validation_errors():
    net = random_net(0, n0=2, widths=(3,))
    with pytest.raises(ValueError, match="coincide"):
        segment_breakpoints(net, [0, 0], [0, 0])
    with pytest.raises(ValueError, match="shape"):
        segment_breakpoints(net, [0, 0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        count_regions_on_segment(net, [np.nan, 0], [1, 1])
    with pytest.raises(TypeError, match="ReLUNetwork"):
        segment_breakpoints(None, [0, 0], [1, 1])
    dom = Box([0, 0], [1, 1])
    with pytest.raises(TypeError, match="Domain"):
        line_statistics(net, None, 10)
    with pytest.raises(ValueError, match=">= 1"):
        line_statistics(net, dom, 0)
    with pytest.raises(ValueError, match="length"):
        line_statistics(net, dom, 5, line_length=-1.0)
    with pytest.raises(ValueError, match="dimension"):
        line_statistics(net, Box([0], [1]), 5)
    with pytest.raises(ValueError, match="level"):
        line_statistics(net, dom, 5, level=2)
