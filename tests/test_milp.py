"""Serra's MILP (polyregions.milp) as an independent check of the LP-BFS engine."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

import pulp  # a hard dependency of polyregions: a missing pulp must fail, not skip, the oracle

from polyregions import Ball, Box, ReLUNetwork, WholeSpace, enumerate_regions, random_network
from polyregions.milp import MilpCount, count_regions_milp, interval_bounds


def unit_box(n0):
    return Box(-np.ones(n0), np.ones(n0))


def assert_same_as_bfs(pattern_set, net, box, res):
    rs = enumerate_regions(net, box)
    assert rs.complete and rs.n_thin == 0
    assert res.complete and res.n_rejected == 0
    assert res.count == rs.n_regions
    assert pattern_set(res.patterns) == pattern_set(rs.patterns)
    # every witness is inside the box and realises its pattern (float64 forward pass)
    assert np.all(box.contains(res.points))
    assert np.array_equal(net.activation_patterns(res.points), res.patterns)


# ------------------------------------------------------------ agreement
RANDOM_CASES = [
    (1, [3, 3], 4), (1, [3, 3], 5), (1, [2, 2, 2], 1),
    (2, [4], 1), (2, [3, 3], 2), (2, [3, 3], 6), (2, [4, 4], 1), (2, [2, 2, 2], 5),
    (3, [4], 2), (3, [3, 3], 3), (3, [4, 4], 1),
]


@pytest.mark.parametrize("n0, widths, seed", RANDOM_CASES)
def test_random_nets_match_lp_bfs(pattern_set, n0, widths, seed):
    net = random_network(n0, widths, bias_std=0.5, random_state=seed)
    box = unit_box(n0)
    res = count_regions_milp(net, box)
    assert res.solver_name == "HiGHS"
    assert res.n_solves >= res.count + 1
    assert_same_as_bfs(pattern_set, net, box, res)


@pytest.mark.parametrize("slope, seed", [(0.1, 0), (-0.5, 1), (2.0, 3)])
def test_leaky_relu_nets_match_lp_bfs(pattern_set, slope, seed):
    # (2.0, 3) is the net on which HiGHS with mip_feasibility_tolerance=1e-9 missed a
    # region (14 of 15): the named solvers must run with their default tolerances.
    base = random_network(2, [3, 3], bias_std=0.5, random_state=seed)
    net = ReLUNetwork.from_weights(base.weights, base.biases, negative_slope=slope)
    box = unit_box(2)
    assert_same_as_bfs(pattern_set, net, box, count_regions_milp(net, box))


def test_cbc_matches_lp_bfs(pattern_set):
    if "PULP_CBC_CMD" not in pulp.listSolvers(onlyAvailable=True):
        pytest.skip("PuLP's bundled CBC is not available on this platform")
    net = random_network(2, [3, 3], bias_std=0.5, random_state=2)
    res = count_regions_milp(net, unit_box(2), solver="cbc")
    assert res.solver_name == "PULP_CBC_CMD"
    assert_same_as_bfs(pattern_set, net, unit_box(2), res)


def montufar_2d_44():
    """docs/math.md §4.2: Montúfar n0 = 2, widths [4,4]; 44 regions in [0,1]^2, 59 in [-1,2]^2."""
    W1 = [[2, 0], [2, 0], [0, 2], [0, 2]]
    b1 = [0, -1, 0, -1]
    W2 = [[0.923880, -1.847759, 0.382683, -0.765367],
          [0.382683, -0.765367, 0.923880, -1.847759],
          [-0.382683, 0.765367, 0.923880, -1.847759],
          [-0.923880, 1.847759, 0.382683, -0.765367]]
    b2 = [-0.825489, -0.825489, -0.442806, 0.098391]
    return ReLUNetwork.from_weights([W1, W2, np.ones((1, 4))], [b1, b2, [0.0]])


def test_montufar_construction_44_regions(pattern_set):
    net = montufar_2d_44()
    box = Box([0, 0], [1, 1])
    res = count_regions_milp(net, box, time_limit=60)
    assert res.count == 44
    assert_same_as_bfs(pattern_set, net, box, res)


def test_solver_instance_and_name_aliases(pattern_set):
    net = random_network(1, [3, 3], bias_std=0.5, random_state=4)
    box = unit_box(1)
    ref = count_regions_milp(net, box)
    for solver in ("highs", "HiGHS", pulp.HiGHS(msg=False)):
        res = count_regions_milp(net, box, solver=solver)
        assert res.solver_name == "HiGHS"
        assert pattern_set(res.patterns) == pattern_set(ref.patterns)


# ------------------------------------------------------------ semantics
def test_region_thinner_than_margin_is_missed(pattern_set):
    # kinks at 0 and 1e-7: the middle region's best margin is 5e-8
    net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, -1.0]]], [[0.0, -1e-7], [0.0]])
    box = Box([-1], [1])
    assert enumerate_regions(net, box).n_regions == 3
    coarse = count_regions_milp(net, box, margin=1e-6)
    assert coarse.complete and coarse.count == 2          # a lower bound
    assert pattern_set(coarse.patterns) == {(False, False), (True, True)}
    fine = count_regions_milp(net, box, margin=1e-9)
    assert fine.complete and fine.count == 3
    assert np.array_equal(net.activation_patterns(fine.points), fine.patterns)


def test_identically_zero_neuron_has_no_margin():
    # The second-layer neuron is 0 everywhere: its regions are full-dimensional
    # (pattern "inactive") but have no margin, so the MILP count is 0 (a lower bound).
    net = ReLUNetwork.from_weights([np.eye(2), np.zeros((1, 2)), np.ones((1, 1))],
                                   [[0.1, -0.2], [0.0], [0.0]])
    box = unit_box(2)
    assert enumerate_regions(net, box).n_regions == 4
    res = count_regions_milp(net, box)
    assert res.complete and res.count == 0 and res.patterns.shape == (0, 3)


def test_affine_network_is_one_region():
    net = ReLUNetwork.from_weights([np.ones((1, 2))], [[0.0]])
    res = count_regions_milp(net, unit_box(2))
    assert res.complete and res.count == 1 and res.patterns.shape == (1, 0)


def test_interval_bounds_are_sound():
    net = random_network(2, [4, 4, 3], bias_std=0.5, random_state=7)
    box = unit_box(2)
    lower, upper = interval_bounds(net, box.lo, box.hi)
    X = np.vstack([box.sample(2000, random_state=0), [[-1, -1], [-1, 1], [1, -1], [1, 1]]])
    Z = np.hstack(net.preactivations(X))
    assert np.all(Z >= lower) and np.all(Z <= upper)
    # exact for the first layer: attained at box corners (up to the 1e-9 padding)
    corners = X[-4:] @ net.weights[0].T + net.biases[0]
    np.testing.assert_allclose(lower[:4], corners.min(axis=0), atol=1e-7)
    np.testing.assert_allclose(upper[:4], corners.max(axis=0), atol=1e-7)


# ------------------------------------------------------------ budgets
def test_max_regions_gives_incomplete_lower_bound(pattern_set):
    net = random_network(2, [3, 3], bias_std=0.5, random_state=2)
    box = unit_box(2)
    res = count_regions_milp(net, box, max_regions=2)
    assert res.complete is False
    assert res.count is None                       # never reported as a count
    assert res.n_found == res.lower_bound == 2 and res.stop_reason == "max_regions"
    assert pattern_set(res.patterns) <= pattern_set(enumerate_regions(net, box).patterns)
    assert "incomplete" in repr(res)


def test_max_regions_equal_to_count_is_complete():
    net = random_network(1, [3], bias_std=0.5, random_state=0)
    n = count_regions_milp(net, unit_box(1)).count
    res = count_regions_milp(net, unit_box(1), max_regions=n)
    assert res.complete and res.count == n


def test_time_limit_gives_incomplete():
    net = random_network(2, [3, 3], bias_std=0.5, random_state=2)
    res = count_regions_milp(net, unit_box(2), time_limit=1e-9)
    assert res.complete is False and res.count is None and res.stop_reason == "time_limit"


# ------------------------------------------------------------ errors and result type
@pytest.mark.parametrize("domain", [None, Ball([0.0, 0.0], 1.0), WholeSpace(2)])
def test_non_box_domain_raises(domain):
    net = random_network(2, [3], bias_std=0.5, random_state=0)
    with pytest.raises(ValueError, match="Box"):
        count_regions_milp(net, domain)


def test_bad_arguments_raise():
    net = random_network(2, [3], bias_std=0.5, random_state=0)
    box = unit_box(2)
    with pytest.raises(ValueError, match="dimension"):
        count_regions_milp(net, unit_box(3))
    with pytest.raises(ValueError, match="margin"):
        count_regions_milp(net, box, margin=0.0)
    with pytest.raises(ValueError, match="max_regions"):
        count_regions_milp(net, box, max_regions=0)
    with pytest.raises(ValueError, match="time_limit"):
        count_regions_milp(net, box, time_limit=-1)
    with pytest.raises(ValueError, match="unknown solver"):
        count_regions_milp(net, box, solver="gurobi-ish")
    with pytest.raises(TypeError, match="solver"):
        count_regions_milp(net, box, solver=3)
    with pytest.raises(TypeError, match="ReLUNetwork"):
        count_regions_milp("not a net", box)


def test_result_is_frozen_and_read_only():
    net = random_network(2, [3], bias_std=0.5, random_state=0)
    res = count_regions_milp(net, unit_box(2))
    assert isinstance(res, MilpCount) and res.patterns.dtype == bool
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.count = 0
    with pytest.raises(ValueError):
        res.patterns[0, 0] = not res.patterns[0, 0]
    assert res.seconds > 0 and res.seconds_per_region > 0


def test_engine_still_works_after_milp_in_same_process():
    # HiGHS has one thread scheduler per process; a solve that asks for another
    # thread count than the scheduler's fails (kNotset), so the MIP and the engine
    # must agree. A fresh interpreter is needed: earlier tests created the scheduler.
    code = (
        "import numpy as np\n"
        "from polyregions import Box, random_network, enumerate_regions\n"
        "from polyregions.milp import count_regions_milp\n"
        "net = random_network(2, [3, 3], bias_std=0.5, random_state=0)\n"
        "box = Box([-1, -1], [1, 1])\n"
        "m = count_regions_milp(net, box)\n"
        "r = enumerate_regions(net, box)\n"
        "assert m.count == r.n_regions, (m.count, r.n_regions)\n"
        "print('ok', m.count)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout
