"""Local (box / ball) region bounds: docs/math.md §6 worked table and soundness checks."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.bounds import serra_upper
from polyregions.network import random_network
from polyregions.constructions import montufar
from polyregions.domain import Ball, Box, WholeSpace
from polyregions.local_bounds import (
    ACTIVE,
    DEAD,
    UNSTABLE,
    LocalBound,
    classify_neurons,
    local_bound,
    preactivation_bounds,
)
from polyregions.network import ReLUNetwork

from _nets import exact_count_1d, random_net_factory

# ------------------------------------------------------------- helpers


random_net = random_net_factory(n0=2, widths=(6, 6, 4), bias_std=0.3)


def sampled_patterns(net, X):
    return len({p.tobytes() for p in net.activation_patterns(X)})


def assert_nested(inner, outer, tol=1e-9):
    """Each ``inner`` interval lies in the ``outer`` one (up to rounding)."""
    for (l2, u2), (l1, u1) in zip(inner, outer):
        assert np.all(l2 >= l1 - tol) and np.all(u2 <= u1 + tol)


def box_around(c, r):
    c = np.asarray(c, dtype=np.float64)
    return Box(c - r, c + r)


# ------------------------------------------------- docs/math.md §6 worked table

TABLE_6 = [
    # centre, r, per-layer (u, a, dead), exact, LB_prod, LB_serra
    ((0.1, 0.1), 0.05, ((0, 2, 2), (1, 0, 3)), 2, 2, 7),
    ((0.5, 0.5), 0.05, ((2, 2, 0), (1, 2, 1)), 4, 8, 77),
    ((0.3, 0.6), 0.10, ((1, 2, 1), (4, 0, 0)), 10, 22, 59),
    ((0.25, 0.25), 0.20, ((0, 2, 2), (4, 0, 0)), 10, 11, 22),
]


@pytest.fixture(scope="module")
def mont44():
    return montufar(2, [4, 4])


@pytest.mark.parametrize("centre, r, counts, exact, prod, serra", TABLE_6)
def test_spec_table_ibp(mont44, centre, r, counts, exact, prod, serra):
    lb = local_bound(mont44, box_around(centre, r), method="ibp")
    assert lb.neuron_counts == counts
    assert lb.product == prod
    assert lb.pruned_serra == serra
    assert lb.global_serra == 121
    assert lb.value == min(prod, serra, 121)
    assert lb.method == "ibp"
    # Sampling sees every region of these boxes (and never more than exact).
    g = (np.arange(300) + 0.5) / 300
    X = np.column_stack([a.ravel() for a in np.meshgrid(g, g)]) * 2 * r + np.asarray(centre) - r
    assert sampled_patterns(mont44, X) == exact <= lb.value


@pytest.mark.parametrize("centre, r, counts, exact, prod, serra", TABLE_6)
def test_spec_table_lp_is_at_least_as_tight(mont44, centre, r, counts, exact, prod, serra):
    ibp = local_bound(mont44, box_around(centre, r), method="ibp")
    lp = local_bound(mont44, box_around(centre, r), method="lp")
    assert exact <= lp.value <= ibp.value
    assert_nested(lp.bounds, ibp.bounds)
    # Layer 1 is exact for both methods.
    assert lp.neuron_counts[0] == counts[0]


def test_lp_resolves_the_centre_box(mont44):
    # Around (0.5, 0.5) the layer-1 folds already make the 4 regions; the LP
    # proves the layer-2 unit IBP left unstable never switches, so the bound
    # becomes exact.
    lp = local_bound(mont44, box_around((0.5, 0.5), 0.05), method="lp")
    assert lp.neuron_counts == ((2, 2, 0), (0, 3, 1))
    assert lp.value == lp.product == 4


def test_one_hidden_layer_is_a_local_arrangement():
    # Five lines through a small box around the origin, one line far away:
    # the box sees at most the 16 cells of five generic lines.
    rng = np.random.default_rng(2)
    W = rng.normal(size=(6, 2))
    b = np.r_[rng.normal(0, 0.01, 5), 10.0 * np.linalg.norm(W[5])]
    net = ReLUNetwork.from_weights([W, np.ones((1, 6))], [b, [0.0]])
    lb = local_bound(net, box_around((0.0, 0.0), 0.5), method="lp")
    assert lb.neuron_counts == ((5, 1, 0),)
    # the always-active unit cuts nothing but still counts in the pruned net
    assert lb.product == 16 and lb.pruned_serra == lb.global_serra == 22
    assert lb.value == 16


def test_touching_hyperplane_counts_as_unstable(mont44):
    # In docs/math.md §6, row 3 unit relu(2y - 1) is exactly 0 on the face y = 0.5 of the
    # box; it is classed unstable (conservative), as in the table.
    st_ = classify_neurons(mont44, box_around((0.3, 0.6), 0.1))
    assert st_[0].tolist() == [ACTIVE, DEAD, ACTIVE, UNSTABLE]
    net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[-0.5], [0.0]])
    assert classify_neurons(net, Box([0.5], [1.0]))[0].tolist() == [UNSTABLE]


def test_constant_neurons_are_classified_exactly():
    net = ReLUNetwork.from_weights(
        [[[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]], [[1.0, 1.0, 1.0]]], [[0.0, 0.3, 0.0], [0.0]]
    )
    st_ = classify_neurons(net, Box([-1, -1], [1, 1]))[0].tolist()
    assert st_ == [DEAD, ACTIVE, UNSTABLE]


# ----------------------------------------------------------------- ball


def test_ball_first_layer_is_exact():
    net = random_net(3)
    c, r = np.array([0.2, -0.4]), 0.3
    (lo, hi), *_ = preactivation_bounds(net, Ball(c, r))
    W, b = net.weights[0], net.biases[0]
    centre = W @ c + b
    rad = r * np.linalg.norm(W, axis=1)
    np.testing.assert_allclose(lo, centre - rad)
    np.testing.assert_allclose(hi, centre + rad)
    expected = np.where(np.abs(centre) < rad, UNSTABLE, np.where(centre > 0, ACTIVE, DEAD))
    assert classify_neurons(net, Ball(c, r))[0].tolist() == expected.tolist()


@pytest.mark.parametrize("method", ["ibp", "lp"])
def test_ball_no_looser_than_its_bounding_box(method):
    for seed in range(5):
        net = random_net(seed)
        ball = Ball([0.1, 0.2], 0.4)
        a = local_bound(net, ball, method=method)
        b = local_bound(net, ball.bounding_box(), method=method)
        if method == "ibp":
            assert a.value <= b.value
        X = ball.sample(3000, random_state=seed)
        assert sampled_patterns(net, X) <= a.value


# ------------------------------------------------------------ soundness


def _check_sound(net, domain, method, X):
    lb = local_bound(net, domain, method=method)
    zs = net.preactivations(X)
    for (lo, hi), z, st_ in zip(lb.bounds, zs, classify_neurons(net, domain, method)):
        assert np.all(z >= lo - 1e-9) and np.all(z <= hi + 1e-9)
        assert np.all(z[:, st_ == ACTIVE] >= 0)
        assert np.all(z[:, st_ == DEAD] <= 0)
    assert sampled_patterns(net, X) <= lb.value <= lb.global_serra
    assert lb.global_serra == serra_upper(net.input_dim, net.widths)
    return lb


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 10_000),
    st.floats(-1, 1),
    st.floats(-1, 1),
    st.floats(0.05, 0.6),
    st.sampled_from(["box", "ball"]),
)
def test_random_nets_sound(seed, cx, cy, r, kind):
    net = random_net(seed)
    dom = box_around((cx, cy), r) if kind == "box" else Ball([cx, cy], r)
    X = dom.sample(2000, random_state=seed)
    ibp = _check_sound(net, dom, "ibp", X)
    lp = _check_sound(net, dom, "lp", X)
    assert lp.value <= ibp.value
    assert_nested(lp.bounds, ibp.bounds)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(-1, 1), st.floats(0.05, 1.0))
def test_1d_exact_count_never_exceeds_local_bound(seed, c, r):
    net = random_net(seed, n0=1, widths=(5, 5, 3), bias_std=0.5)
    exact = exact_count_1d(net, c - r, c + r)
    for method in ("ibp", "lp"):
        lb = local_bound(net, Box([c - r], [c + r]), method=method)
        assert exact <= lb.value


def test_deep_1d_lp_tighter_somewhere():
    # The LP is not just IBP again: on some random deep nets it proves more
    # neurons stable.
    gains = 0
    for seed in range(15):
        net = random_net(seed, n0=2, widths=(8, 8, 8))
        dom = box_around((0.0, 0.0), 0.5)
        a, b = local_bound(net, dom, "ibp"), local_bound(net, dom, "lp")
        assert b.value <= a.value
        gains += sum(b.unstable) < sum(a.unstable)
    assert gains > 0


# --------------------------------------------------------- API details


def test_local_bound_dataclass(mont44):
    lb = local_bound(mont44, box_around((0.1, 0.1), 0.05))
    assert isinstance(lb, LocalBound)
    assert lb.unstable == (0, 1) and lb.active == (2, 0) and lb.dead == (2, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lb.value = 0
    assert "bounds" not in repr(lb)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda n: local_bound(n, WholeSpace(2)), TypeError, "bounding Box"),
        (lambda n: local_bound(n, Box([0, 0, 0], [1, 1, 1])), ValueError, "dimension 3"),
        (lambda n: local_bound(n, Box([0, 0], [1, 1]), method="milp"), ValueError, "method"),
    ],
)
def test_errors(mont44, call, exc, match):
    with pytest.raises(exc, match=match):
        call(mont44)


def test_leaky_networks_rejected():
    net = ReLUNetwork.from_weights([np.ones((2, 2)), np.ones((1, 2))], [np.zeros(2), [0.0]], 0.1)
    with pytest.raises(ValueError, match="leaky"):
        local_bound(net, Box([0, 0], [1, 1]))


# ------------------------------------------------------------ exact engine


def _engine():
    # The engine is part of the package: a broken import must fail these soundness
    # checks, not skip them.
    from polyregions.enumeration import count_regions

    return count_regions


@pytest.mark.parametrize("centre, r, counts, exact, prod, serra", TABLE_6)
def test_spec_table_exact_counts_with_engine(mont44, centre, r, counts, exact, prod, serra):
    count_regions = _engine()
    dom = box_around(centre, r)
    n = count_regions(mont44, dom)
    assert n == exact
    assert n <= local_bound(mont44, dom, "lp").value <= local_bound(mont44, dom, "ibp").value


def test_random_nets_exact_count_below_bound_with_engine():
    count_regions = _engine()
    rng = np.random.default_rng(7)
    for seed in range(12):
        net = random_net(seed)
        c, r = rng.uniform(-1, 1, 2), rng.uniform(0.05, 0.6)
        dom = box_around(c, r)
        n = count_regions(net, dom)
        assert n <= local_bound(net, dom, "lp").value <= local_bound(net, dom, "ibp").value


# ------------------------------------------- LP bounds carry their own proof


def test_lp_bounds_do_not_trust_the_solver_objective():
    # With a sloppy dual tolerance HiGHS still reports "optimal" for LPs it has not
    # finished (objectives up to ~10% above the true minimum on these nets). A lower
    # bound read off that objective would be unsound; a weak-duality certificate built
    # from the solver's duals is valid for any duals, so the bounds may get looser but
    # never tighter than those of an accurate solve.
    from polyregions.lp import LP_FEASIBILITY_TOL, highs_solver

    rng = np.random.default_rng(0)
    cases = []
    for seed in range(12):
        n0 = int(rng.integers(2, 5))
        net = random_network(n0, [int(rng.integers(6, 14)) for _ in range(3)], bias_std=0.3,
                             random_state=seed)
        c, r = rng.uniform(-1, 1, n0), rng.uniform(0.2, 1.0)
        cases.append((net, box_around(c, r)))
    accurate = [preactivation_bounds(net, dom, "lp") for net, dom in cases]
    h = highs_solver("local_bounds")
    h.setOptionValue("dual_feasibility_tolerance", 1e-1)
    try:
        sloppy = [preactivation_bounds(net, dom, "lp") for net, dom in cases]
    finally:
        h.setOptionValue("dual_feasibility_tolerance", LP_FEASIBILITY_TOL)
    for acc, slo in zip(accurate, sloppy):
        for (l1, u1), (l2, u2) in zip(acc, slo):
            tol = 1e-9 * (1.0 + np.abs(l1) + np.abs(u1))
            assert np.all(l2 <= l1 + tol) and np.all(u2 >= u1 - tol)
