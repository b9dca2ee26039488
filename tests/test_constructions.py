"""Lower-bound constructions: explicit docs/math.md §4.2 matrices and exact region counts.

Counts are checked three ways, none of which uses the enumeration engine:
* 1-D: an exact interval-splitting count written here;
* 2-D: distinct activation patterns on a dense grid of [0,1]^2 (a grid can
  only *miss* regions, so seeing the formula's number is a lower-bound check,
  and the formula is the exact count);
* 3-D: grid sampling misses thin cells there, so every cell of the last
  layer's arrangement is probed next to a vertex instead and the probes are
  pulled back through the folds.
The last test runs the same counts through ``polyregions.enumeration``.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.bounds import montufar2014_lower, serra_lower, serra_upper
from polyregions.constructions import construction_count, montufar, serra, zigzag_1d
from polyregions.domain import Box

from _nets import exact_count_1d as _exact_count_1d

# ------------------------------------------------------------- helpers


def exact_count_1d(net, a=0.0, b=1.0):
    """The shared interval-splitting oracle (tests/_nets.py), also checking regions are intervals."""
    return _exact_count_1d(net, a, b, check_convex=True)


def grid_count_2d(net, n, lo=0.0, hi=1.0, chunk=250_000):
    """Distinct activation patterns at the n x n cell centres of [lo, hi]^2 (a lower bound)."""
    g = lo + (hi - lo) * (np.arange(n) + 0.5) / n
    X, Y = np.meshgrid(g, g, indexing="ij")
    P = np.column_stack([X.ravel(), Y.ravel()])
    w = 2.0 ** np.arange(net.n_neurons)  # exact integer codes for up to 52 neurons
    codes = [np.unique(net.activation_patterns(P[k : k + chunk]) @ w) for k in range(0, len(P), chunk)]
    return len(np.unique(np.concatenate(codes)))


def arrangement_probes(A, a):
    """One point in every cell of the arrangement {A u + a = 0} (general position, N >= n).

    Every cell has a vertex; the 2^n cells at the vertex v of hyperplanes S
    are reached by stepping to v + eps * A_S^{-1} s for every sign vector s,
    with eps small enough that no other hyperplane is crossed.
    """
    N, n = A.shape
    subsets = [list(S) for S in itertools.combinations(range(N), n)]
    V = np.array([np.linalg.solve(A[S], -a[S]) for S in subsets])
    inv = np.array([np.linalg.inv(A[S]) for S in subsets])
    norms = np.linalg.norm(A, axis=1)
    dist = np.abs(V @ A.T + a) / norms
    for i, S in enumerate(subsets):
        dist[i, S] = np.inf
    sep = dist.min() if N > n else 1.0
    eps = 0.25 * sep / (np.abs(inv).sum(axis=(1, 2)).max() * norms.max())
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    return (V[:, None, :] + eps * np.einsum("kij,sj->ksi", inv, signs)).reshape(-1, n)


def fold_preimages(t, p, kind):
    """All preimages in [0,1] of the values t under one coordinate's zig-zag."""
    g = zigzag_1d(p, kind)
    A, c = g.weights[0][:, 0], g.biases[0]
    knots = np.unique(np.concatenate([[0.0, 1.0], np.clip(-c / A, 0.0, 1.0)]))
    out = []
    for k, (x0, x1) in enumerate(zip(knots[:-1], knots[1:])):
        # g rises on even pieces and falls on odd ones (checked in test_zigzag_*)
        out.append(x0 + (t if k % 2 == 0 else 1 - t) * (x1 - x0))
    return out


def unfold(U, widths, n0, kind):
    """Pull points of the last layer's input cube back to [0,1]^n0 through all folds."""
    for w in reversed(widths[:-1]):
        p = w // n0
        per_coord = [fold_preimages(U[:, i], p, kind) for i in range(n0)]
        U = np.vstack(
            [np.column_stack(choice) for choice in itertools.product(*per_coord)]
        )
    return U


# ----------------------------------------------------- explicit matrices


