"""The cone reduction: bias-free networks in a box around the origin, from the box's far facets.

Oracles: the LP engine on the whole box (patterns, graph with neuron labels),
Cover's count of a central arrangement (one bias-free layer: every cone meets
a box holding the origin inside), and the scale invariance of cones.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from polyregions import Box, ReLUNetwork, enumerate_regions, random_network
from polyregions.arrangements import central_count
from polyregions.cones import cone_reduction_applies, far_facets


def net_of(d, widths, seed, slope=0.0, scale=1.0):
    net = random_network(d, widths, bias_std=0.0, random_state=seed, negative_slope=slope)
    if scale == 1.0:
        return net
    return ReLUNetwork.from_weights([scale * np.asarray(W) for W in net.weights], net.biases,
                                    negative_slope=net.negative_slopes)


def graph(rs):
    """Patterns and labelled edges of a result, independent of region order."""
    keys = [p.tobytes() for p in rs.patterns]
    edges = {(frozenset((keys[a], keys[b])), tuple(lab))
             for (a, b), lab in zip(rs.edges, rs.edge_neurons)}
    return set(keys), edges


def check_against_lp(net, box, *, cones=True):
    rs = enumerate_regions(net, box, method="subdivision")
    lp = enumerate_regions(net, box, method="lp")
    if cones:
        assert rs.stats["engine"] == "subdivision" and rs.stats.get("cones") is True, rs.stats
        assert rs.status == "exact"
    # the LP engine counts thin patterns apart: its regions are ours
    assert lp.n_undecided == 0 and lp.n_merged == 0
    assert graph(rs) == graph(lp)
    assert rs.n_regions == lp.n_regions
    return rs, lp


# (d, widths, seed, negative slope): bias-free nets the reduction decides (checked: no facet
# is degenerate), ReLU and leaky, 2-5 inputs, one to three hidden layers
NETS = [(2, [8, 8], 1, 0.0), (2, [5, 5, 5], 7, 0.1), (3, [11, 11], 2, 0.0), (3, [5, 5, 2], 8333, 0.1),
        (3, [8, 8], 3, 0.05), (4, [6, 5], 11, 0.2), (5, [5, 5], 5, 0.2), (5, [9], 6, 0.0)]


@pytest.mark.parametrize("d, widths, seed, slope", NETS)
def test_bias_free_nets_are_exact_and_equal_the_lp_engine(d, widths, seed, slope):
    net = net_of(d, widths, seed, slope)
    rs, lp = check_against_lp(net, Box(-np.ones(d), np.ones(d)))
    assert rs.stats["facets"] == 2 * d
    assert rs.verify().ok


@pytest.mark.parametrize("d, n", [(2, 7), (3, 6), (4, 9), (5, 7)])
def test_one_bias_free_layer_is_a_central_arrangement(d, n):
    # every cone of a central arrangement meets a box holding the origin inside, whatever its
    # shape: Cover's count
    net = net_of(d, [n], seed=d * n)
    for lo, hi in ((-np.ones(d), np.ones(d)), (-0.1 * np.ones(d), np.linspace(0.2, 3.0, d))):
        rs = enumerate_regions(net, Box(lo, hi))
        assert rs.stats.get("cones") is True
        assert (rs.n_regions, rs.status) == (central_count(n, d), "exact")


@pytest.mark.parametrize("where", ["inside", "on a facet", "at a corner", "on an edge"])
def test_origin_anywhere_in_the_closed_box(where):
    d = 3
    lo = {"inside": [-0.5, -1.0, -2.0], "on a facet": [0.0, -1.0, -0.5],
          "at a corner": [0.0, 0.0, 0.0], "on an edge": [0.0, 0.0, -1.0]}[where]
    box = Box(lo, [1.0, 0.5, 2.0])
    net = net_of(d, [10, 10], 21, slope=0.1)
    assert cone_reduction_applies(net, box)
    rs, _ = check_against_lp(net, box)
    # only the facets not through the origin run
    assert rs.stats["facets"] == len(far_facets(box)) == 6 - sum(v == 0.0 for v in lo)
    assert rs.verify().ok


def test_origin_outside_the_box_is_the_ordinary_run():
    net = net_of(3, [10, 10], 21, slope=0.1)
    box = Box([0.25, -1.0, -1.0], [1.0, 1.0, 1.0])
    assert not cone_reduction_applies(net, box)
    rs, _ = check_against_lp(net, box, cones=False)
    assert "cones" not in rs.stats and rs.stats["engine"] == "subdivision"


@pytest.mark.parametrize("weight_scale, half_width", [(1e-6, 1.0), (1e6, 1.0), (1.0, 1e-6),
                                                      (1.0, 1e6), (1e6, 1e-6), (1e-6, 1e6)])
def test_every_scale_gives_the_same_cones(weight_scale, half_width):
    # positive scalings of a bias-free net and of a box around the apex change no cone
    d = 3
    ref = enumerate_regions(net_of(d, [9, 9], 4, slope=0.1), Box(-np.ones(d), np.ones(d)))
    rs = enumerate_regions(net_of(d, [9, 9], 4, slope=0.1, scale=weight_scale),
                           Box(-half_width * np.ones(d), half_width * np.ones(d)))
    assert rs.stats.get("cones") is True and rs.status == "exact"
    assert graph(rs) == graph(ref)
    assert np.all(rs.radii > 0) and rs.verify().ok


def test_dead_relu_layer_hands_over_to_the_lp_engine():
    # The reproducer: its first layer is dead on a cone ({W1 x < 0} is feasible), and along
    # that cone's edges every deeper hyperplane passes (concurrent on the facets): the facet's
    # subdivision refuses it and the whole box goes to the LP search, which counts the
    # lower-dimensional patterns there as thin.
    net = net_of(3, [5, 5, 2], 8333)
    W1 = np.asarray(net.weights[0])
    assert linprog(np.zeros(3), A_ub=W1, b_ub=-np.ones(5), bounds=[(None, None)] * 3).status == 0
    rs = enumerate_regions(net, Box(-np.ones(3), np.ones(3)))
    assert rs.stats["engine"] == "lp" and rs.stats["fallback"].startswith("cone reduction")
    assert (rs.n_regions, rs.status, rs.n_thin) == (97, "exact_at_resolution", 5)


def test_a_cone_facet_along_box_edges_keeps_its_edge():
    # Neuron 0's plane x0 = t x1 holds (t = 1) or nearly holds the box's edges x0 = x1 = +-1:
    # the two cones on either side of it meet the far facets x0 = +-1 and x1 = +-1 only near
    # those edges. Exactly on them the facets are degenerate (the LP engine runs); tilted, the
    # reduction must still see the shared facet.
    for t in (1.0, 1.0 + 1e-9, 1.0 - 1e-6, 1.0 + 1e-3, 1.0 - 1e-11):
        W1 = np.array([[1.0, -t, 0.0], [0.3, 0.2, 1.0], [-0.4, 0.7, 0.5], [0.6, -0.1, -0.8]])
        net = ReLUNetwork.from_weights([W1, np.ones((1, 4))], [np.zeros(4), [0.0]],
                                       negative_slope=0.0)
        box = Box(-np.ones(3), np.ones(3))
        rs = enumerate_regions(net, box)
        lp = enumerate_regions(net, box, method="lp")
        assert graph(rs) == graph(lp) and rs.n_regions == central_count(4, 3)
        if t == 1.0:  # a corner of the facet on the neuron's line
            assert rs.stats["engine"] == "lp" and "coincidence" in rs.stats["fallback"]
        else:
            assert rs.stats["cones"] and rs.status == "exact"


def test_budgets_make_a_lower_bound():
    net = net_of(3, [12, 12], 3, slope=0.05)
    box = Box(-np.ones(3), np.ones(3))
    full = enumerate_regions(net, box)
    some = enumerate_regions(net, box, max_regions=10)
    assert (some.n_regions, some.status, some.stop_reason) == (10, "lower_bound", "max_regions")
    assert some.stats["cones"] and full.n_regions > 10
    assert {p.tobytes() for p in some.patterns} <= {p.tobytes() for p in full.patterns}
    late = enumerate_regions(net, box, method="subdivision", time_limit=1e-9)
    assert late.status == "lower_bound" and late.stop_reason == "time_limit"
    assert {p.tobytes() for p in late.patterns} <= {p.tobytes() for p in full.patterns}


def test_an_affine_net_is_the_ordinary_run():
    net = ReLUNetwork.from_weights([[[1.0, 2.0]]], [[0.0]])
    assert not cone_reduction_applies(net, Box([-1, -1], [1, 1]))
    assert enumerate_regions(net, Box([-1, -1], [1, 1])).n_regions == 1


def test_one_input_is_left_to_the_ordinary_run():
    net = net_of(1, [4, 4], 2)
    assert not cone_reduction_applies(net, Box([-1.0], [1.0]))
    rs = enumerate_regions(net, Box([-1.0], [1.0]))
    assert "cones" not in rs.stats
    assert graph(rs) == graph(enumerate_regions(net, Box([-1.0], [1.0]), method="lp"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(2, 4), widths=st.lists(st.integers(2, 7), min_size=1, max_size=3),
       seed=st.integers(0, 10**6), slope=st.sampled_from([0.0, 0.0, 0.1, 0.5]),
       corner=st.lists(st.sampled_from([-1.0, -0.3, 0.0]), min_size=4, max_size=4))
def test_property_the_reduction_agrees_with_the_lp_engine(d, widths, seed, slope, corner):
    net = net_of(d, widths, seed, slope)
    box = Box(corner[:d], np.linspace(0.5, 1.5, d))
    rs = enumerate_regions(net, box)
    lp = enumerate_regions(net, box, method="lp")
    assert graph(rs) == graph(lp)
    if rs.stats["engine"] == "subdivision":  # the reduction decided it: exact, certified
        assert rs.stats["cones"] and rs.status == "exact" and lp.n_thin == 0
        assert np.all(box.contains(rs.interior_points)) and np.all(rs.radii > 0)


def test_exact_volume_of_a_cone_region_with_a_crowded_apex():
    # A region of a 5-D cone net whose hull of vertices, from the point below (the one the
    # cone reduction certified it with), makes qhull stop with a "wide merge" error. The
    # volume then comes from joggled input; the oracle is the same region's hull from its
    # Chebyshev centre, where qhull needs no option (allowing wide facets instead, Qt Q12,
    # was 4e-4 off here and failed verify()'s volume check).
    from scipy.spatial import ConvexHull, QhullError

    from polyregions.lp import chebyshev_ball
    from polyregions.polytope import region_vertices, region_volume
    from polyregions.results import region_halfspaces

    net = net_of(5, [5, 5], 5, slope=0.2)
    rs = enumerate_regions(net, Box(-np.ones(5), np.ones(5)))
    (i,) = [i for i, p in enumerate(rs.patterns) if np.packbits(p).tobytes().hex() == "16c0"]
    A, b, _ = region_halfspaces(net, rs.domain, rs.patterns[i])
    x = np.array([-0.3811261193903613, 0.2619245036419293, 0.4146396225407896, 0.5,
                  -0.47125889902684037])
    assert np.all(b - A @ x > 0.01)  # inside the region
    with pytest.raises(QhullError):  # the case this test is about
        ConvexHull(region_vertices(A, b, x))
    centre = chebyshev_ball(A, b, radius_cap=np.inf)[0]
    oracle = ConvexHull(region_vertices(A, b, centre)).volume
    got = region_volume(A, b, x)
    assert got.method == "exact" and got.value == pytest.approx(oracle, rel=1e-8)
    assert rs.verify().ok
