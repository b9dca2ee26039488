"""Statistical tests of the sampling estimators against exact region volumes (docs/math.md §8).

The engine gives every region of a 2-D net in a box and its exact area, hence
the exact probability ``p_i`` that a uniform point falls in region ``i``. From
those, the expectations of what a sampler sees are closed-form
(:mod:`polyregions.compare`). The tests draw many independent pattern samples
with :func:`~polyregions.sampling.sample_patterns` -- real forward passes, not
multinomial draws -- and compare empirical means with the exact expectations.

Tolerances. Every Monte Carlo comparison is a z-bound on a mean of ``R``
i.i.d. replicates: ``|mean - E| <= Z * sd / sqrt(R)`` with ``sd`` the
empirical standard deviation and ``Z = 4.5``; a correct implementation fails
one comparison with probability about 7e-6 (normal approximation), and the
seeds are fixed, so each test is deterministic. Exact identities are checked
to the rounding of the published digits.
"""

import math

import numpy as np
import pytest

from polyregions import Box, enumerate_regions, random_network, richness
from polyregions.compare import (
    chao1_plugin,
    expected_frequency,
    expected_missing_mass,
    expected_observed,
    good_turing_bias,
    region_probabilities,
)
from polyregions.constructions import montufar
from polyregions.sampling import pattern_to_key, sample_patterns

Z = 4.5
REPS = 1500  # replicates per (net, n) for n = 100 and 1000
# At n = 10 the Good-Turing bias (about 0.026 on both nets) must be resolved against a
# paired difference with sd about 0.21: Z * 0.21 / sqrt(R) < 0.026 / 2 needs R > 5300.
REPS_SMALL_N = 8000


def reps_for(n):
    return REPS_SMALL_N if n <= 10 else REPS


def z_bound(values):
    v = np.asarray(values, dtype=np.float64)
    return Z * v.std(ddof=1) / math.sqrt(v.size)


# ------------------------------------------------------------ ground truth
NETS = {
    # docs/math.md §4.2 construction: 44 regions in the unit square, areas 2.6e-4 .. 0.085.
    "montufar-[4,4]": (lambda: montufar(2, [4, 4]), Box([0, 0], [1, 1])),
    # He-normal 2-[8,8] (bias std 0.1) in [-1,1]^2: 102 regions, areas down to 4e-9.
    "he-2-[8,8]": (lambda: random_network(2, [8, 8], bias_std=0.1, random_state=0),
                   Box([-1, -1], [1, 1])),
}


@pytest.fixture(scope="module")
def truth():
    out = {}
    for name, (make, domain) in NETS.items():
        net = make()
        rs = enumerate_regions(net, domain)
        p = region_probabilities(rs)
        out[name] = {
            "net": net,
            "domain": domain,
            "S": rs.count(),
            "p": p,
            "p_of": {pattern_to_key(q): float(x) for q, x in zip(rs.patterns, p)},
        }
    return out


_SIM_CACHE = {}


def simulate(truth, name, n, reps=None, seed=20240):
    """Per-replicate statistics of ``reps`` independent uniform samples of size ``n``."""
    reps = reps_for(n) if reps is None else reps
    key = (name, n, reps, seed)
    if key in _SIM_CACHE:
        return _SIM_CACHE[key]
    t = truth[name]
    rng = np.random.default_rng([seed, n])
    rows = []
    for _ in range(reps):
        s = sample_patterns(t["net"], t["domain"], n, random_state=rng)
        c = s.counts
        # Every observed pattern must be a region the engine found.
        covered = math.fsum(t["p_of"][k] for k in s.keys)
        rows.append((
            s.n_observed,
            np.count_nonzero(c == 1),
            np.count_nonzero(c == 2),
            richness.good_turing_coverage(c),
            covered,
            richness.chao1(c),
            richness.chao1(c, bias_corrected=True),
        ))
    arr = np.array(rows, dtype=np.float64)
    out = dict(zip(["s_obs", "f1", "f2", "gt", "covered", "chao1", "chao1_bc"], arr.T))
    _SIM_CACHE[key] = out
    return out


# -------------------------------------------- exact identities (docs/math.md §8, ex. 2)
P_EX2 = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])


