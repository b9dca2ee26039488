"""Tests of polyregions.sampling: counting, keys, backends and the sampling law."""

import collections
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from polyregions import Ball, Box, ReLUNetwork, Slice, WholeSpace
from polyregions import richness
from polyregions.lines import segment_breakpoints
from polyregions.sampling import (
    PatternSample,
    key_to_pattern,
    pattern_to_key,
    sample_patterns,
)

from _nets import random_net_factory

# p-value threshold of the goodness-of-fit tests: fixed seeds, so each test is
# deterministic; a correct sampler fails one with probability 1e-3 per seed.
ALPHA = 1e-3


random_net = random_net_factory(n0=2, widths=(6, 5), bias_std=0.5)


def naive_counts(net, X):
    return collections.Counter(tuple(p) for p in net.activation_patterns(X).tolist())


# ------------------------------------------------------------------- keys
@given(st.lists(st.booleans(), min_size=0, max_size=70))
def test_key_roundtrip(bits):
    key = pattern_to_key(bits)
    assert isinstance(key, bytes) and len(key) == (len(bits) + 7) // 8
    assert key_to_pattern(key, len(bits)).tolist() == bits


def test_key_validation():
    with pytest.raises(ValueError):
        pattern_to_key([[True, False]])
    with pytest.raises(ValueError, match="bytes"):
        key_to_pattern(b"\x00\x00", 3)


# ------------------------------------------------------ counting with points
@pytest.mark.parametrize("batch_size", [1, 7, 4096])
def test_points_counts_match_naive_counter(batch_size):
    net = random_net(0, n0=3, widths=(8, 8, 8))
    X = np.random.default_rng(1).uniform(-1, 1, (500, 3))
    s = sample_patterns(net, X=X, batch_size=batch_size)
    expected = naive_counts(net, X)
    got = {tuple(p): c for p, c in zip(s.patterns.tolist(), s.counts.tolist())}
    assert got == dict(expected)
    assert s.n_samples == 500 and s.n_observed == len(expected)
    assert s.source == "points" and s.domain is None
    assert np.all(np.diff(s.counts) <= 0)  # ordered by decreasing count
    assert s.fingerprint == net.fingerprint()


def test_count_of_and_abundances():
    net = random_net(2)
    X = np.random.default_rng(3).normal(size=(300, 2))
    s = sample_patterns(net, X=X)
    P = net.activation_patterns(X)
    for p in P[:20]:
        assert s.count_of(p) == int(np.all(P == p, axis=1).sum())
        assert s.count_of(pattern_to_key(p)) == s.count_of(p)
        assert s.abundances()[pattern_to_key(p)] == s.count_of(p)
    assert s.count_of(~P[0]) == (int(np.all(P == ~P[0], axis=1).sum()))
    assert sum(s.abundances().values()) == 300
    with pytest.raises(ValueError, match="entries"):
        s.count_of(P[0][:-1])


def test_result_is_immutable():
    s = sample_patterns(random_net(0), X=np.zeros((3, 2)))
    with pytest.raises(ValueError):
        s.counts[0] = 5
    with pytest.raises(AttributeError):
        s.n_neurons = 3


def test_leaky_network_uses_positive_part_as_pattern():
    net = random_net(4, slope=0.1, widths=(5, 5))
    X = np.random.default_rng(5).uniform(-2, 2, (400, 2))
    s = sample_patterns(net, X=X, batch_size=64)
    assert {tuple(p): c for p, c in zip(s.patterns.tolist(), s.counts)} == dict(
        naive_counts(net, X)
    )


def test_network_without_hidden_layers():
    net = ReLUNetwork.from_weights([np.ones((1, 2))], [np.zeros(1)])
    s = sample_patterns(net, Box([0, 0], [1, 1]), 10, random_state=0)
    assert s.n_observed == 1 and s.keys == (b"",) and s.patterns.shape == (1, 0)


