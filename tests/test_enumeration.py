"""The exact engine against independent oracles (docs/math.md §2, §4.2, §10)."""

from math import comb

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from polyregions import (
    InexactCountError,
    Ball, Box, IncompleteEnumerationError, Polytope, ReLUNetwork, Tolerances,
    count_regions, enumerate_regions, random_network,
)
from polyregions.lp import is_bounded


def one_layer(n, N, seed, bias_std=1.0):
    rng = np.random.default_rng(seed)
    return ReLUNetwork.from_weights(
        [rng.normal(size=(N, n)), rng.normal(size=(1, N))], [rng.normal(0, bias_std, N), [0.0]]
    )


def sweep_1d(net, lo, hi):
    """Independent 1-D oracle: walk the line piece by piece.

    On a piece the pattern is fixed, so its extent is an interval computed in
    closed form; the next pattern comes from a forward pass a step past the
    piece's end, the step halved until the new piece's closure contains that
    end (docs/math.md §10.2). Returns the number of pieces.
    """
    pieces = 0
    step0 = 1e-7 * (hi - lo)
    x = lo + step0
    while True:
        p = net.activation_patterns([[x]])[0]
        G, g = net.affine_preactivations(p)
        s = np.where(p, 1.0, -1.0)  # s * (G x + g) >= 0 on the piece
        a, c = s * G[:, 0], s * g
        upper = [(-ci / ai) for ai, ci in zip(a, c) if ai < 0]
        end = min([hi] + [u for u in upper if u > x])
        pieces += 1
        if end >= hi:
            return pieces
        step = step0
        while True:
            y = end + step
            q = net.activation_patterns([[y]])[0]
            Gq, gq = net.affine_preactivations(q)
            sq = np.where(q, 1.0, -1.0)
            if np.all(sq * (Gq[:, 0] * end + gq) >= -1e-12) and not np.array_equal(q, p):
                break
            step /= 2
            if step < 1e-15:
                raise AssertionError("1-D oracle could not step past a breakpoint")
        x = y


# ---------------------------------------------------------------- Zaslavsky
@pytest.mark.parametrize("n,N,seed", [(2, 4, 0), (2, 5, 1), (2, 8, 2), (3, 5, 3), (1, 6, 4), (3, 7, 5), (4, 6, 6)])
def test_one_layer_whole_space_matches_zaslavsky(n, N, seed):
    rs = enumerate_regions(one_layer(n, N, seed))
    assert rs.complete
    assert rs.n_regions == sum(comb(N, j) for j in range(n + 1))
    # bounded regions of an arrangement in general position: C(N-1, n)
    bounded = sum(is_bounded(rs.halfspaces(i)[0]) for i in range(rs.n_regions))
    assert bounded == comb(N - 1, n)


@pytest.mark.parametrize("n,N,expected", [(2, 5, 10), (2, 4, 8), (3, 5, 22), (3, 6, 32)])
def test_central_arrangement(n, N, expected):
    rng = np.random.default_rng(N + n)
    net = ReLUNetwork.from_weights([rng.normal(size=(N, n)), np.ones((1, N))], [np.zeros(N), [0.0]])
    assert expected == 2 * sum(comb(N - 1, j) for j in range(n))
    assert count_regions(net) == expected
    # a box around the common point sees every cone
    assert count_regions(net, Box(-np.ones(n), np.ones(n))) == expected


def test_one_layer_box_containing_all_vertices():
    # docs/math.md §2: if every vertex lies inside the box, the count in it is r(N, n).
    net = one_layer(2, 6, 11)
    W, b = net.weights[0], net.biases[0]
    verts = [np.linalg.solve(W[[i, j]], -b[[i, j]]) for i in range(6) for j in range(i + 1, 6)]
    R = np.abs(verts).max() * 1.1
    assert count_regions(net, Box([-R, -R], [R, R])) == 22