def test_worked_example_2_expectations():
    n = 10
    # Published to 6 decimals: compare to half a unit of the last digit (+ rounding slack).
    tol = 6e-7
    assert abs(expected_observed(P_EX2, n) - 3.630713) <= tol
    assert abs(expected_frequency(P_EX2, n, 0) - 1.369287) <= tol
    assert abs(expected_frequency(P_EX2, n, 1) - 1.272580) <= tol
    assert abs(expected_frequency(P_EX2, n, 2) - 0.776897) <= tol
    assert abs(chao1_plugin(P_EX2, n) - 0.938036) <= tol
    assert abs(expected_missing_mass(P_EX2, n) - 0.113009) <= tol
    assert abs(good_turing_bias(P_EX2, n) - 0.014249) <= tol
    # The Chao1 inequality in expectation, and E[S_obs] + E[f0] = S.
    assert chao1_plugin(P_EX2, n) <= expected_frequency(P_EX2, n, 0)
    unseen = expected_frequency(P_EX2, n, 0)
    assert expected_observed(P_EX2, n) + unseen == pytest.approx(5, abs=1e-12)


def test_worked_example_2_identities_hold_exactly():
    n = 10
    # Good-Turing bias: E[f1]/n - E[missing mass] = sum p^2 (1-p)^(n-1), to rounding.
    lhs = expected_frequency(P_EX2, n, 1) / n - expected_missing_mass(P_EX2, n)
    assert lhs == pytest.approx(np.sum(P_EX2**2 * (1 - P_EX2) ** (n - 1)), abs=1e-15)
    assert lhs == pytest.approx(good_turing_bias(P_EX2, n), abs=1e-15)
    # Frequencies are a partition of the regions: sum_k E[f_k] = S.
    assert math.fsum(expected_frequency(P_EX2, n, k) for k in range(n + 1)) == pytest.approx(5)


def test_worked_example_2_multinomial_monte_carlo():
    # docs/math.md §8: 2e5 multinomial draws give E[S_obs] 3.6303, E[f1] 1.2733, E[f2] 0.7747.
    X = np.random.default_rng(7).multinomial(10, P_EX2, size=200_000)
    for stat, exact in (((X > 0).sum(1), expected_observed(P_EX2, 10)),
                        ((X == 1).sum(1), expected_frequency(P_EX2, 10, 1)),
                        ((X == 2).sum(1), expected_frequency(P_EX2, 10, 2))):
        assert abs(stat.mean() - exact) <= z_bound(stat)


@pytest.mark.parametrize("n", [2, 10, 100, 10_000])
def test_chao1_plugin_equality_iff_equal_volumes(n):
    equal = np.full(40, 1 / 40)
    assert chao1_plugin(equal, n) == pytest.approx(expected_frequency(equal, n, 0), rel=1e-12)
    unequal = np.r_[np.full(20, 0.5 / 20), np.full(20, 0.5 / 20) * np.linspace(0.5, 1.5, 20)]
    unequal /= unequal.sum()
    assert chao1_plugin(unequal, n) < expected_frequency(unequal, n, 0)


def test_expectation_validation():
    with pytest.raises(ValueError, match="sums to"):
        expected_observed([0.7, 0.7], 5)
    with pytest.raises(ValueError, match="probabilities"):
        expected_observed([-0.1, 0.5], 5)
    with pytest.raises(ValueError, match=">= 1"):
        expected_observed([0.5, 0.5], 0)
    with pytest.raises(ValueError, match="k must be"):
        expected_frequency([0.5, 0.5], 5, 6)
    assert math.isnan(chao1_plugin([0.5, 0.5], 1))


# ---------------------------------------- worked example 3 from exact areas
def test_worked_example_3_montufar_from_exact_areas(truth):
    t = truth["montufar-[4,4]"]
    p = t["p"]
    assert t["S"] == 44
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # docs/math.md §8: smallest area 2.589e-4, largest 0.08477: half a unit of the last digit given.
    assert abs(p.min() - 2.589e-4) <= 0.5e-7 + 1e-15
    assert abs(p.max() - 0.08477) <= 0.5e-5 + 1e-15
    # E[S_obs] 29.10 / 38.66 / 43.70 and E[coverage] 0.9315 / 0.9963 / 0.9999, to the digits given.
    for n, s_obs, cov in ((100, 29.10, 0.9315), (1000, 38.66, 0.9963), (10_000, 43.70, 0.9999)):
        assert abs(expected_observed(p, n) - s_obs) <= 0.005 + 1e-9
        assert abs(1 - expected_missing_mass(p, n) - cov) <= 0.00005 + 1e-9


