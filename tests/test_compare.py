"""Tests of polyregions.compare: line counts vs the engine, the comparison table."""

import json

import dataclasses

import numpy as np
import pytest

from polyregions import (
    Ball,
    Box,
    Slice,
    WholeSpace,
    count_regions,
    enumerate_regions,
    random_network,
)
from polyregions.compare import (
    EstimatorComparison,
    compare_estimators,
    expected_observed,
    region_probabilities,
)
from polyregions.constructions import montufar
from polyregions.lines import count_regions_on_segment, line_statistics

COUNT_ROWS = ("S_obs", "Chao1", "Chao1-bc", "ACE")
COVERAGE_ROWS = ("Good-Turing coverage", "Chao-Jost coverage")


# ------------------------------------------- lines: 1-D traversal == engine
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n0,widths", [(2, [8, 8]), (5, [6, 6, 6])])
def test_segment_count_equals_engine_on_1d_slice(seed, n0, widths):
    net = random_network(n0, widths, bias_std=0.3, random_state=seed)
    rng = np.random.default_rng(100 + seed)
    for _ in range(6):
        c = rng.uniform(-1, 1, n0)
        u = rng.normal(size=n0)
        u /= np.linalg.norm(u)
        a, b = c - u, c + u
        assert count_regions_on_segment(net, a, b) == count_regions(net, Slice.segment(a, b))


@pytest.mark.parametrize("seed", [0, 1])
def test_segment_through_common_point_of_hyperplanes(seed):
    # Zero biases: every first-layer hyperplane passes through the origin, so a segment
    # through it crosses all of them at one t (a non-generic, multi-neuron switch).
    net = random_network(2, [6, 5], bias_std=0.0, random_state=seed)
    a, b = np.array([-1.0, -0.3]), np.array([1.0, 0.3])
    assert count_regions_on_segment(net, a, b) == count_regions(net, Slice.segment(a, b))


@pytest.mark.parametrize("n0", [2, 5])
def test_line_statistics_counts_equal_engine(n0):
    net = random_network(n0, [8, 8], bias_std=0.2, random_state=n0)
    st = line_statistics(net, Box(-1, 1, dim=n0), 15, random_state=3)
    engine = [count_regions(net, Slice.segment(a, b)) for a, b in zip(st.starts, st.ends)]
    assert st.counts.tolist() == engine


# ------------------------------------------------------- the table
@pytest.fixture(scope="module")
def two_d():
    net = random_network(2, [8, 8], bias_std=0.2, random_state=5)
    domain = Box([-1, -1], [1, 1])
    cmp = compare_estimators(net, domain, sample_sizes=(300, 3000), n_lines=20, random_state=1)
    return net, domain, cmp


def test_exact_column_equals_count_regions(two_d):
    net, domain, cmp = two_d
    S = count_regions(net, domain)
    assert cmp.exact_count == S and cmp.exact_complete is True and cmp.stop_reason is None
    engine = cmp.row("exact engine")
    assert engine.estimate == S and engine.exact == S and engine.exact_kind == "exact"
    for n in (300, 3000):
        for name in COUNT_ROWS:
            r = cmp.row(name, n)
            assert r.exact == S and r.exact_kind == "exact" and r.n_samples == n
            assert r.relative_error == pytest.approx((r.estimate - S) / S)
        # S_obs is a lower bound, and its exact expectation is given.
        s_obs = cmp.row("S_obs", n)
        assert s_obs.estimate <= S
        assert 0 < s_obs.expected <= S
    lo, hi = cmp.row("Chao1-bc", 3000).ci
    assert lo <= cmp.row("Chao1-bc", 3000).estimate <= hi


def test_expected_observed_uses_exact_volumes(two_d):
    net, domain, cmp = two_d
    p = region_probabilities(enumerate_regions(net, domain))
    assert cmp.row("S_obs", 300).expected == pytest.approx(expected_observed(p, 300), rel=1e-12)
    assert cmp.volume_total == pytest.approx(1.0, abs=1e-9)