# ---------------------------------------------------------- 1-D vs a sweep
@pytest.mark.parametrize("seed", range(12))
def test_1d_matches_sweep(seed):
    net = random_network(1, [6, 5, 4], bias_std=0.5, random_state=seed)
    assert count_regions(net, Box([-2.0], [2.0])) == sweep_1d(net, -2.0, 2.0)


# ------------------------------------------------- docs/math.md §4.2 constructions
W1_M = [[2, 0], [2, 0], [0, 2], [0, 2]]
b1_M = [0, -1, 0, -1]
W2_M = [[0.923880, -1.847759, 0.382683, -0.765367],
        [0.382683, -0.765367, 0.923880, -1.847759],
        [-0.382683, 0.765367, 0.923880, -1.847759],
        [-0.923880, 1.847759, 0.382683, -0.765367]]
b2_M = [-0.825489, -0.825489, -0.442806, 0.098391]


def test_montufar_4_4_explicit_matrices():
    net = ReLUNetwork.from_weights([W1_M, W2_M, np.ones((1, 4))], [b1_M, b2_M, [0.0]])
    assert count_regions(net, Box([0, 0], [1, 1])) == 44
    assert count_regions(net, Box([-1, -1], [2, 2])) == 59


def test_serra_1d_3_3_explicit_matrices():
    net = ReLUNetwork.from_weights(
        [[[3.5], [3.5], [-3.5]], [[-3, 2, -2]] * 3, [[1.0, 1.0, 1.0]]],
        [[-0.5, -1.5, 2.5], [4.75, 4.5, 4.25], [0.0]],
    )
    assert count_regions(net, Box([0.0], [1.0])) == 16 == sweep_1d(net, 0.0, 1.0)


# ------------------------------------------------ certificates and coverage
@pytest.mark.parametrize("domain", [Box([-1, -1], [1, 1]), Ball([0.2, -0.1], 0.7),
                                    Polytope([[1, 1], [-1, 0], [0, -1]], [1, 0.3, 0.4])])
def test_certificates_and_sampled_points(domain):
    net = random_network(2, [10, 10], bias_std=0.3, random_state=7)
    rs = enumerate_regions(net, domain)
    assert rs.complete and rs.n_thin == 0
    assert len(rs.check_patterns()) == 0
    assert np.all(rs.radii > 0)
    for i in range(rs.n_regions):
        A, b = rs.halfspaces(i)
        slack = (b - A @ rs.interior_points[i]) / np.linalg.norm(A, axis=1)
        assert slack.min() >= rs.radii[i] * (1 - 1e-9)
    assert np.all(domain.contains(rs.interior_points))
    U = domain.sample(20000, random_state=1)
    assert np.all(rs.locate(U) >= 0), "a sampled point's pattern was not enumerated"
    assert nx.is_connected(rs.graph)


def test_ball_never_exceeds_enclosing_box():
    net = random_network(2, [12, 12], bias_std=0.3, random_state=3)
    for c, r in [((0, 0), 0.5), ((0.3, -0.2), 0.25), ((-0.5, 0.5), 0.1)]:
        ball = Ball(c, r)
        n_ball = count_regions(net, ball)
        n_box = count_regions(net, ball.bounding_box())
        assert 1 <= n_ball <= n_box


def test_edges_flip_exactly_their_neurons():
    net = random_network(3, [8, 8], bias_std=0.3, random_state=5)
    rs = enumerate_regions(net, Box(-np.ones(3), np.ones(3)))
    assert rs.graph.number_of_edges() > rs.n_regions
    for (i, j), neurons in zip(rs.edges, rs.edge_neurons):
        diff = np.flatnonzero(rs.patterns[i] != rs.patterns[j])
        assert diff.tolist() == list(neurons)


# ------------------------------------------------------ degenerate inputs
def test_duplicate_neurons_do_not_change_the_count():
    net = one_layer(2, 5, 3)
    W, b = net.weights[0], net.biases[0]
    dup = ReLUNetwork.from_weights([np.vstack([W, W[:2], 3 * W[:1]]), np.ones((1, 8))],
                                   [np.concatenate([b, b[:2], 3 * b[:1]]), [0.0]])
    assert count_regions(dup) == count_regions(net) == 16