def test_montufar_2d_4_4_explicit_matrices():
    net = montufar(2, [4, 4])
    np.testing.assert_allclose(net.weights[0], [[2, 0], [2, 0], [0, 2], [0, 2]], atol=1e-6)
    np.testing.assert_allclose(net.biases[0], [0, -1, 0, -1], atol=1e-6)
    W2 = [
        [0.923880, -1.847759, 0.382683, -0.765367],
        [0.382683, -0.765367, 0.923880, -1.847759],
        [-0.382683, 0.765367, 0.923880, -1.847759],
        [-0.923880, 1.847759, 0.382683, -0.765367],
    ]
    np.testing.assert_allclose(net.weights[1], W2, atol=1e-6)
    np.testing.assert_allclose(net.biases[1], [-0.825489, -0.825489, -0.442806, 0.098391], atol=1e-6)
    assert net.weights[2].shape == (1, 4)


def test_serra_1d_3_3_explicit_matrices():
    net = serra(1, [3, 3])
    np.testing.assert_allclose(net.weights[0].ravel(), [3.5, 3.5, -3.5], atol=1e-6)
    np.testing.assert_allclose(net.biases[0], [-0.5, -1.5, 2.5], atol=1e-6)
    np.testing.assert_allclose(net.weights[1], [[-3, 2, -2]] * 3, atol=1e-6)
    np.testing.assert_allclose(net.biases[1], [4.75, 4.5, 4.25], atol=1e-6)


@pytest.mark.parametrize(
    "p, A, a, c, kappa",
    [
        (3, [3.5, 3.5, -3.5], [-0.5, -1.5, 2.5], [-3, 2, -2], 5),
        (4, [4.5, 4.5, -4.5, -4.5], [-1, -2, 2.5, 3.5], [-2, 3, -3, 2], 0.5),
        (5, [5.5] * 4 + [-5.5], [-0.5, -1.5, -2.5, -3.5, 4.5], [-3, 2, -2, 2, -2], 9),
    ],
)
def test_serra_fold_parameters(p, A, a, c, kappa):
    g = zigzag_1d(p, "serra")
    np.testing.assert_allclose(g.weights[0].ravel(), A, atol=1e-12)
    np.testing.assert_allclose(g.biases[0], a, atol=1e-12)
    np.testing.assert_allclose(g.weights[1].ravel(), c, atol=1e-12)
    np.testing.assert_allclose(g.biases[1], [kappa], atol=1e-12)


# --------------------------------------------------------------- folds


@pytest.mark.parametrize("kind, p", [("serra", p) for p in range(3, 10)] + [("montufar", p) for p in range(1, 8)])
def test_zigzag_maps_each_piece_onto_unit_interval(kind, p):
    g = zigzag_1d(p, kind)
    A, c = g.weights[0][:, 0], g.biases[0]
    knots = np.unique(np.concatenate([[0.0, 1.0], np.clip(-c / A, 0.0, 1.0)]))
    pieces = p + 1 if kind == "serra" else p
    assert len(knots) == pieces + 1
    vals = g.forward(knots[:, None]).ravel()
    np.testing.assert_allclose(vals, [k % 2 for k in range(pieces + 1)], atol=1e-12)
    assert exact_count_1d(g) == pieces
    # the image stays in [0,1], so the next layer only ever sees the unit cube
    t = np.linspace(0, 1, 2001)[:, None]
    y = g.forward(t)
    assert y.min() >= -1e-12 and y.max() <= 1 + 1e-12


# ------------------------------------------------------ 1-D exact counts

TABLE_1D = [
    # kind, widths, count in [0,1], count in [-1,2]  (docs/math.md §4.2)
    ("montufar", [3, 3], 12, 13),
    ("montufar", [2, 2, 2], 12, 14),
    ("montufar", [2, 2, 2, 2], 24, 26),
    ("montufar", [3, 3, 3], 36, 37),
    ("serra", [3, 3], 16, 16),
    ("serra", [3, 3, 3], 64, 64),
    ("serra", [4, 4], 25, 25),
    ("serra", [5, 2], 18, 18),
]