def test_coverage_rows_are_against_exact_covered_fraction(two_d):
    _, _, cmp = two_d
    assert cmp.coverage_reference == "volumes"
    for n in (300, 3000):
        truth = cmp.row("Good-Turing coverage", n).exact
        assert 0 < truth <= 1 + 1e-12
        for name in COVERAGE_ROWS:
            r = cmp.row(name, n)
            assert r.exact == truth and r.exact_kind == "exact" and r.exact_stderr == 0.0
            assert 0 <= r.estimate <= 1
        # The exact expectation of 1 - f1/n is known from the volumes.
        assert 0 < cmp.row("Good-Turing coverage", n).expected <= 1


def test_holdout_coverage_agrees_with_volumes():
    net = random_network(2, [8, 8], bias_std=0.2, random_state=5)
    domain = Box([-1, -1], [1, 1])
    kw = dict(sample_sizes=500, n_lines=0, n_distance_points=0, random_state=2)
    vol = compare_estimators(net, domain, coverage_reference="volumes", **kw)
    mc = compare_estimators(net, domain, coverage_reference="holdout", n_holdout=200_000, **kw)
    a, b = vol.row("Good-Turing coverage"), mc.row("Good-Turing coverage")
    assert a.estimate == b.estimate  # the same pattern sample
    assert b.exact_kind == "monte carlo" and b.exact_stderr > 0
    assert abs(a.exact - b.exact) <= 4.5 * b.exact_stderr
    assert "hold-out MC" in mc.to_markdown()


def test_line_row_agrees_exactly_with_engine(two_d):
    _, _, cmp = two_d
    r = cmp.row("regions per line")
    assert cmp.line_mismatches == 0
    assert r.estimate == r.exact and r.relative_error == 0.0 and r.n_samples == 20


@pytest.mark.parametrize("n0", [2, 5])
def test_line_row_on_several_nets(n0):
    for seed in (0, 1):
        net = random_network(n0, [6, 6], bias_std=0.3, random_state=seed)
        cmp = compare_estimators(net, Box(-1, 1, dim=n0), sample_sizes=200, n_lines=10,
                                 n_distance_points=0, random_state=seed,
                                 coverage_reference="holdout", n_holdout=1000,
                                 max_regions=None if n0 == 2 else 50)
        assert cmp.line_mismatches == 0
        assert cmp.row("regions per line").estimate == cmp.row("regions per line").exact


def test_distance_row(two_d):
    _, _, cmp = two_d
    r = cmp.row("distance to boundary")
    assert r.exact is None and r.relative_error is None and r.estimate > 0
    assert r.n_samples == 3000
    assert r.ci[0] <= r.estimate <= r.ci[1]


def test_markdown_and_dict(two_d):
    _, _, cmp = two_d
    md = cmp.to_markdown()
    assert md.count("\n| ") == len(cmp.rows) + 1  # header + one line per row
    assert "lower bound)" not in md
    d = cmp.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["exact"] == {"count": cmp.exact_count, "complete": True, "count_is": "exact",
                             "stop_reason": None, "status": "exact"}
    assert len(back["rows"]) == len(cmp.rows)
    assert back["rows"][0]["name"] == "exact engine"
    assert isinstance(cmp, EstimatorComparison)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmp.rows = ()  # frozen
    with pytest.raises(KeyError, match="rows are"):
        cmp.row("no such estimator")


def test_montufar_worked_example_expectations_in_table():
    cmp = compare_estimators(montufar(2, [4, 4]), Box([0, 0], [1, 1]), sample_sizes=(100, 1000),
                             n_lines=10, random_state=0)
    assert cmp.exact_count == 44
    # docs/math.md §8 worked example 3, from the exact areas.
    assert cmp.row("S_obs", 100).expected == pytest.approx(29.10, abs=0.005)
    assert cmp.row("S_obs", 1000).expected == pytest.approx(38.66, abs=0.005)


