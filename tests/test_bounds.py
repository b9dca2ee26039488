"""Global region-count bounds against docs/math.md §2-§5 worked numbers and properties."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.bounds import (
    arora_serra_construction_count,
    bounds_for,
    central_count,
    hanin_rolnick_segment_bound,
    hanin_rolnick_segment_expectation,
    montufar2014_lower,
    montufar2017_upper,
    product_bound,
    serra_1d_max,
    serra_lower,
    serra_upper,
    trivial_bound,
    zaslavsky,
    zaslavsky_bounded,
)
from polyregions.constructions import montufar
from polyregions.network import ReLUNetwork

# ---------------------------------------------------------------- docs/math.md §2


@pytest.mark.parametrize(
    "N, n, regions, bounded, central",
    [(4, 2, 11, 3, 8), (5, 2, 16, 6, 10), (8, 2, 37, 21, 16), (5, 3, 26, 4, 22), (6, 1, 7, 5, 2)],
)
def test_arrangement_worked_numbers(N, n, regions, bounded, central):
    assert zaslavsky(N, n) == regions
    assert zaslavsky_bounded(N, n) == bounded
    assert central_count(N, n) == central


def test_arrangement_edge_cases():
    assert zaslavsky(0, 3) == 1
    assert zaslavsky(3, 0) == 1
    assert zaslavsky(3, 5) == 8  # fewer hyperplanes than dimensions: all 2^N sign patterns
    assert zaslavsky_bounded(0, 2) == 0
    assert zaslavsky_bounded(2, 2) == 0
    assert central_count(0, 2) == 1
    assert central_count(1, 2) == 2


@given(st.integers(0, 40), st.integers(1, 6))
def test_arrangement_identities(N, n):
    # Deleting one hyperplane: r(N, n) = r(N-1, n) + r(N-1, n-1) (it is cut into r(N-1, n-1)).
    if N >= 1:
        assert zaslavsky(N, n) == zaslavsky(N - 1, n) + zaslavsky(N - 1, n - 1)
        # A central arrangement is twice a generic one in one dimension less (Cover).
        assert central_count(N, n) == 2 * zaslavsky(N - 1, n - 1)
    assert zaslavsky_bounded(N, n) <= zaslavsky(N, n)


# ---------------------------------------------------------------- docs/math.md §3

TABLE_3 = [
    # n0, widths, 2^N, product, Montufar17, Serra
    (2, [4, 4], 256, 121, 121, 121),
    (2, [3, 3], 64, 49, 49, 40),
    (2, [2, 2], 16, 16, 16, 11),
    (2, [1, 5], 64, 32, 12, 7),
    (2, [5, 1], 64, 32, 32, 32),
    (2, [6, 6], 4096, 484, 484, 484),
    (2, [8, 8, 8], 16_777_216, 50_653, 50_653, 50_653),
    (2, [16, 16, 16], 2**48, 2_571_353, 2_571_353, 2_571_353),
    (1, [4, 4], 256, 25, 25, 25),
    (1, [3, 3, 3], 512, 64, 64, 64),
]


@pytest.mark.parametrize("n0, widths, triv, prod, m17, serra", TABLE_3)
def test_global_upper_bound_table(n0, widths, triv, prod, m17, serra):
    assert trivial_bound(widths) == triv
    assert product_bound(n0, widths) == prod
    assert montufar2017_upper(n0, widths) == m17
    assert serra_upper(n0, widths) == serra


FIG_5B = [
    # n1, Serra, Montufar17 for n0 = 784, n1 + n2 = 22
    (1, 23, 44), (2, 254, 844), (3, 1_794, 9_280), (4, 9_109, 64_768), (5, 35_443, 300_864),
    (6, 110_056, 953_152), (7, 280_600, 2_097_152), (8, 600_370, 3_305_216),
    (9, 1_097_790, 4_000_768), (10, 1_744_436, 4_180_992), (11, 2_449_868, 4_194_304),
    (12, 3_096_514, 4_194_304), (13, 3_593_934, 4_194_304), (14, 3_913_704, 4_194_304),
    (15, 4_084_248, 4_194_304), (16, 4_158_861, 4_194_304), (17, 4_185_195, 4_194_304),
    (18, 4_192_510, 4_194_304), (19, 4_194_050, 4_194_304), (20, 4_194_281, 4_194_304),
    (21, 4_194_303, 4_194_304),
]


@pytest.mark.parametrize("n1, serra, m17", FIG_5B)
def test_serra_fig5b_bound_curve(n1, serra, m17):
    widths = [n1, 22 - n1]
    assert serra_upper(784, widths) == serra
    assert montufar2017_upper(784, widths) == m17
    assert m17 <= trivial_bound(widths) == 2**22


def _serra_bruteforce(n0, widths, caps=None):
    """Thm 1 summed over J literally, as an independent check of the DP."""
    caps = widths if caps is None else caps
    total = 0
    for js in itertools.product(*[range(n + 1) for n in widths]):
        ok, d = True, n0
        for j, n, c in zip(js, widths, caps):
            if j > min(d, c):
                ok = False
                break
            d = min(d, n - j)
        if ok:
            total += math.prod(math.comb(n, j) for n, j in zip(widths, js))
    return total


def test_serra_hand_checks():
    # docs/math.md §3: n0=2 [3,3] = 7 + 21 + 12; [1,5] = 6 + 1.
    assert serra_upper(2, [3, 3]) == 7 + 21 + 12
    assert serra_upper(2, [1, 5]) == 6 + 1


arch = st.tuples(st.integers(1, 5), st.lists(st.integers(1, 7), min_size=1, max_size=4))


@settings(max_examples=150, deadline=None)
@given(arch)
def test_bound_chain(a):
    n0, widths = a
    s, m, p, t = (
        serra_upper(n0, widths),
        montufar2017_upper(n0, widths),
        product_bound(n0, widths),
        trivial_bound(widths),
    )
    assert 1 <= s <= m <= p <= t
    assert s == _serra_bruteforce(n0, widths)


@settings(max_examples=100, deadline=None)
@given(arch, st.data())
def test_rank_variant(a, data):
    n0, widths = a
    assert serra_upper(n0, widths, ranks=widths) == serra_upper(n0, widths)
    ranks = [data.draw(st.integers(0, n)) for n in widths]
    r = serra_upper(n0, widths, ranks=ranks)
    assert r <= serra_upper(n0, widths)
    assert r == _serra_bruteforce(n0, widths, caps=ranks)


@given(st.integers(1, 10), st.integers(0, 30))
def test_one_layer_equality(n0, n1):
    if n1 == 0:
        return
    expected = sum(math.comb(n1, j) for j in range(min(n0, n1) + 1))
    assert serra_upper(n0, [n1]) == expected
    assert montufar2017_upper(n0, [n1]) == expected
    assert product_bound(n0, [n1]) == expected


@given(st.lists(st.integers(3, 12), min_size=1, max_size=5))
def test_one_dimensional_exact_maximum(widths):
    expected = math.prod(n + 1 for n in widths)
    assert serra_1d_max(widths) == expected
    assert serra_upper(1, widths) == expected
    assert serra_lower(1, widths) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3), st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_lower_bounds_below_upper(n0, widths):
    up = serra_upper(n0, widths)
    if all(n >= n0 for n in widths):
        assert montufar2014_lower(n0, widths) <= up
    if all(n >= 3 * n0 for n in widths):
        assert montufar2014_lower(n0, widths) <= serra_lower(n0, widths) <= up


def test_zero_width_layer_collapses():
    assert serra_upper(2, [3, 0, 5]) == serra_upper(2, [3]) * 1
    assert serra_upper(2, [0]) == 1


# ---------------------------------------------------------------- docs/math.md §4.1


@pytest.mark.parametrize(
    "n0, widths, mont, serra, ub",
    [
        (2, [6, 6], 198, 352, 484),
        (2, [8, 8, 8], 9_472, 23_125, 50_653),
        (2, [6, 6, 6], 1_782, 5_632, 10_648),
        (1, [4, 4], 20, 25, 25),
    ],
)
def test_lower_bound_worked_values(n0, widths, mont, serra, ub):
    assert montufar2014_lower(n0, widths) == mont
    assert serra_lower(n0, widths) == serra
    assert serra_upper(n0, widths) == ub


def test_montufar_lower_4_4_and_serra_inapplicable():
    assert montufar2014_lower(2, [4, 4]) == 2**2 * 11 == 44
    with pytest.raises(ValueError, match="3\\*n0 = 6"):
        serra_lower(2, [4, 4])


def test_arora_serra_construction():
    assert arora_serra_construction_count(2, 3, 3, 3) == 2 * (1 + 2) * 4**2 == 96
    assert arora_serra_construction_count(1, 1, 2, 1) == 2
    with pytest.raises(ValueError, match="w must be >= 2"):
        arora_serra_construction_count(2, 3, 1, 3)


# ---------------------------------------------------------------- docs/math.md §5

SW, SB = math.sqrt(2 / 3), math.sqrt(0.1)


def test_hanin_rolnick_exact_one_layer():
    e = hanin_rolnick_segment_expectation(20, [0.3, -0.2, 0.5], [2.3, -0.2, 0.5], SW, SB)
    assert e == pytest.approx(6.5085, abs=5e-5)
    # x0 = 0: per-neuron probability atan(T sw / sb) / pi.
    p0 = hanin_rolnick_segment_expectation(1, [0, 0, 0], [2, 0, 0], SW, SB) - 1
    assert p0 == pytest.approx(0.43911, abs=5e-5)
    assert p0 == pytest.approx(math.atan(2 * SW / SB) / math.pi, rel=1e-12)


def test_hanin_rolnick_expectation_monte_carlo():
    # Independent check of the Cauchy formula: simulate the switching neurons.
    rng = np.random.default_rng(0)
    x0, u, T, n = np.array([0.3, -0.2, 0.5]), np.array([1.0, 0.0, 0.0]), 2.0, 400_000
    w = rng.normal(0, SW, (n, 3))
    b = rng.normal(0, SB, n)
    t = -(w @ x0 + b) / (w @ u)
    p_mc = np.mean((t > 0) & (t < T))
    p = (hanin_rolnick_segment_expectation(20, x0, x0 + T * u, SW, SB) - 1) / 20
    assert abs(p_mc - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_hanin_rolnick_bound():
    c_grad = SW * math.sqrt(2 / math.pi)
    c_bias = 1 / (SB * math.sqrt(2 * math.pi))
    bound = hanin_rolnick_segment_bound(20, 2.0, c_grad, c_bias)
    assert bound == pytest.approx(33.87, abs=5e-3)
    exact = hanin_rolnick_segment_expectation(20, [0.3, -0.2, 0.5], [2.3, -0.2, 0.5], SW, SB)
    assert exact <= bound


def test_hanin_rolnick_errors():
    with pytest.raises(ValueError, match="bias_std"):
        hanin_rolnick_segment_expectation(3, [0, 0], [1, 0], 1.0, 0.0)
    with pytest.raises(ValueError, match="coincide"):
        hanin_rolnick_segment_expectation(3, [0, 0], [0, 0], 1.0, 1.0)
    with pytest.raises(ValueError, match="same dimension"):
        hanin_rolnick_segment_expectation(3, [0, 0], [0, 0, 1], 1.0, 1.0)
    with pytest.raises(ValueError, match="length"):
        hanin_rolnick_segment_bound(3, -1.0, 1.0, 1.0)


# ---------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: serra_upper(0, [3]), "n0"),
        (lambda: serra_upper(2, []), "empty"),
        (lambda: serra_upper(2, 4), "sequence"),
        (lambda: serra_upper(2, [3, -1]), r"widths\[1\] must be >= 0"),
        (lambda: serra_upper(2, [2.5]), "integer"),
        (lambda: serra_upper(2, [3, 3], ranks=[1]), "one rank per layer"),
        (lambda: serra_upper(2, [3, 3], ranks=[4, 1]), "exceeds the layer width"),
        (lambda: montufar2014_lower(3, [4, 2]), "layer 2 has 2 units"),
        (lambda: serra_1d_max([3, 2]), "layer 2 has 2"),
        (lambda: zaslavsky(-1, 2), "n_hyperplanes"),
        (lambda: zaslavsky_bounded(3, 0), "dim"),
        (lambda: trivial_bound([True]), "integer"),
    ],
)
def test_validation_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integral_floats_and_numpy_ints_accepted():
    assert serra_upper(np.int64(2), [np.int32(3), 3.0]) == 40
    assert isinstance(serra_upper(784, [11, 11]), int)


# ----------------------------------------------------------- bounds_for


def test_bounds_for_montufar_net():
    b = bounds_for(montufar(2, [4, 4]))
    assert b.to_dict() == {
        "upper": {"trivial": 256, "product": 121, "montufar2017": 121, "serra": 121,
                  "serra_rank": 121},
        "lower_on_max": {"montufar2014": 44},
    }


def test_bounds_for_rank_deficient_and_1d():
    rng = np.random.default_rng(1)
    W1 = rng.normal(size=(4, 3))
    W2 = np.outer(rng.normal(size=5), rng.normal(size=4))  # rank 1
    net = ReLUNetwork.from_weights([W1, W2, np.ones((1, 5))], [np.zeros(4), np.zeros(5), [0.0]])
    b = bounds_for(net)
    assert b.upper["serra_rank"] == serra_upper(3, [4, 5], ranks=[3, 1]) < b.upper["serra"]
    assert b.best_upper == b.upper["serra_rank"]
    assert "serra" not in b.lower_on_max
    net1 = ReLUNetwork.from_weights([np.ones((3, 1)), np.ones((1, 3))], [np.zeros(3), [0.0]])
    b1 = bounds_for(net1)
    assert b1.lower_on_max["serra_1d_max"] == b1.lower_on_max["serra"] == 4
    assert b1.upper["serra"] == 4


def test_bounds_for_leaky_skips_serra():
    net = ReLUNetwork.from_weights(
        [np.ones((3, 2)), np.ones((1, 3))], [np.zeros(3), [0.0]], negative_slope=0.1
    )
    b = bounds_for(net)
    assert set(b.upper) == {"trivial", "product", "montufar2017"}
    assert b.lower_on_max == {}


def test_bounds_for_rejects_plain_numbers():
    with pytest.raises(TypeError, match="serra_upper"):
        bounds_for([2, 3])
