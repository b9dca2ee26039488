"""Scale-robust numerics of the exact engine (issue 8): degenerate shapes, order,
weight and domain scale, translation, coincident hyperplanes, undecided cases."""

import numpy as np
import pytest

from polyregions import (
    Box, ReLUNetwork, WholeSpace, count_regions, enumerate_regions, random_network,
)
from polyregions.export import equal_results


# ------------------------------------------------------- degenerate shapes
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_all_zero_hidden_weights_give_one_region(dim):
    # every neuron is constant (here 0, so inactive): one region, the whole space
    net = ReLUNetwork.from_weights([np.zeros((3, dim)), np.ones((1, 3))], [np.zeros(3), [0.0]])
    rs = enumerate_regions(net, WholeSpace(dim))
    assert rs.count() == 1 and not rs.patterns.any()
    assert count_regions(net, Box(-np.ones(dim), np.ones(dim))) == 1


def test_zero_rows_and_columns_mixed():
    # a zero input column and a constant-on neuron in a 2-layer net: the 1-D arrangement
    # of x0 alone (3 lines x0 = 0, x0 = 1, x0 = -1 in layer 1) gives 4 strips
    W0 = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    b0 = np.array([0.0, -1.0, 1.0, 2.0])
    W1 = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    net = ReLUNetwork.from_weights([W0, W1, np.ones((1, 2))], [b0, [0.5, -1.0], [0.0]])
    rs = enumerate_regions(net, WholeSpace(2))
    assert rs.count() == 4
    assert np.all(rs.patterns[:, 3]) and np.all(rs.patterns[:, 4]) and not rs.patterns[:, 5].any()


def test_one_dimensional_single_neuron():
    net = ReLUNetwork.from_weights([[[2.0]], [[1.0]]], [[-1.0], [0.0]])
    assert count_regions(net) == 2
    assert count_regions(net, Box([0.6], [3.0])) == 1


# ------------------------------------------------------------------- order
def test_region_order_is_canonical_whatever_n_jobs():
    net = random_network(2, [6, 6], random_state=3)
    box = Box([-1, -1], [1, 1])
    serial = enumerate_regions(net, box, method="lp")
    keys = [np.packbits(p).tobytes() for p in serial.patterns]
    assert keys == sorted(keys)
    other_seed = enumerate_regions(net, box, random_state=5, method="lp")
    assert np.array_equal(serial.patterns, other_seed.patterns)
    par = enumerate_regions(net, box, n_jobs=2, method="lp")
    assert equal_results(serial, par, compare_stats=False)
    assert np.array_equal(serial[3].pattern, par[3].pattern)


# ------------------------------------------------------------ weight scale
def _rescaled(net, layer, c):
    """Hidden layer ``layer`` times ``c`` > 0, the next layer's weights divided by ``c``."""
    W = [np.array(w) for w in net.weights]
    b = [np.array(v) for v in net.biases]
    W[layer], b[layer], W[layer + 1] = W[layer] * c, b[layer] * c, W[layer + 1] / c
    return ReLUNetwork.from_weights(W, b, negative_slope=net.negative_slopes)


NET_10_10 = random_network(2, [10, 10], random_state=0)


@pytest.mark.parametrize("c", [1e-9, 1e-8, 1e8])
@pytest.mark.parametrize("layer", [0, 1])
def test_positive_layer_rescaling_leaves_the_count(c, layer):
    # before balancing, c = 1e-9 gave 9 or 2 regions "exact" (truth 236)
    rs = enumerate_regions(_rescaled(NET_10_10, layer, c))
    assert rs.status == "exact" and rs.n_regions == 236
    assert len(rs.check_patterns()) == 0


def test_every_array_times_1e300_is_not_a_wrong_exact_count():
    # z2 = 1e600 W2 relu(W1 x + b1) + 1e300 b2: the deep biases vanish at float64
    # resolution, so the count is that of the same net with zero deep biases.
    W = [np.array(w) for w in NET_10_10.weights]
    b = [np.array(v) for v in NET_10_10.biases]
    huge = ReLUNetwork.from_weights([w * 1e300 for w in W], [v * 1e300 for v in b])
    limit = ReLUNetwork.from_weights(W, [b[0], 0 * b[1], b[2]])
    rs = enumerate_regions(huge)
    assert rs.status == "exact" and rs.n_regions == count_regions(limit) == 184


