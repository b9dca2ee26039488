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
