"""Tests of polyregions.distance against the docs/math.md §1 polytope formula and geometry."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from polyregions import Box, ReLUNetwork, Slice
from polyregions.distance import (
    BoundaryDistanceStatistics,
    boundary_distance_statistics,
    distance_to_boundary,
)

from _nets import random_net_factory


random_net = random_net_factory(n0=3, widths=(6, 5, 4), bias_std=0.4)


def polytope_distance(net, x):
    """docs/math.md §1 oracle: P = {A y <= c} from the pattern's affine maps, min slack/||a_i||.

    Rows with a zero normal are dropped (they cannot bound the region).
    """
    p = net.activation_patterns(x[None])[0]
    G, g = net.affine_preactivations(p)
    sigma = np.where(p, 1.0, -1.0)
    A, c = -sigma[:, None] * G, sigma * g  # sigma (G y + g) >= 0  <=>  A y <= c
    norms = np.linalg.norm(A, axis=1)
    keep = norms > 1e-12 * max(1.0, norms.max())
    return np.min((c[keep] - A[keep] @ x) / norms[keep]) if keep.any() else np.inf


# -------------------------------------------------------- hand-built cases
def test_hand_built_values():
    net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    np.testing.assert_allclose(distance_to_boundary(net, [[0.3, -0.5], [2, 1], [0, 4]]),
                               [0.3, 1.0, 0.0])
    net = ReLUNetwork.from_weights([[[3.0, 4.0]], [[1.0]]], [[-5.0], [0.0]])
    d, i = distance_to_boundary(net, [[0.0, 0.0], [3.0, 4.0]], return_argmin=True)
    np.testing.assert_allclose(d, [1.0, 4.0])
    assert i.tolist() == [0, 0]


def test_zero_gradient_neurons_are_ignored():
    # Layer 2 reads only h1; where x1 < 0 that neuron is constantly 0 with a zero
    # gradient, so it must not produce 0/0 nor a zero distance.
    W1, b1 = np.eye(2), np.zeros(2)
    W2, b2 = np.array([[1.0, 0.0]]), np.zeros(1)
    net = ReLUNetwork.from_weights([W1, W2, np.ones((1, 1))], [b1, b2, [0.0]])
    d, i = distance_to_boundary(net, [[-1.0, 3.0], [-4.0, 0.5]], return_argmin=True)
    np.testing.assert_allclose(d, [1.0, 0.5])
    assert i.tolist() == [0, 1]
    # A region bounded by no neuron at all: distance inf, argmin -1.
    net = ReLUNetwork.from_weights([np.zeros((2, 2)), np.ones((1, 2))], [[1.0, -1.0], [0.0]])
    d, i = distance_to_boundary(net, [0.2, 0.2], return_argmin=True)
    assert d.tolist() == [math.inf] and i.tolist() == [-1]


def test_no_hidden_layer():
    net = ReLUNetwork.from_weights([np.ones((1, 2))], [np.zeros(1)])
    assert distance_to_boundary(net, np.zeros((3, 2))).tolist() == [math.inf] * 3


# ----------------------------------------------- docs/math.md §1 polytope formula
@pytest.mark.parametrize(
    "n0, widths, slope",
    [(3, (6, 5, 4), 0.0), (2, (8, 8), 0.0), (12, (4, 6, 3), 0.0), (3, (5, 5), 0.1)],
)
def test_equals_polytope_formula(n0, widths, slope):
    net = random_net(n0 * 100 + len(widths), n0=n0, widths=widths, slope=slope)
    X = np.random.default_rng(1).uniform(-1, 1, (60, n0))
    d = distance_to_boundary(net, X)
    expected = np.array([polytope_distance(net, x) for x in X])
    np.testing.assert_allclose(d, expected, rtol=1e-9, atol=1e-13)


def test_batch_size_does_not_change_result():
    net = random_net(2, n0=5, widths=(7, 7, 7))
    X = np.random.default_rng(2).normal(size=(101, 5))
    ref = distance_to_boundary(net, X)
    for bs in (1, 10, 1000):
        # Different batch shapes take different BLAS paths: equal up to rounding.
        np.testing.assert_allclose(distance_to_boundary(net, X, batch_size=bs), ref, rtol=1e-11)


# ------------------------------------------------------ geometric meaning
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_ball_of_that_radius_keeps_pattern_and_nearest_facet_is_reached(seed):
    net = random_net(seed % 1000, n0=3, widths=(6, 6))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 3)
    (d,), (i,) = distance_to_boundary(net, x, return_argmin=True)
    if not 1e-6 < d < np.inf:
        return
    p = net.activation_patterns(x[None])[0]
    # Any direction, slightly less than d: same pattern.
    dirs = rng.normal(size=(200, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    inner = net.activation_patterns(x + 0.999 * d * dirs)
    assert np.all(inner == p)
    # Towards the minimising neuron's hyperplane, slightly more than d: pattern changes.
    G, _ = net.affine_preactivations(p)
    z = net.preactivations(x[None])
    zi = np.concatenate(z, axis=1)[0, i]
    u = -np.sign(zi) * G[i] / np.linalg.norm(G[i])
    assert np.any(net.activation_patterns((x + 1.001 * d * u)[None])[0] != p)


def test_bisection_oracle_along_nearest_normal():
    """Independent of the formula: bisect for the first pattern change along the ray."""
    net = random_net(7, n0=2, widths=(10, 10))
    rng = np.random.default_rng(8)
    for x in rng.uniform(-1, 1, (20, 2)):
        (d,), (i,) = distance_to_boundary(net, x, return_argmin=True)
        p = net.activation_patterns(x[None])[0]
        G, _ = net.affine_preactivations(p)
        zi = np.concatenate(net.preactivations(x[None]), axis=1)[0, i]
        u = -np.sign(zi) * G[i] / np.linalg.norm(G[i])
        lo, hi = 0.0, 10.0 * d + 1.0
        for _ in range(80):
            mid = (lo + hi) / 2
            same = np.array_equal(net.activation_patterns((x + mid * u)[None])[0], p)
            lo, hi = (mid, hi) if same else (lo, mid)
        assert hi == pytest.approx(d, rel=1e-9, abs=1e-12)
        # ... and no random direction leaves the region sooner.
        dirs = rng.normal(size=(100, 2))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        assert np.all(net.activation_patterns(x + 0.9999 * d * dirs) == p)


# ------------------------------------------------------------ statistics
def test_statistics_one_neuron_uniform_box():
    # relu(x) on [-1, 1]: the distance is |x|, uniform on [0, 1].
    net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    st_ = boundary_distance_statistics(net, Box([-1.0], [1.0]), 4000, random_state=11)
    assert isinstance(st_, BoundaryDistanceStatistics) and st_.n_points == 4000
    np.testing.assert_allclose(st_.distances, np.abs(st_.points[:, 0]))
    # Fixed-seed tests at level 1e-3 against the exact law U(0, 1).
    assert stats.kstest(st_.distances, "uniform").pvalue > 1e-3
    lo, hi = BoundaryDistanceStatistics(st_.distances, st_.points, 1, level=0.999).mean_ci
    assert lo < 0.5 < hi
    assert st_.median == pytest.approx(np.median(st_.distances))
    assert st_.quantiles[0.25] == pytest.approx(np.quantile(st_.distances, 0.25))
    assert st_.quantile([0.1, 0.9]).shape == (2,)
    assert st_.mean_scaled == st_.mean and st_.median_scaled == st_.median


def test_statistics_scaling_and_slice():
    net = random_net(3, n0=4, widths=(8, 8))
    dom = Slice.plane(np.zeros(4), [1.0, 0, 0, 0], [0, 1.0, 1.0, 0])
    st_ = boundary_distance_statistics(net, dom, 300, random_state=0)
    assert st_.points.shape == (300, 4)
    np.testing.assert_allclose(st_.distances, distance_to_boundary(net, st_.points))
    np.testing.assert_allclose(st_.scaled_distances, st_.distances * 16)
    lo, hi = st_.mean_scaled_ci
    assert lo < st_.mean_scaled < hi
    assert set(st_.summary()) >= {"mean", "median", "quantiles", "mean_scaled"}
    again = boundary_distance_statistics(net, dom, 300, random_state=0)
    np.testing.assert_array_equal(again.distances, st_.distances)


def test_wide_input_uses_compressed_first_layer_exactly():
    net = random_net(5, n0=300, widths=(16, 16), bias_std=0.05)
    X = np.random.default_rng(0).uniform(0, 1, (10, 300))
    expected = np.array([polytope_distance(net, x) for x in X])
    np.testing.assert_allclose(distance_to_boundary(net, X), expected, rtol=1e-9)


def test_validation_errors():
    net = random_net(0, n0=2, widths=(3,))
    with pytest.raises(ValueError, match="shape"):
        distance_to_boundary(net, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        distance_to_boundary(net, [[np.inf, 0.0]])
    with pytest.raises(ValueError, match=">= 1"):
        distance_to_boundary(net, np.zeros((2, 2)), batch_size=0)
    with pytest.raises(TypeError, match="ReLUNetwork"):
        distance_to_boundary(np.eye(2), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="Domain"):
        boundary_distance_statistics(net, None, 10)
    with pytest.raises(ValueError, match=">= 1"):
        boundary_distance_statistics(net, Box([0, 0], [1, 1]), 0)
    with pytest.raises(ValueError, match="dimension"):
        boundary_distance_statistics(net, Box([0], [1]), 5)


def test_statistics_take_n_samples_like_the_other_estimators():
    net = random_net(1, n0=2, widths=(4,))
    dom = Box([0, 0], [1, 1])
    a = boundary_distance_statistics(net, dom, n_samples=50, random_state=3)
    assert a.n_points == 50
    with pytest.warns(DeprecationWarning, match="n_samples"):
        b = boundary_distance_statistics(net, dom, n_points=50, random_state=3)
    np.testing.assert_array_equal(a.distances, b.distances)
    with pytest.raises(TypeError, match="not both"):
        boundary_distance_statistics(net, dom, 50, n_points=50)