# ------------------------------------------------------------ domain scale
NET_8_8 = random_network(2, [8, 8], random_state=7)  # 190 regions in R^2


def _moved(net, t, s=1.0):
    """``x -> net((x - t) / s)``: the same arrangement translated by ``t`` and scaled by ``s``."""
    W = [np.array(w) for w in net.weights]
    b = [np.array(v) for v in net.biases]
    t = np.asarray(t, dtype=float)
    b[0], W[0] = b[0] - W[0] @ t / s, W[0] / s
    return ReLUNetwork.from_weights(W, b)


@pytest.mark.parametrize("method", ["lp", "auto"])
def test_large_boxes_give_the_whole_space_count(method):
    # every region of the arrangement meets a large enough box; before local
    # tolerances 1e5 gave 172 "exact", 1e6 gave 108
    assert count_regions(NET_8_8) == 190
    for h in [1e5, 1e6, 1e7, 1e8]:
        rs = enumerate_regions(NET_8_8, Box([-h, -h], [h, h]), method=method)
        assert (rs.status, rs.n_regions) == ("exact", 190), h


@pytest.mark.parametrize("shift", [1e3, 1e6])
def test_translated_input_gives_the_same_count(shift):
    t = shift * np.array([0.6, -0.8])
    net = _moved(NET_8_8, t)
    for method in ("lp", "auto"):
        assert count_regions(net, Box(t - 1, t + 1), method=method) == 187
    assert count_regions(NET_8_8, Box([-1, -1], [1, 1])) == 187
    assert count_regions(net) == 190


@pytest.mark.parametrize("s, t0", [(1e-6, 0.0), (1e-6, 0.3), (1e-9, 0.0), (1e-12, 0.0)])
def test_tiny_domains_give_the_same_count(s, t0):
    t = np.array([t0, -t0])
    for method in ("lp", "auto"):
        assert count_regions(_moved(NET_8_8, t, s), Box(t - s, t + s), method=method) == 187


@pytest.mark.parametrize("shift, s", [(1e8, 1.0), (1e10, 1.0), (1e12, 1.0), (1e14, 1.0), (0.3, 1e-12)])
def test_beyond_float64_the_status_says_so(shift, s):
    # Past what float64 resolves, the LP engine's status is never a plain "exact"
    # with a wrong count. (At 0.3 +- 1e-12 the float64 net itself differs from the
    # translated one: b0 - W0 t / s is rounded by about the regions' size.)
    t = np.array([shift, -shift])
    for dom, method in ((Box(t - s, t + s), "lp"), (Box(t - s, t + s), "subdivision"), (None, "lp")):
        rs = enumerate_regions(_moved(NET_8_8, t, s), dom, method=method)
        truth = 187 if dom is not None else 190
        assert rs.n_regions == truth or rs.status != "exact", (shift, s, dom, method)
        assert rs.n_regions <= truth or rs.status != "exact"


# ----------------------------------------------------- coincident hyperplanes
def _slab(d):
    """Lines x = 0.5 and x = 0.5 + d in [-1, 1]^2: 3 regions for any d > 0."""
    return ReLUNetwork.from_weights([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]], [[-0.5, -0.5 - d], [0.0]])


def test_parallel_hyperplanes_1e_11_apart_are_resolved():
    rs = enumerate_regions(_slab(1e-11), Box([-1, -1], [1, 1]))
    assert (rs.status, rs.n_regions) == ("exact", 3)
    assert rs.radii.min() == pytest.approx(5e-12, rel=1e-3)


@pytest.mark.parametrize("d", [1e-13, 1e-14])
def test_closer_hyperplanes_are_merged_and_counted(d):
    rs = enumerate_regions(_slab(d), Box([-1, -1], [1, 1]))
    assert rs.status == "exact_at_resolution" and rs.n_merged >= 1 and rs.n_regions == 2
    assert "crossed together" in rs.status_detail