# ------------------------------------------------------------------ backends
def test_torch_backend_matches_numpy():
    pytest.importorskip("torch")
    net = random_net(6, n0=4, widths=(10, 10), slope=0.05)
    X = np.random.default_rng(7).normal(size=(777, 4))
    a = sample_patterns(net, X=X, batch_size=100)
    b = sample_patterns(net, X=X, batch_size=100, backend="torch")
    assert a.keys == b.keys and np.array_equal(a.counts, b.counts)


def test_torch_missing_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"polyregions\[torch\]"):
        sample_patterns(random_net(0), X=np.zeros((2, 2)), backend="torch")


# -------------------------------------------------------- uniform sampling law
def test_box_1d_region_frequencies_follow_lengths():
    # One layer, kinks at 0.1, 0.3, 0.35, 0.9: regions of [0, 1] are intervals.
    kinks = np.array([0.1, 0.3, 0.35, 0.9])
    net = ReLUNetwork.from_weights([np.ones((4, 1)), np.ones((1, 4))], [-kinks, [0.0]])
    n = 20000
    s = sample_patterns(net, Box([0.0], [1.0]), n, random_state=2024, batch_size=3000)
    edges = np.r_[0.0, kinks, 1.0]
    # The pattern of the interval (edges[j], edges[j+1]) has its first j neurons on.
    expected = {pattern_to_key(np.arange(4) < j): n * (edges[j + 1] - edges[j]) for j in range(5)}
    assert set(s.keys) == set(expected)
    obs = [s.count_of(k) for k in expected]
    assert chisquare(obs, list(expected.values())).pvalue > ALPHA


def test_ball_quadrants_are_equally_likely():
    net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    s = sample_patterns(net, Ball([0.0, 0.0], 1.0), 12000, random_state=99)
    assert s.n_observed == 4
    assert chisquare(s.counts).pvalue > ALPHA


def test_slice_segment_frequencies_follow_exact_piece_lengths():
    """Cross-check with the exact 1-D traversal: piece lengths are the probabilities."""
    net = random_net(11, n0=3, widths=(8, 8))
    a, b = np.array([-1.0, 0.5, 0.2]), np.array([1.2, -0.7, 0.4])
    t, pats = segment_breakpoints(net, a, b, return_patterns=True)
    probs = np.diff(np.r_[0.0, t, 1.0])
    n = 30000
    s = sample_patterns(net, Slice.segment(a, b), n, random_state=5)
    obs = np.array([s.count_of(p) for p in pats])
    assert obs.sum() == n  # every sampled pattern is one of the exact pieces
    big = probs * n >= 5  # chi-square needs non-tiny expected counts
    obs_grouped = np.r_[obs[big], obs[~big].sum()]
    exp_grouped = np.r_[probs[big], probs[~big].sum()] * n
    keep = exp_grouped > 0
    assert chisquare(obs_grouped[keep], exp_grouped[keep]).pvalue > ALPHA


def test_uniform_sampling_is_reproducible():
    net = random_net(8)
    dom = Box([-1, -1], [1, 1])
    a = sample_patterns(net, dom, 2000, random_state=42, batch_size=300)
    b = sample_patterns(net, dom, 2000, random_state=np.random.default_rng(42), batch_size=300)
    assert a.keys == b.keys and np.array_equal(a.counts, b.counts)
    assert a.source == "uniform" and a.domain is dom


def test_box_sample_is_batch_size_invariant():
    # Box.sample consumes the generator's uniform stream in order, so the
    # drawn points, hence the counts, do not depend on the batch size.
    net = random_net(9)
    dom = Box([-1, -1], [1, 1])
    a = sample_patterns(net, dom, 1000, random_state=1, batch_size=1000)
    b = sample_patterns(net, dom, 1000, random_state=1, batch_size=13)
    assert a.keys == b.keys and np.array_equal(a.counts, b.counts)


def test_wholespace_is_accepted():
    s = sample_patterns(random_net(0), WholeSpace(2), 100, random_state=0)
    assert s.n_samples == 100


