"""Tests of polyregions.richness against docs/math.md §8 worked numbers and hand algebra."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.richness import (
    ace,
    chao1,
    chao1_ci,
    chao1_variance,
    chao_jost_coverage,
    frequency_counts,
    good_turing_coverage,
)

EX1 = [1, 1, 1, 1, 2, 2, 3, 5, 8]  # docs/math.md §8, worked example 1: n=24, S_obs=9, f1=4, f2=2
Z95 = 1.959963984540054

counts_strategy = st.lists(st.integers(min_value=0, max_value=40), min_size=0, max_size=60)


# ------------------------------------------------------------ worked example 1
def test_worked_example_chao1_forms():
    assert chao1(EX1) == pytest.approx(13.0, abs=1e-12)
    assert chao1(EX1, small_sample=True) == pytest.approx(12.8333, abs=5e-5)
    assert chao1(EX1, bias_corrected=True) == pytest.approx(11.0, abs=1e-12)
    assert chao1(EX1, bias_corrected=True, small_sample=True) == pytest.approx(10.9167, abs=5e-5)


def test_worked_example_variance():
    assert chao1_variance(EX1) == pytest.approx(28.0, abs=1e-12)
    assert chao1_variance(EX1, small_sample=True) == pytest.approx(25.875, abs=1e-12)


def test_worked_example_coverage_and_ace():
    assert good_turing_coverage(EX1) == pytest.approx(0.83333, abs=5e-6)
    assert chao_jost_coverage(EX1) == pytest.approx(0.840278, abs=5e-7)
    assert ace(EX1) == pytest.approx(14.07652, abs=5e-6)


def test_worked_example_ace_intermediate_gamma():
    # S_rare=9, N_rare=24, C=5/6, sum i(i-1) f_i = 86 (docs/math.md §8): gamma^2 = 0.682609,
    # so the estimate is 9/C + f1/C * gamma^2 = 10.8 + 4.8 * 0.682609.
    gamma2 = 9 / (5 / 6) * 86 / (24 * 23) - 1
    assert gamma2 == pytest.approx(0.682609, abs=5e-7)
    assert ace(EX1) == pytest.approx(10.8 + 4.8 * gamma2, rel=1e-12)


def test_worked_example_ci_classic():
    # f0 = 4, var = 28 -> C = exp(z sqrt(log(1 + 28/16))) = exp(z sqrt(log 2.75))
    c = math.exp(Z95 * math.sqrt(math.log(2.75)))
    lo, hi = chao1_ci(EX1)
    assert lo == pytest.approx(9 + 4 / c, rel=1e-10)
    assert hi == pytest.approx(9 + 4 * c, rel=1e-10)
    assert (round(lo, 3), round(hi, 3)) == (9.557, 37.72)


def test_worked_example_ci_spader_conventions():
    k = 23 / 24
    f0 = k * 16 / 4
    c = math.exp(Z95 * math.sqrt(math.log(1 + 25.875 / f0**2)))
    lo, hi = chao1_ci(EX1, small_sample=True)
    assert (lo, hi) == pytest.approx((9 + f0 / c, 9 + f0 * c), rel=1e-10)
    # SpadeR "Chao1-bc" with f2 > 0: its three-term variance, by hand:
    var_bc = k * 4 * 3 / 2 / 3 + k * k * 4 * 49 / 4 / 9 + k * k * 16 * 2 * 9 / 4 / 81
    assert chao1_variance(EX1, small_sample=True, bias_corrected=True) == pytest.approx(var_bc)
    f0 = k * 4 * 3 / 6
    c = math.exp(Z95 * math.sqrt(math.log(1 + var_bc / f0**2)))
    assert chao1_ci(EX1, bias_corrected=True, small_sample=True) == pytest.approx(
        (9 + f0 / c, 9 + f0 * c), rel=1e-10
    )


def test_ci_level_changes_width():
    lo90, hi90 = chao1_ci(EX1, level=0.90)
    lo99, hi99 = chao1_ci(EX1, level=0.99)
    assert lo99 < lo90 < 13 < hi90 < hi99


def test_frequency_counts_worked_example():
    f = frequency_counts(EX1)
    assert f.tolist() == [0, 4, 2, 1, 0, 1, 0, 0, 1]
    assert f.dtype == np.int64
    assert frequency_counts([0, 0, 3]).tolist() == [2, 0, 0, 1]
    assert frequency_counts([]).tolist() == [0]


# ------------------------------------------------------------------ edge cases
def test_empty_sample():
    for counts in ([], [0, 0, 0], np.zeros(0, dtype=int)):
        assert chao1(counts) == 0.0
        assert chao1(counts, bias_corrected=True, small_sample=True) == 0.0
        assert chao1_variance(counts) == 0.0
        assert chao1_ci(counts) == (0.0, 0.0)
        assert ace(counts) == 0.0
        assert math.isnan(good_turing_coverage(counts))
        assert math.isnan(chao_jost_coverage(counts))


def test_f2_zero_falls_back_to_bias_corrected():
    counts = [1, 1, 1, 3, 7]  # f1 = 3, f2 = 0
    assert chao1(counts) == pytest.approx(5 + 3 * 2 / 2)
    assert chao1(counts) == chao1(counts, bias_corrected=True)
    n = 13
    k = (n - 1) / n
    assert chao1(counts, small_sample=True) == pytest.approx(5 + k * 3)
    # SpadeR's f2 = 0 variance, including its -K^2 f1^4 / (4 S) term
    s = 5 + k * 3
    expected = k * 3 * 2 / 2 + k * k * 3 * 25 / 4 - k * k * 81 / (4 * s)
    assert chao1_variance(counts, small_sample=True) == pytest.approx(expected)
    lo, hi = chao1_ci(counts)
    assert 5 < lo < chao1(counts) < hi


def test_all_singletons():
    counts = [1, 1, 1]
    assert chao1(counts) == 6.0  # 3 + 3*2/2, bias-corrected form since f2 = 0
    assert ace(counts) == math.inf  # every rare region is a singleton
    assert good_turing_coverage(counts) == 0.0
    # Chao-Jost f2 = 0 branch: 1 - (3/3) * (2*2) / (2*2 + 2)
    assert chao_jost_coverage(counts) == pytest.approx(1 / 3)


def test_single_observation():
    assert chao1([1]) == 1.0  # f1 (f1 - 1) = 0: nothing extrapolated
    assert good_turing_coverage([1]) == 0.0
    assert chao_jost_coverage([1]) == 1.0  # SpadeR's convention for f1 = 1, f2 = 0
    lo, hi = chao1_ci([1])
    assert lo == 1.0 and hi > 1.0


def test_no_singletons_uses_observed_variance_interval():
    counts = [2, 3, 5]
    assert chao1(counts) == 3.0
    assert chao_jost_coverage(counts) == 1.0
    assert good_turing_coverage(counts) == 1.0
    k = np.array(counts, float)
    var = np.sum(np.exp(-k) - np.exp(-2 * k)) - np.sum(k * np.exp(-k)) ** 2 / 10
    assert chao1_variance(counts) == pytest.approx(var)
    p = np.sum(np.exp(-k)) / 3
    lo, hi = chao1_ci(counts)
    assert lo == pytest.approx(max(3, 3 / (1 - p) - Z95 * math.sqrt(var) / (1 - p)))
    assert hi == pytest.approx(3 / (1 - p) + Z95 * math.sqrt(var) / (1 - p))


def test_ace_without_rare_regions_is_observed():
    assert ace([11, 20, 50]) == 3.0
    assert ace([11, 20, 50], rare_threshold=20) > 0  # now two rare regions, no singletons
    assert ace([11, 20, 50], rare_threshold=20) == pytest.approx(3.0)  # C = 1, gamma clipped


def test_zeros_are_ignored():
    assert chao1(EX1 + [0, 0]) == chao1(EX1)
    assert ace([0] + EX1) == ace(EX1)
    assert chao1_ci(EX1 + [0]) == chao1_ci(EX1)


def test_accepts_integral_floats():
    assert chao1(np.array(EX1, dtype=float)) == 13.0


@pytest.mark.parametrize(
    "bad, exc",
    [
        ([1, -1], ValueError),
        ([1.5, 2], ValueError),
        ([[1, 2], [3, 4]], ValueError),
        (3, ValueError),
        ([True, False], TypeError),
        (["a", "b"], TypeError),
        ([1, np.nan], ValueError),
    ],
)
def test_validation(bad, exc):
    with pytest.raises(exc):
        chao1(bad)


def test_level_and_threshold_validation():
    with pytest.raises(ValueError, match="level"):
        chao1_ci(EX1, level=1.5)
    with pytest.raises(TypeError):
        chao1_ci(EX1, level="0.9")
    with pytest.raises(ValueError, match="rare_threshold"):
        ace(EX1, rare_threshold=0)


# ----------------------------------------------------------------- properties
@given(counts_strategy)
@settings(max_examples=150, deadline=None)
def test_estimator_orderings(counts):
    s_obs = sum(1 for c in counts if c > 0)
    classic = chao1(counts)
    bc = chao1(counts, bias_corrected=True)
    assert s_obs <= bc <= classic + 1e-12
    assert chao1(counts, small_sample=True) <= classic + 1e-12
    assert ace(counts) >= s_obs - 1e-9
    lo, hi = chao1_ci(counts)
    assert s_obs - 1e-9 <= lo <= hi
    if classic > s_obs:
        assert lo <= classic <= hi
    if s_obs:
        gt, cj = good_turing_coverage(counts), chao_jost_coverage(counts)
        assert 0.0 <= gt <= cj <= 1.0
        assert chao1_variance(counts) >= 0


@given(counts_strategy, st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_permutation_invariance(counts, rnd):
    shuffled = list(counts)
    rnd.shuffle(shuffled)
    for fn in (chao1, ace, chao1_variance, good_turing_coverage):
        a, b = fn(counts), fn(shuffled)
        assert a == pytest.approx(b, rel=1e-12, nan_ok=True)


@given(counts_strategy)
@settings(max_examples=80, deadline=None)
def test_frequency_counts_reconstruct_sample(counts):
    f = frequency_counts(counts)
    k = np.arange(f.size)
    assert int(f @ k) == sum(counts)
    assert int(f[1:].sum()) == sum(1 for c in counts if c > 0)


# ---------------------------------------------- docs/math.md §8 worked example 2 (MC)
def test_frequency_counts_match_exact_multinomial_expectations():
    """Mean f1, f2, S_obs over multinomial draws vs the exact E[.] of docs/math.md §8."""
    p = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    n = 10
    rng = np.random.default_rng(12345)
    draws = rng.multinomial(n, p, size=20000)
    f = np.array([np.pad(frequency_counts(d), (0, n + 1))[:3] for d in draws])
    s_obs = (draws > 0).sum(axis=1)
    exact = {
        "s_obs": (s_obs, 3.630713),
        "f1": (f[:, 1], 1.272580),
        "f2": (f[:, 2], 0.776897),
    }
    for name, (x, e) in exact.items():
        se = x.std(ddof=1) / math.sqrt(x.size)
        # 4.5 standard errors: a fixed-seed test with false-alarm rate < 1e-5.
        assert abs(x.mean() - e) < 4.5 * se, name