def test_dead_downstream_copy_is_crossed_with_its_source():
    # z2 = relu(z1) exactly: on the inactive side z2 is identically zero (a zero row),
    # on the active side its hyperplane coincides with z1's. 2 regions, not 3.
    net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]], [[1.0]]], [[0.0], [0.0], [0.0]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    assert rs.n_regions == 2
    assert sorted(map(tuple, rs.patterns.astype(int).tolist())) == [(0, 0), (1, 1)]
    assert rs.edge_neurons == ((0, 1),)


def test_sign_flip_downstream_keeps_active():
    # z2 = relu(z1) - 0.5 z1 ... is positive on both sides: patterns (0,1) and (1,1).
    net = ReLUNetwork.from_weights(
        [[[1.0, 0.0], [-1.0, 0.0]], [[1.0, 0.5]], [[1.0]]], [[0.0, 0.0], [0.0], [0.0]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    assert rs.n_regions == 2
    assert len(rs.check_patterns()) == 0


def test_zero_weight_neurons():
    # a zero row with positive bias is always on; with negative bias always off
    rng = np.random.default_rng(0)
    W = np.vstack([rng.normal(size=(4, 2)), np.zeros((2, 2))])
    b = np.concatenate([rng.normal(size=4), [1.0, -1.0]])
    net = ReLUNetwork.from_weights([W, np.ones((1, 6))], [b, [0.0]])
    rs = enumerate_regions(net)
    assert rs.n_regions == 11
    assert np.all(rs.patterns[:, 4]) and not np.any(rs.patterns[:, 5])


def test_many_hyperplanes_through_one_point_in_a_box():
    # 9 lines through (0.2, 0.1): 18 sectors, all meeting the box.
    ang = np.pi * np.arange(9) / 9 + 0.05
    W = np.c_[np.cos(ang), np.sin(ang)]
    net = ReLUNetwork.from_weights([W, np.ones((1, 9))], [-W @ [0.2, 0.1], [0.0]])
    assert count_regions(net, Box([-1, -1], [1, 1])) == 18


def test_seed_on_a_kink_is_handled():
    # docs/math.md §10.1: a seed exactly on a breakpoint must not lose the search.
    net = ReLUNetwork.from_weights([[[2.0], [2.0]], [[1.0, -2.0]]], [[0.0, -1.0], [0.0]])
    rs = enumerate_regions(net, Box([0.0], [1.0]), seed_point=[0.5])
    assert rs.n_regions == 2


def test_thin_region_counted_above_tolerance_and_reported_below():
    # two parallel lines x = 0.5 and x = 0.5 + 1e-6: a slab of half-width 5e-7 in
    # [-1,1]^2 whose points have |x|_inf >= 0.5, so its local scale is in [0.5, 1].
    net = ReLUNetwork.from_weights([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]],
                                   [[-0.5, -0.5 - 1e-6], [0.0]])
    assert count_regions(net, Box([-1, -1], [1, 1])) == 3
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]), tolerances=Tolerances(radius=1e-5))
    assert rs.n_regions == 2 and rs.n_thin == 1
    assert rs.status == "exact_at_resolution" and not rs.n_undecided
    assert "1 patterns thinner than the radius tolerance" in rs.status_detail
    with pytest.raises(InexactCountError, match="exact only at a resolution"):
        rs.count()
    with pytest.warns(RuntimeWarning, match="thinner than the radius tolerance"):
        assert rs.count(at_resolution=True) == 2


def test_whole_space_deep_net_consistent_with_large_box():
    net = random_network(2, [5, 5], bias_std=1.0, random_state=2)
    n_whole = count_regions(net)
    # every region of the whole space meets a large enough box; the converse is trivial
    assert n_whole == count_regions(net, Box([-1e3, -1e3], [1e3, 1e3]))


