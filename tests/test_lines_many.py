"""Batched segment counts, lines through data and distances at given points,
against per-segment loops, forward passes and the exact engine."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions import ReLUNetwork, Slice, enumerate_regions, random_network
from polyregions.distance import boundary_distance_statistics, distance_to_boundary
from polyregions.lines import (
    count_regions_on_segment,
    count_regions_on_segments,
    line_statistics,
    segment_statistics,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n0=st.integers(1, 4), depth=st.integers(1, 3),
       slope=st.sampled_from([0.0, 0.1]), bias=st.sampled_from([0.0, 0.3]))
def test_batched_counts_equal_the_loop(seed, n0, depth, slope, bias):
    net = random_network(n0, [6] * depth, bias_std=bias, negative_slope=slope, random_state=seed)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(30, n0))
    B = A + rng.normal(size=(30, n0))
    # Degenerate segments too: through the origin (all zero-bias hyperplanes) and
    # starting exactly on a first-layer hyperplane.
    A[0], B[0] = -B[0], B[0]
    w = net.weights[0][0]
    A[1] = A[1] - (w @ A[1] + net.biases[0][0]) / (w @ w) * w
    loop = [count_regions_on_segment(net, a, b) for a, b in zip(A, B)]
    assert count_regions_on_segments(net, A, B).tolist() == loop


def test_batched_counts_equal_engine_on_segment_slices():
    net = random_network(3, [8, 8], bias_std=0.2, random_state=4)
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(12, 3)), rng.normal(size=(12, 3))
    eng = [enumerate_regions(net, Slice.segment(a, b)).count() for a, b in zip(A, B)]
    assert count_regions_on_segments(net, A, B).tolist() == eng


def test_batched_counts_input_checks():
    net = random_network(2, [4], random_state=0)
    with pytest.raises(ValueError, match="same number"):
        count_regions_on_segments(net, np.zeros((2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="coinciding"):
        count_regions_on_segments(net, np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="shape"):
        count_regions_on_segments(net, np.zeros((1, 3)), np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="max_breakpoints"):
        count_regions_on_segments(net, [[-50.0, -50.0]], [[50.0, 50.0]], max_breakpoints=0)


def test_lines_through_points_are_centred_on_them():
    net = random_network(3, [10, 10], bias_std=0.1, random_state=2)
    X = np.random.default_rng(0).normal(size=(40, 3))
    st_ = line_statistics(net, X=X, line_length=1.5, random_state=0)
    np.testing.assert_allclose((st_.starts + st_.ends) / 2, X, atol=1e-12)
    np.testing.assert_allclose(st_.lengths, 1.5)
    assert st_.counts.tolist() == [count_regions_on_segment(net, a, b)
                                   for a, b in zip(st_.starts, st_.ends)]
    N = net.n_neurons
    assert st_.breakpoints_per_unit_length_per_neuron == pytest.approx(
        np.mean((st_.counts - 1) / (1.5 * N)))
    assert st_.breakpoints_per_neuron == pytest.approx(np.mean((st_.counts - 1) / N))
    # n_lines draws centres among the points
    sub = line_statistics(net, X=X, n_lines=7, line_length=1.0, random_state=1)
    mids = (sub.starts + sub.ends) / 2
    assert all(np.any(np.all(np.isclose(m, X), axis=1)) for m in mids)
    # default length: twice the RMS distance to the mean
    dflt = line_statistics(net, X=X, random_state=0)
    rms = np.sqrt(np.mean(np.sum((X - X.mean(0)) ** 2, axis=1)))
    np.testing.assert_allclose(dflt.lengths, 2 * rms)


def test_lines_between_pairs_join_distinct_points():
    net = random_network(2, [8, 8], bias_std=0.1, random_state=3)
    X = np.random.default_rng(5).normal(size=(6, 2))
    st_ = line_statistics(net, X=X, pairs=True, n_lines=30, random_state=0)
    idx = lambda P: [int(np.flatnonzero(np.all(X == p, axis=1))[0]) for p in P]  # noqa: E731
    i, j = idx(st_.starts), idx(st_.ends)
    assert all(a != b for a, b in zip(i, j))
    seg = segment_statistics(net, st_.starts, st_.ends)
    assert seg.counts.tolist() == st_.counts.tolist()
    with pytest.raises(ValueError, match="length does not apply"):
        line_statistics(net, X=X, pairs=True, line_length=1.0)
    with pytest.raises(TypeError, match="not both"):
        line_statistics(net, Slice.segment([0, 0], [1, 1]), 3, X=X)


def test_regions_per_neuron_is_deprecated_alias():
    net = random_network(2, [5], random_state=0)
    st_ = line_statistics(net, X=np.eye(2), line_length=3.0, random_state=0)
    with pytest.warns(DeprecationWarning, match="breakpoints_per_neuron"):
        v = st_.regions_per_neuron
    assert v == st_.breakpoints_per_neuron
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st_.summary()  # the summary no longer uses the old name


def test_distance_statistics_at_points_match_distance_to_boundary():
    net = random_network(4, [12, 12], bias_std=0.1, random_state=7)
    X = np.random.default_rng(2).normal(size=(50, 4))
    st_ = boundary_distance_statistics(net, X=X)
    np.testing.assert_array_equal(st_.distances, distance_to_boundary(net, X))
    np.testing.assert_array_equal(st_.points, X)
    lo, hi = st_.mean_ci
    assert lo < st_.mean < hi and st_.n_neurons == 24
    # A ball of that radius around each point keeps its pattern (forward pass),
    # a slightly larger one does not (the nearest hyperplane is crossed).
    rng = np.random.default_rng(0)
    for x, d in zip(X[:10], st_.distances[:10]):
        u = rng.normal(size=(200, 4))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        inside = net.activation_patterns(x + 0.999 * d * u)
        assert np.all(inside == net.activation_patterns(x))
    with pytest.raises(TypeError, match="not both"):
        boundary_distance_statistics(net, Slice.segment(np.zeros(4), np.ones(4)), 5, X=X)


def test_distance_statistics_hand_net():
    net = ReLUNetwork.from_weights([[[3.0, 4.0]], [[1.0]]], [[0.0], [0.0]])
    st_ = boundary_distance_statistics(net, X=[[0.6, 0.8], [-0.3, 0.0]])
    np.testing.assert_allclose(st_.distances, [1.0, 0.18])