# ------------------------------------------- engine consistency check
def test_no_pattern_outside_complete_enumeration(two_d):
    assert two_d[2].engine_missed == 0
    assert "engine inconsistency" not in two_d[2].to_markdown()


def test_detects_regions_missing_from_a_complete_run(monkeypatch):
    # A "complete" run that lost its largest region: the sampled patterns expose it.
    import polyregions.enumeration as enumeration
    from polyregions.results import RegionSet

    real = enumeration.enumerate_regions

    def lossy(net, domain, **kw):
        rs = real(net, domain, **kw)
        keep = np.argsort(rs.radii)[:-1]
        return RegionSet(rs.network, rs.domain, rs.patterns[keep], rs.interior_points[keep],
                         rs.radii[keep], [], [], True, None, 0, rs.tolerances, rs.stats)

    monkeypatch.setattr(enumeration, "enumerate_regions", lossy)
    net = random_network(2, [6], bias_std=0.3, random_state=0)
    with pytest.warns(RuntimeWarning, match="engine missed regions"):
        cmp = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=2000, n_lines=0,
                                 n_distance_points=0, random_state=0)
    assert cmp.engine_missed == 1
    assert "engine inconsistency" in cmp.to_markdown()
    # The coverage reference no longer trusts the volumes of the incomplete region list.
    assert cmp.row("Good-Turing coverage").exact_kind == "monte carlo"


@pytest.mark.filterwarnings("ignore:.*sampled activation patterns:RuntimeWarning")
def test_ball_engine_finds_every_sampled_pattern_qp_failure_case():
    net = random_network(2, [6, 6], bias_std=0.3, random_state=1)
    center = np.random.default_rng(1).uniform(-1, 1, (3, 2))[2]
    cmp = compare_estimators(net, Ball(center, 0.4), sample_sizes=50_000, n_lines=0,
                             n_distance_points=0, random_state=0)
    assert cmp.engine_missed == 0


# ------------------------------------------------------ incomplete runs
def test_budget_gives_lower_bound_never_exact():
    net = random_network(2, [8, 8], bias_std=0.2, random_state=5)
    cmp = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=500, n_lines=5,
                             max_regions=3, random_state=0)
    assert cmp.exact_complete is False and cmp.stop_reason == "max_regions"
    assert cmp.exact_count == 3
    eng = cmp.row("exact engine")
    assert eng.exact_kind == "lower bound" and eng.relative_error is None
    for name in COUNT_ROWS:
        r = cmp.row(name)
        assert r.exact_kind == "lower bound" and r.exact == 3 and r.relative_error is None
    md = cmp.to_markdown()
    assert "≥ 3 (lower bound)" in md and "a lower bound" in md
    assert cmp.to_dict()["exact"]["count_is"] == "lower bound"
    # The sample hits regions the stopped engine never found: the coverage reference falls
    # back to a labelled Monte Carlo estimate instead of a wrong "exact" sum.
    assert cmp.row("Good-Turing coverage").exact_kind == "monte carlo"
    # The 1-D line checks do not depend on the 2-D budget.
    assert cmp.line_mismatches == 0


def test_time_budget_gives_lower_bound():
    net = random_network(2, [16, 16], random_state=0)
    cmp = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=200, n_lines=0,
                             n_distance_points=0, time_limit=1e-6, random_state=0)
    assert cmp.exact_complete is False and cmp.stop_reason == "time_limit"
    assert cmp.row("S_obs").exact_kind == "lower bound"
    assert cmp.row("S_obs").relative_error is None


