"""Ball domains in any dimension (issue 8, item 1): exact decisions, checked against
closed forms, Zaslavsky's count for one layer, uniform and shell sampling, and exact
1-D walks along chords near the sphere."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from polyregions import Ball, IncompleteEnumerationError, ReLUNetwork, enumerate_regions
from polyregions import ball as ballmod
from polyregions.ball import distance_lower_bound, facet_in_ball, independent_rows, region_in_ball
from polyregions.lines import segment_breakpoints
from polyregions.network import random_network


# ------------------------------------------------------------------ oracles
def flats_count(W, b, c, r):
    """Regions of a generic arrangement inside the open ball: one per flat meeting it.

    For hyperplanes in general position, Zaslavsky's theorem restricted to an open
    convex set counts every intersection of k <= n hyperplanes (k = 0: the space) that
    meets the set once; the distance from c to a flat is a least-squares problem.
    """
    N, n = W.shape
    count = 0
    for k in range(min(N, n) + 1):
        for S in itertools.combinations(range(N), k):
            if not S:
                count += 1
                continue
            WS = W[list(S)]
            y = np.linalg.solve(WS @ WS.T, WS @ c + b[list(S)])
            count += np.linalg.norm(WS.T @ y) < r
    return count


def sampled_patterns(net, dom, n, rng):
    """Patterns of uniform points in the ball and of points on shells just inside its sphere."""
    d = dom.dim
    U = rng.normal(size=(2 * n, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    depth = np.concatenate([1e-2 * rng.random(n), 1e-6 * rng.random(n)])
    X = np.vstack([dom.sample(n, random_state=rng), dom.center + U * (dom.radius * (1 - depth))[:, None]])
    return {p.tobytes() for p in net.activation_patterns(X)}


def chord_patterns(net, dom, n_chords, rng):
    """Exact patterns (and crossings) along random chords, most of them close to the sphere."""
    c, r, d = dom.center, dom.radius, dom.dim
    pats, pairs = set(), set()
    for i in range(n_chords):
        u = rng.normal(size=d)
        u /= np.linalg.norm(u)
        v = rng.normal(size=d)
        v -= (v @ u) * u
        v /= np.linalg.norm(v)
        h = r * (1 - (10.0 ** -rng.uniform(0, 4) if i % 4 else rng.random()))
        half = np.sqrt(r * r - h * h)
        a, b = c + h * u - half * v, c + h * u + half * v
        t, P = segment_breakpoints(net, a, b, return_patterns=True)
        ends = np.concatenate([[0.0], t, [1.0]])
        keep = np.diff(ends) * 2 * half > 1e-9 * r  # pieces long enough to be full-dimensional
        for k in range(len(P)):
            if keep[k]:
                pats.add(P[k].tobytes())
            if k and keep[k] and keep[k - 1] and np.sum(P[k] != P[k - 1]) == 1:
                pairs.add(frozenset((P[k - 1].tobytes(), P[k].tobytes())))
    return pats, pairs


def check_against_sampling(net, dom, rs, rng, n=20_000, n_chords=60):
    found = {p.tobytes() for p in rs.patterns}
    assert len(found) == rs.n_regions
    assert sampled_patterns(net, dom, n, rng) <= found
    pats, pairs = chord_patterns(net, dom, n_chords, rng)
    assert pats <= found
    # Consecutive pieces of a chord cross a facet inside the ball: an edge of the result.
    edges = {frozenset((rs.patterns[i].tobytes(), rs.patterns[j].tobytes())) for i, j in rs.edges}
    assert pairs <= edges
    # Certificates: interior points in the ball with the certified clearance.
    assert np.all(np.linalg.norm(rs.interior_points - dom.center, axis=1) + rs.radii <= dom.radius * (1 + 1e-12))
    assert np.array_equal(net.activation_patterns(rs.interior_points), rs.patterns)


# ------------------------------------------------------------------ issue 8 regressions
@pytest.mark.parametrize("d, expected", [(16, 36), (20, 64), (24, 52), (32, 79)])
def test_issue8_one_layer_balls_are_complete(d, expected):
    # The engine listed 19, 23 (of 64), 4 and 1 regions here, "exact".
    net = random_network(d, [8], bias_std=0.5, random_state=0)
    dom = Ball(np.zeros(d), 0.5)
    rs = enumerate_regions(net, dom)
    assert rs.status == "exact"
    assert flats_count(net.weights[0], net.biases[0], dom.center, dom.radius) == expected
    assert rs.count() == expected
    check_against_sampling(net, dom, rs, np.random.default_rng(d))


@pytest.mark.parametrize("d", [8, 48, 64])
def test_one_layer_ball_count_equals_zaslavsky(d):
    # From 48-D the old engine raised "no full-dimensional region found from 50 random seeds".
    net = random_network(d, [8], bias_std=0.5, random_state=1)
    dom = Ball(np.full(d, 0.1), 0.5)
    rs = enumerate_regions(net, dom)
    assert rs.status == "exact"
    assert rs.n_regions == flats_count(net.weights[0], net.biases[0], dom.center, dom.radius)
    check_against_sampling(net, dom, rs, np.random.default_rng(d))


@pytest.mark.parametrize("d", [8, 16, 24, 32, 48, 64])
def test_two_layer_ball_lists_every_sampled_pattern(d):
    net = random_network(d, [6, 5], bias_std=0.5, random_state=d)
    dom = Ball(np.zeros(d), 0.5)
    rs = enumerate_regions(net, dom)
    assert rs.status == "exact"
    assert rs.n_regions > 10
    check_against_sampling(net, dom, rs, np.random.default_rng(d), n=10_000, n_chords=40)


def test_ball_in_first_layer_row_space_matches_full_space():
    # 3 first-layer neurons in 5-D: the engine decides in their 3-D span; with 6 neurons
    # (no reduction) the same net, padded with dead neurons, must give the same regions.
    rng = np.random.default_rng(3)
    W0, b0 = rng.normal(size=(3, 5)), rng.normal(size=3) * 0.3
    W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4) * 0.3
    net = ReLUNetwork.from_weights([W0, W1, np.ones((1, 4))], [b0, b1, np.zeros(1)])
    pad = ReLUNetwork.from_weights(
        [np.vstack([W0, rng.normal(size=(3, 5))]), np.hstack([W1, np.zeros((4, 3))]), np.ones((1, 4))],
        [np.concatenate([b0, [-50.0] * 3]), b1, np.zeros(1)])  # the extra neurons never fire in the ball
    dom = Ball(rng.normal(size=5) * 0.2, 0.8)
    a, b = enumerate_regions(net, dom), enumerate_regions(pad, dom)
    assert a.status == b.status == "exact"
    assert sorted(p.tobytes() for p in a.patterns) == sorted(p[[0, 1, 2, 6, 7, 8, 9]].tobytes() for p in b.patterns)
    assert len(a.edges) == len(b.edges)


# ------------------------------------------------------------------ undecided is never dropped
def _cap_net(h):
    """Two neurons: x_0 > 1 - h (a cap of the unit disc of depth h) and x_1 > 0 (its halves)."""
    return ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]], [[-(1.0 - h), 0.0], [0.0]])


def test_undecided_pattern_makes_a_lower_bound(monkeypatch):
    # Half-caps of depth 5e-9 (largest inscribed radius 2.5e-9) against the radius
    # tolerance 2e-9: for one of them the segment point alone certifies too little, so
    # without tangent cuts its pattern is undecided, and must be reported, not dropped.
    net, dom = _cap_net(5e-9), Ball([0.0, 0.0], 1.0)
    monkeypatch.setattr(ballmod, "MAX_CUTS", 0)
    rs = enumerate_regions(net, dom)
    assert rs.n_regions == 3 and rs.n_undecided == 1
    assert rs.status == "lower_bound" and not rs.complete
    with pytest.raises(IncompleteEnumerationError):
        rs.count()
    monkeypatch.undo()
    rs = enumerate_regions(net, dom)
    assert rs.n_undecided == 0 and rs.count() == 4  # the cuts certify both half-caps


@pytest.mark.parametrize("h, status, n", [(3e-9, "exact_at_resolution", 2), (1e-3, "exact", 4)])
def test_caps_are_decided(h, status, n):
    # Depth 3e-9: largest inscribed radius 1.5e-9, below the tolerance 1e-9 x 2 -> both thin.
    from polyregions import Tolerances

    rs = enumerate_regions(_cap_net(h), Ball([0.0, 0.0], 1.0), tolerances=Tolerances(radius=1e-9))
    assert rs.status == status and rs.n_regions == n and rs.n_thin == 4 - n


# ------------------------------------------------------------------ kernel, against closed forms
def _rotated_box(rng, n):
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    lo = rng.uniform(-1.5, 0.5, n)
    hi = lo + rng.uniform(0.05, 1.5, n)
    return Q, lo, hi, np.vstack([Q, -Q]), np.concatenate([hi, -lo])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), radius=st.floats(0.05, 2.0))
def test_region_and_facet_decisions_match_closed_forms(n, seed, radius):
    # {lo <= Q x <= hi}: the distance from c is that of Q c to the box, a clip.
    rng = np.random.default_rng(seed)
    Q, lo, hi, A, b = _rotated_box(rng, n)
    c = rng.normal(size=n) * 0.5
    qc = Q @ c
    dist = np.linalg.norm(qc - np.clip(qc, lo, hi))
    res = region_in_ball(A, b, c, radius)
    if dist < radius * (1 - 1e-9):
        assert res.meets is True
        assert np.all(A @ res.point <= b) and np.linalg.norm(res.point - c) < radius
        assert 0 < res.radius <= res.radius_bound * (1 + 1e-12)
    elif dist > radius * (1 + 1e-9):
        assert res.meets is False and res.distance <= dist * (1 + 1e-12)
    # The facet {(Q x)_k = hi_k}: the clip with coordinate k pinned.
    k = int(rng.integers(n))
    proj = np.clip(qc, lo, hi)
    proj[k] = hi[k]
    fdist = np.linalg.norm(qc - proj)
    f = facet_in_ball(A, b, k, c, radius)
    if fdist < radius * (1 - 1e-9):
        assert f.meets is True
        assert abs(A[k] @ f.point - b[k]) < 1e-12 and np.linalg.norm(f.point - c) < radius
    elif fdist > radius * (1 + 1e-9):
        assert f.meets is False and f.distance <= fdist * (1 + 1e-12)


def test_distance_bound_is_sound_under_bad_multipliers():
    # Any lam >= 0 gives a valid bound; garbage may only make it weaker, never wrong.
    rng = np.random.default_rng(0)
    Q, lo, hi, A, b = _rotated_box(rng, 6)
    c = Q.T @ (hi + 2.0)  # outside every upper face
    true = np.linalg.norm(Q @ c - np.clip(Q @ c, lo, hi))
    for _ in range(200):
        lam = rng.normal(size=len(b)) * rng.random()
        assert distance_lower_bound(A, b, c, lam) <= true * (1 + 1e-12)


def test_region_in_ball_in_64_dimensions_is_decided():
    # The case the tangent cuts could not settle: a region meeting a 64-D ball in a cap.
    rng = np.random.default_rng(1)
    n = 64
    u = rng.normal(size=n)
    u /= np.linalg.norm(u)
    A, b = np.vstack([-u, rng.normal(size=(5, n))]), np.concatenate([[-0.99], np.full(5, 10.0)])
    res = region_in_ball(A, b, np.zeros(n), 1.0)
    assert res.meets is True and res.radius > 1e-3
    assert region_in_ball(A, b - np.r_[0.02, np.zeros(5)], np.zeros(n), 1.0).meets is False


def test_independent_rows():
    assert independent_rows(np.eye(4)[:3] + 0.1)
    assert not independent_rows(np.vstack([np.eye(3), np.ones(3)]))       # more rows than n
    assert not independent_rows(np.array([[1.0, 0, 0], [1.0, 1e-9, 0]]))  # nearly parallel


def test_undecided_ball_facets_are_reported_not_hidden():
    # A facet neither certified to meet nor to miss the ball is crossed (the count
    # stays exact) but carries no edge: the result must say so in its status detail.
    from polyregions import random_network

    rs = enumerate_regions(random_network(3, [8, 8], random_state=3), Ball([0, 0, 0.1], 0.8))
    k = rs.stats["undecided_facets"]
    assert rs.status == "exact"
    assert (f"{k} facet tests undecided" in rs.status_detail) == (k > 0)