@pytest.mark.parametrize("kind, widths, unit, wide", TABLE_1D)
def test_1d_counts_match_spec(kind, widths, unit, wide):
    net = (montufar if kind == "montufar" else serra)(1, widths)
    assert construction_count(kind, 1, widths) == unit
    assert exact_count_1d(net, 0.0, 1.0) == unit
    assert exact_count_1d(net, -1.0, 2.0) == wide


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(3, 6), min_size=1, max_size=3))
def test_serra_1d_attains_the_global_maximum(widths):
    net = serra(1, widths)
    assert exact_count_1d(net) == math.prod(n + 1 for n in widths) == serra_upper(1, widths)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_montufar_1d_matches_lower_bound(widths):
    assert exact_count_1d(montufar(1, widths)) == montufar2014_lower(1, widths)


def test_exact_1d_counter_on_a_hand_example():
    # relu(x), relu(x - 0.5), then relu(h1 + h2 - 0.25): kinks at 0, 0.5 and 0.25.
    from polyregions.network import ReLUNetwork

    net = ReLUNetwork.from_weights(
        [[[1.0], [1.0]], [[1.0, 1.0]], [[1.0]]], [[0.0, -0.5], [-0.25], [0.0]]
    )
    assert exact_count_1d(net, -1.0, 1.0) == 4


# --------------------------------------------------------- 2-D sampling


@pytest.mark.parametrize(
    "kind, widths, expected",
    [("montufar", [4, 4], 44), ("montufar", [6, 6], 198), ("serra", [6, 6], 352), ("serra", [6, 4], 176)],
)
def test_2d_grid_sees_every_region(kind, widths, expected):
    net = (montufar if kind == "montufar" else serra)(2, widths)
    assert construction_count(kind, 2, widths) == expected
    if kind == "montufar":
        assert montufar2014_lower(2, widths) == expected
    elif widths == [6, 6]:
        assert serra_lower(2, widths) == expected
    # A grid can only miss regions; seeing exactly the formula's number checks
    # that they all exist (and that no others are large enough to be hit).
    # Smallest areas: 2.6e-4 for Montufar [4,4], 1.1e-5 for Serra [6,6]
    # (docs/math.md §8), against a grid cell of 1e-6.
    assert grid_count_2d(net, 1000) == expected


def test_2d_montufar_outside_the_cube_has_more_regions():
    # docs/math.md §4.2: 59 regions in [-1,2]^2, so the formula is tied to the unit cube.
    assert grid_count_2d(montufar(2, [4, 4]), 1500, -1.0, 2.0) == 59


# ------------------------------------------------------------- 3-D


@pytest.mark.parametrize("n0, n", [(3, 3), (3, 5), (3, 8), (3, 20), (4, 6), (5, 7)])
def test_last_layer_in_general_position_inside_cube(n0, n):
    net = montufar(n0, [n])
    A, a = net.weights[0], net.biases[0]
    for S in itertools.combinations(range(n), n0):
        S = list(S)
        assert np.linalg.svd(A[S], compute_uv=False).min() > 1e-4
        v = np.linalg.solve(A[S], -a[S])
        assert np.all(np.abs(v - 0.5) <= 0.45 + 1e-9)
        others = [k for k in range(n) if k not in S]
        if others:
            # no (n0+1)-th hyperplane through the vertex
            assert np.min(np.abs(A[others] @ v + a[others]) / np.linalg.norm(A[others], axis=1)) > 1e-6
    probes = arrangement_probes(A, a)
    assert np.all((probes > 0) & (probes < 1))
    pats = {p.tobytes() for p in net.activation_patterns(probes)}
    assert len(pats) == construction_count("montufar", n0, [n]) == sum(
        math.comb(n, j) for j in range(n0 + 1)
    )