# ------------------------------------------------------------- estimators
def test_estimator_methods_delegate_to_richness():
    net = random_net(10, n0=2, widths=(12, 12), bias_std=0.3)
    s = sample_patterns(net, Box([-1, -1], [1, 1]), 400, random_state=0)
    c = s.counts
    assert s.chao1() == richness.chao1(c)
    assert (s.chao1(bias_corrected=True, small_sample=True)
            == richness.chao1(c, bias_corrected=True, small_sample=True))
    assert s.chao1_variance(small_sample=True) == richness.chao1_variance(c, small_sample=True)
    assert s.chao1_ci(0.9, bias_corrected=True) == richness.chao1_ci(c, 0.9, bias_corrected=True)
    assert s.ace(5) == richness.ace(c, 5)
    assert s.good_turing_coverage() == richness.good_turing_coverage(c)
    assert s.chao_jost_coverage() == richness.chao_jost_coverage(c)
    assert np.array_equal(s.frequency_counts(), richness.frequency_counts(c))
    summ = s.summary()
    assert summ["n_samples"] == 400 and summ["n_observed"] == s.n_observed
    assert summ["chao1_bc"] == richness.chao1(c, bias_corrected=True, small_sample=True)
    assert summ["chao1_bc_ci"] == richness.chao1_ci(c, bias_corrected=True, small_sample=True)
    assert s.n_observed <= summ["chao1"]
    assert "PatternSample(" in repr(s)


def test_pattern_sample_validates_its_fields():
    with pytest.raises(ValueError):
        PatternSample(keys=(b"\x00",), counts=np.array([1, 2]), n_neurons=1)
    with pytest.raises(ValueError):
        PatternSample(keys=(b"\x00", b"\x00"), counts=np.array([1, 2]), n_neurons=1)
    with pytest.raises(ValueError):
        PatternSample(keys=(b"\x00",), counts=np.array([0]), n_neurons=1)
    with pytest.raises(ValueError, match="bytes"):
        PatternSample(keys=(b"\x00",), counts=np.array([1]), n_neurons=9)


# ------------------------------------------------------------- validation
def test_validation_errors():
    net = random_net(0)
    dom = Box([0, 0], [1, 1])
    with pytest.raises(ValueError, match="domain"):
        sample_patterns(net, None, 10)
    with pytest.raises(ValueError, match=">= 1"):
        sample_patterns(net, dom, 0)
    with pytest.raises(TypeError):
        sample_patterns(net, dom, 10.5)
    with pytest.raises(ValueError, match="n_samples is required"):
        sample_patterns(net, dom)
    with pytest.raises(ValueError, match="dimension"):
        sample_patterns(net, Box([0, 0, 0], [1, 1, 1]), 10)
    with pytest.raises(ValueError, match="shape"):
        sample_patterns(net, X=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="empty"):
        sample_patterns(net, X=np.zeros((0, 2)))
    with pytest.raises(ValueError, match="not both"):
        sample_patterns(net, dom, X=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="n_samples"):
        sample_patterns(net, n_samples=4, X=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="backend"):
        sample_patterns(net, dom, 10, backend="jax")
    with pytest.raises(ValueError, match=">= 1"):
        sample_patterns(net, dom, 10, batch_size=0)
    with pytest.raises(TypeError, match="ReLUNetwork"):
        sample_patterns("net", dom, 10)
    with pytest.raises(TypeError, match="Domain"):
        sample_patterns(net, [(0, 1), (0, 1)], 10)
    with pytest.raises(ValueError, match="NaN"):
        sample_patterns(net, X=np.array([[np.nan, 0.0]]))


def test_wholespace_sample_is_labelled_normal_not_uniform():
    s = sample_patterns(random_net(0), WholeSpace(2), 100, random_state=0)
    assert s.source == "normal" and isinstance(s.domain, WholeSpace)
