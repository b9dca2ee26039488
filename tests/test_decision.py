"""Decision-boundary crossings against dense sampling and hand-built nets."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from polyregions import Ball, Box, ReLUNetwork, Slice, enumerate_regions, random_network
from polyregions.decision import decision_boundary
from polyregions.plotting import plot_regions


def _sampled_crossings(rs, n=20_000, seed=0):
    """Oracle: regions in which sampled points get different predicted classes."""
    dom, net = rs.domain, rs.network
    U = dom.sample(n, random_state=seed)
    X = dom.to_input(U)
    P = net.activation_patterns(X)
    Y = net.forward(X)
    cls = (Y[:, 0] > 0).astype(int) if net.output_dim == 1 else np.argmax(Y, axis=1)
    index = {p.tobytes(): i for i, p in enumerate(rs.patterns)}
    seen = {}
    for p, c in zip(P, cls):
        seen.setdefault(index[p.tobytes()], set()).add(int(c))
    return {i for i, cs in seen.items() if len(cs) > 1}


@pytest.mark.parametrize("out, dom", [(1, Box([-1, -1], [1, 1])), (3, Box([-1, -1], [1, 1])),
                                      (4, Ball([0.2, 0.0], 0.9))])
def test_crossed_regions_contain_sampled_crossings(out, dom):
    net = random_network(2, [8, 8], output_dim=out, bias_std=0.3, random_state=out)
    rs = enumerate_regions(net, dom)
    db = decision_boundary(rs)
    sampled = _sampled_crossings(rs)
    assert sampled <= set(db.regions.tolist())
    # Every crossed region carries boundary pieces (checked by forward passes below),
    # which is how the crossings sampling missed are confirmed.
    assert set(db.segment_regions.tolist()) == set(db.regions.tolist())
    # Segments lie on the boundary: the two classes' scores tie there and beat the rest.
    for (p, q), i, (c, d) in zip(db.segments, db.segment_regions, db.segment_classes):
        for t in (0.25, 0.5, 0.75):
            x = dom.to_input(p + t * (q - p))
            y = net.forward(x)[0]
            s = np.concatenate([[0.0], y]) if out == 1 else y
            assert abs(s[c] - s[d]) < 1e-8 and s[c] >= s.max() - 1e-8
            assert (net.activation_patterns(x)[0] == rs.patterns[i]).sum() >= net.n_neurons - 1


def test_binary_hand_net_boundary_is_the_line():
    # f = x1 - 0.25 inside the box where neuron 1 is active: boundary x1 = 0.25.
    net = ReLUNetwork.from_weights([np.eye(2), [[1.0, 0.0]]], [np.zeros(2), [-0.25]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    db = decision_boundary(rs)
    assert db.n_crossed == 2 and db.length == pytest.approx(2.0)
    np.testing.assert_allclose(db.segments[..., 0], 0.25)


def test_slice_and_plot_overlay():
    net = random_network(5, [10], output_dim=3, bias_std=0.2, random_state=3)
    rs = enumerate_regions(net, Slice.around(np.zeros(5), 1.0, random_state=0))
    db = decision_boundary(rs)
    ax = plot_regions(rs, decision_boundary=True)
    coll = [c for c in ax.collections if c.get_gid() == "polyregions.decision"]
    assert len(coll) == 1 and len(coll[0].get_segments()) == len(db.segments)
    with pytest.raises(TypeError, match="RegionSet"):
        decision_boundary("not a run")


def _winners_by_pattern(rs):
    db = decision_boundary(rs, pieces=False)
    return {p.tobytes(): w for p, w in zip(rs.patterns, db.winners)}


def _three_class_net():
    base = random_network(2, [8, 8], random_state=5)
    rng = np.random.default_rng(0)
    W = [np.asarray(w, float) for w in base.weights[:-1]] + [rng.normal(size=(3, 8))]
    b = [np.asarray(x, float) for x in base.biases[:-1]] + [0.1 * rng.normal(size=3)]
    return W, b


@pytest.mark.parametrize("ball, kind, factor", [(False, "input", 5e-7), (True, "input", 5e-7),
                                               (False, "input", 5e7), (True, "weights", 1e-8),
                                               (False, "weights", 1e8)])
def test_decision_is_unchanged_at_extreme_scales(ball, kind, factor):
    # The same partition and the same winners (an oracle: the unscaled run) when the input and
    # domain are scaled (domains 1e-6 and 1e8 wide) or every pre-activation is scaled (first
    # layer and all biases, so the scores scale too). The old rule (LPs in raw coordinates,
    # thresholds x the domain's width) raised an LPError at width 1e-6.
    W, b = _three_class_net()
    make = (lambda s: Ball([0.1 * s, 0.0], s)) if ball else (lambda s: Box([-s, -s], [s, s]))
    ref = enumerate_regions(ReLUNetwork.from_weights(W, b), make(1.0), method="lp")
    if kind == "input":
        net, dom = ReLUNetwork.from_weights([W[0] / factor] + W[1:], b), make(factor)
    else:
        net, dom = ReLUNetwork.from_weights([W[0] * factor] + W[1:], [x * factor for x in b]), make(1.0)
    rs = enumerate_regions(net, dom, method="lp")
    assert rs.n_regions == ref.n_regions and rs.status == "exact"
    want = _winners_by_pattern(ref)
    assert sum(len(w) > 1 for w in want.values()) >= 20  # not vacuous
    assert _winners_by_pattern(rs) == want


def test_decision_in_a_box_1e8_wide_matches_the_whole_space():
    # A box of half-width 1e8 around a unit-sized arrangement: the same regions as the whole
    # space, and each region's winners decided against its own scale, not the box's.
    W, b = _three_class_net()
    net = ReLUNetwork.from_weights(W, b)
    whole = _winners_by_pattern(enumerate_regions(net, None, method="lp"))
    wide = _winners_by_pattern(enumerate_regions(net, Box([-1e8, -1e8], [1e8, 1e8]), method="lp"))
    assert wide == whole


def test_undecided_cell_makes_the_result_a_lower_bound(monkeypatch):
    import polyregions.decision as dec

    net = random_network(2, [8, 8], output_dim=3, bias_std=0.3, random_state=3)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    exact = decision_boundary(rs, pieces=False)
    assert exact.status == "exact" and exact.n_undecided == 0 and exact.n_thin == 0
    assert exact.status_detail == "exact" and "status='exact'" in repr(exact)
    # The oracle: dense sampling finds crossings in a region whose cells are then decided.
    sampled = _sampled_crossings(rs)
    assert sampled and sampled <= set(exact.regions.tolist())
    # The LP of one cell fails: that cell is undecided, never silently "not winning".
    real, calls = dec.chebyshev_lp, []

    def flaky(*args, **kwargs):
        calls.append(1)
        return ("error", None, None) if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(dec, "chebyshev_lp", flaky)
    db = decision_boundary(rs, pieces=False)
    assert db.n_undecided == 1 and db.status == "lower_bound"
    assert "1 class cells undecided" in db.status_detail and "lower_bound" in repr(db)
    assert db.n_crossed >= exact.n_crossed - 1
    # A proved-empty cell (infeasible) stays decided: the result stays exact.
    monkeypatch.setattr(dec, "chebyshev_lp", lambda *a, **k: ("infeasible", None, None))
    db = decision_boundary(rs, pieces=False)
    assert db.status == "exact" and db.n_crossed == 0


def test_undecided_ball_cell_and_incomplete_run(monkeypatch):
    import polyregions.decision as dec
    from polyregions.ball import BallRegion

    net = random_network(2, [8, 8], output_dim=4, bias_std=0.3, random_state=4)
    rs = enumerate_regions(net, Ball([0.2, 0.0], 0.9))
    assert decision_boundary(rs, pieces=False).status == "exact"
    # The certificate neither proves the cell meets the ball nor that it misses it.
    undecided = BallRegion(None, None, -np.inf, 1.0, -np.inf, None, 0.0, 0, 0)
    monkeypatch.setattr(dec, "region_in_ball", lambda *a, **k: undecided)
    db = decision_boundary(rs, pieces=False)
    assert db.n_crossed == 0 and db.n_undecided > 0 and db.status == "lower_bound"
    monkeypatch.undo()
    # An incomplete run can miss crossed regions: a lower bound too.
    part = enumerate_regions(net, Ball([0.2, 0.0], 0.9), max_regions=3)
    with pytest.warns(RuntimeWarning, match="incomplete"):
        db = decision_boundary(part, pieces=False)
    assert db.status == "lower_bound" and "lower_bound" in db.status_detail


def test_unconfirmed_radius_is_undecided_and_a_thin_cell_is_at_resolution(monkeypatch):
    import polyregions.decision as dec

    net = random_network(2, [6], output_dim=3, bias_std=0.3, random_state=1)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    exact = decision_boundary(rs, pieces=False)
    n_cells = sum(len(w) - 1 for w in exact.winners)  # cells won besides the interior point's
    assert exact.status == "exact" and n_cells > 0
    # The float64 check cannot confirm the LP's radius: undecided, as the engine treats it.
    monkeypatch.setattr(dec, "inscribed_radius", lambda *a, **k: 0.0)
    db = decision_boundary(rs, pieces=False)
    assert db.n_crossed == 0 and db.n_undecided >= n_cells and db.status == "lower_bound"
    # The LP itself finds (almost) no room: a thin cell, exact only at resolution.
    real = dec.chebyshev_lp

    def flat(*a, **k):
        st, y, t = real(*a, **k)
        return st, y, (0.0 if st == "optimal" else t)

    monkeypatch.setattr(dec, "chebyshev_lp", flat)
    db = decision_boundary(rs, pieces=False)
    assert db.n_undecided == 0 and db.n_thin >= n_cells
    assert db.status == "exact_at_resolution" and "thinner" in db.status_detail