def test_worked_example_3_chao1_bc_means(truth):
    # The means in docs/math.md §8 of the bias-corrected Chao1 (4000 multinomial draws each): 32.73 at n=100,
    # 41.42 at n=1000. Their Monte Carlo error and ours add up in the bound.
    for n, published in ((100, 32.73), (1000, 41.42)):
        v = simulate(truth, "montufar-[4,4]", n)["chao1_bc"]
        sd = v.std(ddof=1)
        assert abs(v.mean() - published) <= Z * sd * math.sqrt(1 / v.size + 1 / 4000) + 0.005


# --------------------------------------------------- (a) the mean of S_obs
@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("n", [100, 1000])
def test_mean_observed_matches_exact_expectation(truth, name, n):
    sim = simulate(truth, name, n)
    p = truth[name]["p"]
    assert abs(sim["s_obs"].mean() - expected_observed(p, n)) <= z_bound(sim["s_obs"])
    # The frequencies behind every estimator.
    for k in (1, 2):
        f = sim[f"f{k}"]
        assert abs(f.mean() - expected_frequency(p, n, k)) <= z_bound(f)


def test_mean_observed_large_sample(truth):
    sim = simulate(truth, "montufar-[4,4]", 10_000, reps=200)
    exact = expected_observed(truth["montufar-[4,4]"]["p"], 10_000)
    assert abs(sim["s_obs"].mean() - exact) <= z_bound(sim["s_obs"])


# --------------------------------------------- (b) Good-Turing vs true coverage
@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("n", [10, 100, 1000])
def test_good_turing_against_true_coverage(truth, name, n):
    sim = simulate(truth, name, n)
    p = truth[name]["p"]
    gt, cov = sim["gt"], sim["covered"]
    # Each side against its exact expectation ...
    assert abs(gt.mean() - (1 - expected_frequency(p, n, 1) / n)) <= z_bound(gt)
    assert abs(cov.mean() - (1 - expected_missing_mass(p, n))) <= z_bound(cov)
    # ... and the paired difference against the known bias: E[GT - C_n] = -sum p^2 (1-p)^(n-1).
    d = gt - cov
    bias = good_turing_bias(p, n)
    assert bias >= 0
    assert abs(d.mean() + bias) <= z_bound(d)


@pytest.mark.parametrize("name", list(NETS))
def test_good_turing_bias_is_resolved_at_small_n(truth, name):
    # At n = 10 the bias (about 0.026 on both nets) exceeds twice the z-bound (REPS_SMALL_N
    # is chosen for that), so the paired test above has the power to tell "bias accounted
    # for" from "no bias".
    n = 10
    d = (lambda s: s["gt"] - s["covered"])(simulate(truth, name, n))
    bias = good_turing_bias(truth[name]["p"], n)
    assert bias > 2 * z_bound(d)
    assert d.mean() + z_bound(d) < 0  # GT significantly under-states the coverage


# ------------------------------------------------------ (c) Chao1 is low
@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("n", [100, 1000])
@pytest.mark.parametrize("variant", ["chao1", "chao1_bc"])
def test_chao1_mean_does_not_exceed_exact_count(truth, name, n, variant):
    v = simulate(truth, name, n)[variant]
    # One-sided: the mean is not significantly above S.
    assert v.mean() - z_bound(v) <= truth[name]["S"]


@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("n", [10, 100, 1000, 10_000])
def test_chao1_inequality_in_expectation(truth, name, n):
    p = truth[name]["p"]
    # Volumes are heterogeneous, so the Cauchy-Schwarz inequality is strict.
    assert np.ptp(p) > 0
    assert chao1_plugin(p, n) < expected_frequency(p, n, 0)