def test_without_exact_engine():
    net = random_network(2, [8, 8], random_state=5)
    kw = dict(sample_sizes=(200, 400), n_lines=5, n_distance_points=100, random_state=9)
    a = compare_estimators(net, Box([-1, -1], [1, 1]), exact=False, **kw)
    assert a.exact_count is None and a.line_mismatches is None
    assert all(r.name != "exact engine" for r in a.rows)
    assert a.row("S_obs").exact is None and a.row("S_obs").exact_kind == "none"
    assert a.row("regions per line").exact is None
    assert a.coverage_reference == "holdout"
    assert "exact engine not run" in a.to_markdown()
    # The samples do not depend on whether the engine ran.
    b = compare_estimators(net, Box([-1, -1], [1, 1]), exact=True, **kw)
    for name in COUNT_ROWS + COVERAGE_ROWS + ("regions per line", "distance to boundary"):
        assert a.row(name).estimate == b.row(name).estimate


def test_ball_wholespace_and_slice_domains():
    net = random_network(2, [6, 6], bias_std=0.3, random_state=2)
    ball = compare_estimators(net, Ball([0.1, 0.0], 0.8), sample_sizes=500, n_lines=5,
                              random_state=0)
    assert ball.exact_count == count_regions(net, Ball([0.1, 0.0], 0.8))
    assert ball.coverage_reference == "volumes"  # polygon ∩ disc areas are exact in 2-D
    whole = compare_estimators(net, WholeSpace(2), sample_sizes=500, n_lines=5, random_state=0)
    assert whole.exact_count == count_regions(net)
    assert whole.coverage_reference == "holdout"  # infinite volume: Gaussian mass by hold-out
    net5 = random_network(5, [8, 8], random_state=0)
    plane = Slice.plane(np.zeros(5), np.eye(5)[0], np.eye(5)[1], lo=(-1, -1), hi=(1, 1))
    sl = compare_estimators(net5, plane, sample_sizes=500, n_lines=5, random_state=0)
    assert sl.exact_count == count_regions(net5, plane)
    assert sl.coverage_reference == "volumes" and sl.line_mismatches == 0


def test_validation_errors():
    net = random_network(2, [4], random_state=0)
    box = Box([-1, -1], [1, 1])
    with pytest.raises(TypeError, match="ReLUNetwork"):
        compare_estimators("net", box)
    with pytest.raises(TypeError, match="Domain"):
        compare_estimators(net, None)
    with pytest.raises(ValueError, match="dimension"):
        compare_estimators(net, Box(-1, 1, dim=3))
    with pytest.raises(ValueError, match="empty"):
        compare_estimators(net, box, sample_sizes=())
    with pytest.raises(ValueError, match=">= 1"):
        compare_estimators(net, box, sample_sizes=(100, 0))
    with pytest.raises(TypeError, match="integer"):
        compare_estimators(net, box, sample_sizes=1.5)
    with pytest.raises(ValueError, match="n_lines"):
        compare_estimators(net, box, n_lines=-1)
    with pytest.raises(ValueError, match="coverage_reference"):
        compare_estimators(net, box, coverage_reference="magic")
    with pytest.raises(ValueError, match="exact=True"):
        compare_estimators(net, box, exact=False, coverage_reference="volumes")
    with pytest.raises(ValueError, match="budgets"):
        compare_estimators(net, box, exact=False, time_limit=1.0)
    with pytest.raises(ValueError, match="not available"):
        compare_estimators(random_network(3, [4], random_state=0), Ball([0, 0, 0], 1.0),
                           coverage_reference="volumes", sample_sizes=100, n_lines=0)


def test_interval_level_is_labelled_and_validated():
    net = random_network(2, [4], random_state=0)
    kw = dict(sample_sizes=300, n_lines=0, n_distance_points=0, random_state=0, exact=False)
    cmp = compare_estimators(net, Box([-1, -1], [1, 1]), level=0.999, **kw)
    assert "99.9% log-normal" in cmp.row("Chao1-bc").note  # was truncated to "99%"
    with pytest.raises(ValueError, match="level"):
        compare_estimators(net, Box([-1, -1], [1, 1]), level="0.9", **kw)