@pytest.mark.parametrize("n0, widths", [(3, [9, 2]), (4, [12, 1])])
def test_last_layer_narrower_than_input(n0, widths):
    # n_L < n0 hyperplanes meeting inside the cube: 2^n_L cells per fold cell.
    net = serra(n0, widths)
    expected = 4**n0 * 2 ** widths[-1]
    assert construction_count("serra", n0, widths) == expected
    last = serra(n0, widths[-1:])
    A, a = last.weights[0], last.biases[0]
    # a point on all the last hyperplanes (least-norm solution about the centre)
    v = 0.5 + np.linalg.lstsq(A, -(a + A @ np.full(n0, 0.5)), rcond=None)[0]
    assert np.all((v > 0) & (v < 1))
    U = v + 1e-3 * np.array(list(itertools.product([-1.0, 1.0], repeat=n0)))
    X = unfold(U, widths, n0, "serra")
    assert len({p.tobytes() for p in net.activation_patterns(X)}) == expected


@pytest.mark.parametrize("kind, widths", [("montufar", [6, 5]), ("serra", [9, 4]), ("montufar", [3, 6, 4])])
def test_3d_probes_find_the_formula_count(kind, widths):
    build = montufar if kind == "montufar" else serra
    net = build(3, widths)
    last = build(3, [widths[-1]])  # same seeded last layer, without the folds
    U = arrangement_probes(last.weights[0], last.biases[0])
    X = unfold(U, widths, 3, kind)
    assert np.all((X > 0) & (X < 1))
    found = len({p.tobytes() for p in net.activation_patterns(X)})
    assert found == construction_count(kind, 3, widths)
    # Sampling sanity: a coarse grid never sees more than the formula. It sees
    # fewer, because some cells are thin: that is why the probes exist.
    g = (np.arange(40) + 0.5) / 40
    G = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    assert len({p.tobytes() for p in net.activation_patterns(G)}) <= found


# ---------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: montufar(2, [4, 1]), ValueError, "layer 2 has 1"),
        (lambda: serra(2, [5, 4]), ValueError, "width >= 3\\*n0 = 6"),
        (lambda: serra(1, [2, 3]), ValueError, "montufar"),
        (lambda: montufar(0, [3]), ValueError, "n0"),
        (lambda: montufar(2, []), ValueError, "empty"),
        (lambda: serra(1, [3, 0]), ValueError, r"widths\[1\] must be >= 1"),
        (lambda: zigzag_1d(2, "serra"), ValueError, "p must be >= 3"),
        (lambda: zigzag_1d(3, "telgarsky"), ValueError, "kind"),
        (lambda: construction_count("arora", 2, [4]), ValueError, "kind"),
    ],
)
def test_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_serra_last_layer_may_be_narrow_but_theorem_needs_all_wide():
    assert construction_count("serra", 2, [6, 4]) == 176
    with pytest.raises(ValueError):
        serra_lower(2, [6, 4])


# ------------------------------------------------- exact engine (when present)

ENGINE_CASES = [
    # n0, kind, widths, count in [0,1]^n0, count in [-1,2]^n0 (None: not in docs/math.md §4.2)
    (1, "montufar", [3, 3], 12, 13),
    (1, "montufar", [2, 2, 2], 12, 14),
    (1, "montufar", [2, 2, 2, 2], 24, 26),
    (1, "montufar", [3, 3, 3], 36, 37),
    (1, "serra", [3, 3], 16, 16),
    (1, "serra", [3, 3, 3], 64, 64),
    (1, "serra", [4, 4], 25, 25),
    (1, "serra", [5, 2], 18, 18),
    (2, "montufar", [4, 4], 44, 59),
    (2, "montufar", [6, 6], 198, 224),
    (2, "serra", [6, 6], 352, 352),
    (2, "serra", [6, 4], 176, 176),
    (3, "montufar", [6, 5], 208, None),
    (3, "serra", [9, 4], 960, None),
]


@pytest.mark.parametrize("n0, kind, widths, unit, wide", ENGINE_CASES)
def test_constructions_with_exact_engine(n0, kind, widths, unit, wide):
    from polyregions.enumeration import count_regions  # part of the package: never skipped

    net = (montufar if kind == "montufar" else serra)(n0, widths)
    assert construction_count(kind, n0, widths) == unit
    assert count_regions(net, Box([0.0] * n0, [1.0] * n0)) == unit
    if wide is not None:
        assert count_regions(net, Box([-1.0] * n0, [2.0] * n0)) == wide