# ------------------------------------------------------------------ budgets
def test_budgets_flag_incomplete_and_never_return_a_count():
    net = random_network(2, [16, 16], random_state=0)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]), max_regions=25)
    assert not rs.complete and rs.stop_reason == "max_regions"
    assert rs.n_regions == 25
    with pytest.raises(IncompleteEnumerationError, match="lower bound"):
        rs.count()
    with pytest.raises(IncompleteEnumerationError) as info:
        count_regions(net, Box([-1, -1], [1, 1]), time_limit=1e-4)
    assert info.value.result.stop_reason == "time_limit"
    full = enumerate_regions(net, Box([-1, -1], [1, 1]))
    assert full.complete and full.n_regions > 25
    # the partial result is a subset of the full one
    full_keys = {p.tobytes() for p in full.patterns}
    assert all(p.tobytes() in full_keys for p in rs.patterns)


def test_progress_bar_runs(capsys):
    net = random_network(2, [6], random_state=0)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]), progress=True)
    assert rs.complete
    assert "enumerating" in capsys.readouterr().err


# --------------------------------------------------------------- bad input
def test_bad_inputs_give_clear_errors():
    net = random_network(2, [4], random_state=0)
    with pytest.raises(ValueError, match="dimension 3 but the network takes 2"):
        enumerate_regions(net, Box([0, 0, 0], [1, 1, 1]))
    with pytest.raises(TypeError, match="ReLUNetwork"):
        enumerate_regions([[1.0]], Box([0], [1]))
    with pytest.raises(TypeError, match="domain must be"):
        enumerate_regions(net, (0, 1))
    with pytest.raises(ValueError, match="max_regions"):
        enumerate_regions(net, max_regions=0)
    with pytest.raises(ValueError, match="time_limit"):
        enumerate_regions(net, time_limit=-1)


# ----------------------------------------------------------------- property
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n0=st.integers(1, 3),
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    seed=st.integers(0, 10_000),
    bias_std=st.sampled_from([0.0, 0.01, 0.5]),
)
def test_property_random_nets(n0, widths, seed, bias_std):
    net = random_network(n0, widths, bias_std=bias_std, random_state=seed)
    box = Box(-np.ones(n0), np.ones(n0))
    rs = enumerate_regions(net, box)
    assert rs.complete
    assert len(rs.check_patterns()) == 0
    assert rs.n_regions <= 2 ** net.n_neurons
    assert nx.is_connected(rs.graph)
    U = box.sample(3000, random_state=seed)
    assert np.all(rs.locate(U) >= 0)
    if n0 == 1:
        assert rs.n_regions == sweep_1d(net, -1.0, 1.0)


