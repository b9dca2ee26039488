"""The LP engine at the apex of zero-bias networks (every hyperplane through the origin).

Every region of a zero-bias network is a cone with apex 0, and every pattern's
closed polyhedron holds the origin, so HiGHS can never prove one empty and a
lower-dimensional pattern's LP settles at the apex, where the local scale
``ell = max(|x0|_inf, r, lam)`` vanishes (``lam = 0``). Zooming in there used to
chase the apex until the pattern was left undecided (a lower bound).

The oracle is independent of the 3-D search: a full-dimensional cone meets the
boundary of ``[-a, a]^d`` in a set of full dimension in some face, and a cone
of lower dimension meets no face in one (its span through the origin misses
every face's affine hull in dimension ``d - 1``). So the regions are the union
over the ``2 d`` faces of the regions of the ``(d - 1)``-input net restricted
to the face, which has biases (no apex) and is enumerated by the subdivision
engine. ``method="subdivision"`` on the zero-bias net itself is no oracle: its
hyperplanes are concurrent, so it hands the run to the LP engine.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyregions import Box, ReLUNetwork, enumerate_regions, random_network
from polyregions.lp_engine import LPEngine
from polyregions.tolerances import Tolerances


def face_patterns(net, a=1.0):
    """Patterns of the regions of a zero-bias ``net`` in ``[-a, a]^d``, from its ``2 d`` faces."""
    W1 = np.asarray(net.weights[0])
    d = W1.shape[1]
    found = set()
    for k in range(d):
        rest = [j for j in range(d) if j != k]
        for side in (-a, a):
            face = ReLUNetwork.from_weights([W1[:, rest], *net.weights[1:]],
                                            [net.biases[0] + side * W1[:, k], *net.biases[1:]],
                                            negative_slope=net.negative_slopes)
            rs = enumerate_regions(face, Box(-a * np.ones(d - 1), a * np.ones(d - 1)),
                                   method="subdivision")
            assert rs.n_undecided == 0 and rs.status != "lower_bound"
            found |= {p.tobytes() for p in rs.patterns}
    return found


def lp_run(net, a=1.0):
    d = net.input_dim
    return enumerate_regions(net, Box(-a * np.ones(d), a * np.ones(d)), method="lp")


def patterns(rs):
    return {p.tobytes() for p in rs.patterns}


# The reproducer hypothesis found (97 regions, 1 pattern undecided at the apex), and
# three more from a sweep of zero-bias nets (each had 1 undecided pattern).
REPRODUCERS = [(3, [5, 5, 2], 8333, 97, 5), (3, [5, 5, 6], 4616, 191, 3),
               (4, [6, 4, 5], 6015, 466, 4)]


@pytest.mark.parametrize("d, widths, seed, n_regions, n_thin", REPRODUCERS)
def test_zero_bias_reproducers_are_decided(d, widths, seed, n_regions, n_thin):
    net = random_network(d, widths, bias_std=0.0, random_state=seed)
    rs = lp_run(net)
    assert rs.n_undecided == 0 and rs.complete
    assert rs.n_regions == n_regions
    assert patterns(rs) == face_patterns(net)
    # The other patterns BFS meets are lower-dimensional (at a ray where a layer is
    # dead, every deeper hyperplane passes): never provable empty, so counted as thin.
    assert (rs.status, rs.n_thin, rs.n_merged) == ("exact_at_resolution", n_thin, 0)
    # The subdivision engine hands concurrent hyperplanes over to this engine.
    sub = enumerate_regions(net, Box(-np.ones(d), np.ones(d)), method="subdivision")
    assert sub.stats["engine"] == "lp" and patterns(sub) == patterns(rs)


@pytest.mark.parametrize("weight_scale, half_width", [(1e-6, 1.0), (1e6, 1.0), (1.0, 5e-7),
                                                      (1.0, 5e5), (1e6, 5e-7), (1e-6, 5e5)])
def test_zero_bias_reproducer_at_every_scale(weight_scale, half_width):
    # Positive scalings of a zero-bias net and of a box around the apex change no cone.
    base = random_network(3, [5, 5, 2], bias_std=0.0, random_state=8333)
    net = ReLUNetwork.from_weights([weight_scale * np.asarray(W) for W in base.weights],
                                   [np.asarray(b) for b in base.biases])
    rs = lp_run(net, half_width)
    assert rs.n_undecided == 0 and rs.complete and rs.n_regions == 97
    assert patterns(rs) == patterns(lp_run(base))
    # Which lower-dimensional patterns the search meets at the dead ray depends on the
    # rows' rounding (1 to 5 over these scales); none is ever counted or left undecided.
    assert rs.status == "exact_at_resolution" and rs.n_thin >= 1


@pytest.mark.parametrize("rotation_seed", [0, 1, 2])
def test_a_pattern_that_is_only_the_apex_is_flat(rotation_seed):
    # Three lines through the origin at 120 degrees: all three neurons off is only the
    # origin. Its LP sits exactly on the apex with radius 0 (the old zoom divided by
    # a zero unit there); from any parent frame it is flat, never undecided or empty.
    R = np.linalg.qr(np.random.default_rng(rotation_seed).normal(size=(2, 2)))[0]
    c, s = -0.5, np.sqrt(3) / 2
    W = np.array([[1.0, 0.0], [c, s], [c, -s]]) @ R
    net = ReLUNetwork.from_weights([W, np.ones((1, 3))], [np.zeros(3), np.zeros(1)])
    eng = LPEngine(net, Box([-1, -1], [1, 1]), Tolerances())
    for xc, L in [((0.3, 0.2), 0.1), ((0.5, -0.4), 1e-3), ((0.0, 0.0), 1.0)]:
        with np.errstate(all="raise"):
            assert eng.process(np.zeros(3, bool), np.array(xc), L)[0] == "flat"
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert (rs.n_regions, rs.status) == (6, "exact")


def test_a_thin_cone_through_the_apex_is_a_region():
    # Two lines through the origin 1e-11 apart (above the radius tolerance relative to
    # the distance from the apex): the thin wedges are regions at every box width.
    u, v = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    th = 1e-11
    W = np.vstack([u, np.cos(th) * u + np.sin(th) * v])
    net = ReLUNetwork.from_weights([W, np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    for a in (1e-6, 1.0, 1e6):
        rs = enumerate_regions(net, Box([-a, -a], [a, a]), method="lp")
        assert (rs.n_regions, rs.status) == (4, "exact")
        assert rs.radii.min() / a < 1e-10


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(2, 4), widths=st.lists(st.integers(2, 5), min_size=1, max_size=3),
       seed=st.integers(0, 10_000))
def test_property_zero_bias_nets_match_their_faces(d, widths, seed):
    net = random_network(d, widths, bias_std=0.0, random_state=seed)
    rs = lp_run(net)
    assert rs.n_undecided == 0 and rs.complete
    assert patterns(rs) == face_patterns(net)
