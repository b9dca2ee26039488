"""Cheap re-certification: radii against the H-representation, forward-pass patterns, coverage."""

import numpy as np
import pytest

from polyregions import (Ball, Box, Polytope, ReLUNetwork, RegionSet, Slice, WholeSpace,
                         enumerate_regions, random_network)
from polyregions.lp import inscribed_radius
from polyregions.recertify import certified_radii, recertify


def _with(rs, **changes):
    f = dict(patterns=rs.patterns, interior_points=rs.interior_points, radii=rs.radii,
             edges=rs.edges, edge_neurons=rs.edge_neurons)
    f.update(changes)
    return RegionSet(rs.network, rs.domain, f["patterns"], f["interior_points"], f["radii"],
                     f["edges"], f["edge_neurons"], True, None, 0, rs.tolerances, rs.stats)


DOMAINS = {
    "box": lambda: (random_network(2, [7, 5], bias_std=0.3, random_state=0), Box([-1, -1], [1, 1])),
    "ball3": lambda: (random_network(3, [6, 4], bias_std=0.3, random_state=1),
                      Ball([0.1, 0.0, -0.2], 0.8)),
    "polytope": lambda: (random_network(2, [6], bias_std=0.3, random_state=2),
                         Polytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])),
    "slice": lambda: (random_network(20, [8, 8], random_state=3),
                      Slice.through_points(*np.random.default_rng(3).random((3, 20)))),
    "whole": lambda: (random_network(2, [5], random_state=4), WholeSpace(2)),
    "leaky": lambda: (ReLUNetwork.from_weights(
        [[[1.0, 2.0], [-1.0, 0.5]], [[1.0, -1.0]]], [[0.1, 0.2], [0.0]], negative_slope=0.1),
        Box([-1, -1], [1, 1])),
}


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_radii_agree_with_the_engine_certificate(name):
    net, dom = DOMAINS[name]()
    rs = enumerate_regions(net, dom)
    assert recertify(rs) == ()
    radii, allowance = certified_radii(rs)
    # Oracle: the engine's own certificate, inscribed_radius over Region.halfspaces (+ ball).
    for i in range(rs.n_regions):
        A, b = rs.halfspaces(i)
        ref = inscribed_radius(A, b, rs.interior_points[i], rs.domain.ball)
        assert radii[i] == pytest.approx(ref, rel=1e-9, abs=1e-12)
    assert np.all(rs.radii <= radii + allowance + 1e-9 * radii)


def test_every_forgery_is_caught():
    net, dom = DOMAINS["box"]()
    rs = enumerate_regions(net, dom)
    i = int(np.argmax(rs.radii))
    r = rs.radii.copy()
    r[i] *= 1.0001
    assert "radii" in recertify(_with(rs, radii=r))[0]
    # a point moved off its Chebyshev centre keeps its pattern but not its radius
    U = rs.interior_points.copy()
    U[i] += 0.5 * rs.radii[i]
    assert "radii" in recertify(_with(rs, interior_points=U))[0]
    P = rs.patterns.copy()
    P[i, 0] = ~P[i, 0]
    assert any("forward pass" in p for p in recertify(_with(rs, patterns=P)))
    en = list(rs.edge_neurons)
    en[0] = tuple(k for k in range(net.n_neurons) if k not in en[0])[:1]
    assert "edges" in recertify(_with(rs, edge_neurons=en))[0]
    # cut the graph: drop every edge of region i
    keep = ~np.any(rs.edges == i, axis=1)
    cut = _with(rs, edges=rs.edges[keep], edge_neurons=[e for e, k in zip(rs.edge_neurons, keep)
                                                        if k])
    assert "falls apart" in recertify(cut, n_samples=0)[0]


def test_cost_is_about_a_forward_pass():
    # Not a timing assert: the work is batched, one call per layer and chunk, no per-region LP.
    net = random_network(2, [16, 16], random_state=5)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    calls = {"n": 0}
    import polyregions.results as results

    original = results.region_halfspaces

    def counting(*a, **k):
        calls["n"] += 1
        return original(*a, **k)

    results.region_halfspaces = counting
    try:
        assert recertify(rs) == ()
    finally:
        results.region_halfspaces = original
    assert calls["n"] == 0