def test_engine_after_a_foreign_highs_mip_in_the_same_process():
    # HiGHS keeps one thread scheduler per process; the kernel must not ask for a
    # thread count that conflicts with one a user's MIP created first.
    import subprocess
    import sys

    code = (
        "import highspy\n"
        "h = highspy.Highs(); h.setOptionValue('output_flag', False)\n"
        "x = h.addVariable(lb=0, ub=1, type=highspy.HighsVarType.kInteger); h.maximize(x)\n"
        "from polyregions import Box, count_regions, random_network\n"
        "print(count_regions(random_network(2, [6], bias_std=1.0, random_state=0)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "22"


def test_interrupt_returns_partial_result(monkeypatch):
    # Ctrl-C inside the search stops it cleanly with what was found, flagged incomplete.
    from polyregions import lp_engine

    calls = {"n": 0}
    real = lp_engine.LPEngine.facets

    def facets(self, *args):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(lp_engine.LPEngine, "facets", facets)
    net = random_network(2, [8, 8], random_state=0)
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert not rs.complete and rs.stop_reason == "interrupted"
    assert rs.n_regions == 9  # the tenth pattern was cut off mid-way
    monkeypatch.undo()
    full = {p.tobytes() for p in enumerate_regions(net, Box([-1, -1], [1, 1])).patterns}
    assert {p.tobytes() for p in rs.patterns} <= full
    with pytest.raises(IncompleteEnumerationError, match="interrupted"):
        rs.count()


def test_parallel_search_gives_the_serial_result():
    net = random_network(3, [8, 8], bias_std=0.3, random_state=2)
    box = Box(-np.ones(3), np.ones(3))
    serial = enumerate_regions(net, box)
    par = enumerate_regions(net, box, n_jobs=2)
    assert par.complete and par.n_regions == serial.n_regions
    keys = [p.tobytes() for p in par.patterns]
    assert keys == sorted(keys)  # canonical order, whatever order the workers finished in
    assert set(keys) == {p.tobytes() for p in serial.patterns}

    def edge_set(rs):
        return {(frozenset((rs.patterns[i].tobytes(), rs.patterns[j].tobytes())), nr)
                for (i, j), nr in zip(rs.edges, rs.edge_neurons)}

    assert edge_set(par) == edge_set(serial)
    assert len(par.check_patterns()) == 0
    assert par.stats["lp_calls"] == serial.stats["lp_calls"]
    part = enumerate_regions(net, box, n_jobs=2, max_regions=20)
    assert not part.complete and part.n_regions >= 20
    assert {p.tobytes() for p in part.patterns} <= set(keys)
    with pytest.raises(ValueError, match="n_jobs"):
        enumerate_regions(net, box, n_jobs=0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    seed=st.integers(0, 10_000),
    cx=st.floats(-0.8, 0.8), cy=st.floats(-0.8, 0.8), radius=st.floats(0.02, 1.0),
)
def test_property_ball_domains(widths, seed, cx, cy, radius):
    # every uniform sample's pattern is a region; the ball count never exceeds the box count
    net = random_network(2, widths, bias_std=0.3, random_state=seed)
    ball = Ball([cx, cy], radius)
    rs = enumerate_regions(net, ball)
    assert rs.complete and len(rs.check_patterns()) == 0
    assert np.all(rs.locate(ball.sample(3000, random_state=seed)) >= 0)
    assert np.all(np.linalg.norm(rs.interior_points - ball.center, axis=1) + rs.radii
                  <= radius * (1 + 1e-9))
    assert rs.n_regions <= count_regions(net, ball.bounding_box())
    assert nx.is_connected(rs.graph)


def test_high_dimensional_box_uses_lp_facets_and_matches_sampling():
    # above QHULL_MAX_DIM the facets come from one LP per row (qhull explodes there)
    from polyregions.bounds import serra_upper
    from polyregions.lp import QHULL_MAX_DIM

    d = QHULL_MAX_DIM + 2
    net = random_network(d, [5, 4], bias_std=0.3, random_state=0)
    box = Box(-np.ones(d), np.ones(d))
    rs = enumerate_regions(net, box)
    assert rs.complete and len(rs.check_patterns()) == 0
    assert np.all(rs.locate(box.sample(20000, random_state=0)) >= 0)
    assert rs.n_regions <= serra_upper(d, [5, 4])
    assert nx.is_connected(rs.graph)


def test_shipped_example_net_matches_both_peers():
    # benchmarks/nets/he-2-32-32.npz (random_network(2, [32, 32], bias_std=0.01, random_state=0)):
    # relucent 1.0.0 (Gurobi LP BFS) and regioncam 0.5.2 (planar subdivision) both count 1994
    # regions in [-1, 1]^2 (benchmarks/bench_engine.py --peers).
    from pathlib import Path

    from polyregions import load_network

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "nets" / "he-2-32-32.npz"
    net = load_network(path)
    assert net.fingerprint() == random_network(2, [32, 32], bias_std=0.01, random_state=0).fingerprint()
    assert count_regions(net, Box([-1, -1], [1, 1])) == 1994