def test_hyperplanes_identical_in_float64_are_one():
    # the same hyperplane written twice (and scaled): exactly 2 regions, exact
    net = ReLUNetwork.from_weights([[[1.0, 2.0], [3.0, 6.0]], [[1.0, 1.0]]], [[-0.5, -1.5], [0.0]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    assert (rs.status, rs.n_regions, rs.n_merged) == ("exact", 2, 0)


def test_slab_against_the_domain_boundary_is_not_silently_merged():
    # a neuron hyperplane 1e-14 inside the box face x = 1: the sliver is below resolution
    net = ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]], [[-(1 - 1e-14), 0.0], [0.0]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    assert rs.n_regions == 2 and rs.status == "exact_at_resolution"


# ------------------------------------------- nothing dropped without a proof
def test_solver_error_makes_the_pattern_undecided(monkeypatch):
    from polyregions import lp_engine

    real = lp_engine.chebyshev_lp
    calls = {"n": 0}

    def flaky(A, b, radius_cap=1.0):
        calls["n"] += 1
        return ("error", None, None) if calls["n"] == 5 else real(A, b, radius_cap)

    monkeypatch.setattr(lp_engine, "chebyshev_lp", flaky)
    rs = enumerate_regions(random_network(2, [6], random_state=0), Box([-1, -1], [1, 1]), method="lp")
    assert rs.status == "lower_bound" and rs.n_undecided == 1
    assert rs.stop_reason == "undecided"


def test_seed_search_that_never_decides_fails_honestly(monkeypatch):
    from polyregions import lp_engine

    monkeypatch.setattr(lp_engine, "chebyshev_lp", lambda A, b, radius_cap=1.0: ("error", None, None))
    rs = enumerate_regions(random_network(2, [4], random_state=0), Box([-1, -1], [1, 1]), method="lp")
    assert rs.status == "failed" and rs.n_regions == 0
    assert rs.stats["seed_failures"]["undecided"] == 50


# --------------------------------------------------------------- property
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from polyregions import Polytope  # noqa: E402


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    log_c=st.lists(st.floats(-6, 6), min_size=2, max_size=2),
    log_s=st.floats(-3, 3),
    shift=st.floats(-1e4, 1e4),
    angle=st.floats(0, 2 * np.pi),
    stretch=st.floats(0.3, 3.0),
)
def test_property_rescaling_and_affine_input_maps_keep_the_count(seed, log_c, log_s, shift, angle,
                                                                 stretch):
    net = random_network(2, [4, 4], bias_std=0.5, random_state=seed)
    box = Box([-1, -1], [1, 1])
    truth = count_regions(net, box, method="lp")
    # positive rescaling of both hidden layers, the next layer compensating
    for layer, lc in enumerate(log_c):
        net2 = _rescaled(net if layer == 0 else net2, layer, 10.0 ** lc)
    # input map y = T x + c; the net becomes x -> net2(T^-1 (y - c)) and the box its image
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    T = 10.0 ** log_s * R @ np.diag([1.0, stretch])
    c = np.array([shift, -0.5 * shift])
    Ti = np.linalg.inv(T)
    W = [np.array(w) for w in net2.weights]
    b = [np.array(v) for v in net2.biases]
    b[0], W[0] = b[0] - W[0] @ Ti @ c, W[0] @ Ti
    mapped = ReLUNetwork.from_weights(W, b)
    Ab, bb = box.halfspaces
    poly = Polytope(Ab @ Ti, bb + Ab @ Ti @ c)
    for method in ("lp", "auto"):
        rs = enumerate_regions(mapped, poly, method=method)
        assert (rs.status, rs.n_regions) == ("exact", truth), method


def test_network_without_hidden_neurons_has_one_region():
    net = ReLUNetwork.from_weights([np.ones((1, 2))], [[0.0]])
    assert count_regions(net) == 1
    assert count_regions(net, Box([-1e8, -1e8], [1e8, 1e8])) == 1


def test_every_array_times_1e300_is_the_limit_net_in_both_engines():
    # x1e300 on every array is not a rescaling: layer 2 becomes 1e600 W1 h1 + 1e300 b1,
    # so its bias vanishes relatively. The independent reference is the same net with
    # b1 scaled by 1e-300 (representable); both engines must agree with it, and the
    # subdivision must not overflow in its forward passes.
    net = random_network(2, [10, 10], random_state=3)
    big = ReLUNetwork.from_weights([w * 1e300 for w in net.weights], [b * 1e300 for b in net.biases])
    limit = ReLUNetwork.from_weights(net.weights, [net.biases[0], net.biases[1] * 1e-300, net.biases[2]])
    box = Box([-1, -1], [1, 1])
    want = enumerate_regions(limit, box, method="lp")
    assert want.status == "exact"
    for method in ("lp", "subdivision"):
        rs = enumerate_regions(big, box, method=method)
        assert rs.status == "exact" and rs.n_regions == want.n_regions
        assert {p.tobytes() for p in rs.patterns} == {p.tobytes() for p in want.patterns}
